/**
 * The fault matrix's rows and the table in docs/checks.md stay one list: each test in
 * checks/faultMatrix.int.test.ts is titled `<row>: <verdict>`, and the table's first
 * column names the same rows, in the same order.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..");

function testRows(source: string): string[] {
  return [...source.matchAll(/^\s*it\("([^"]+)"/gm)].map((m) => m[1].split(": ")[0]);
}

function docRows(markdown: string): string[] {
  const section = markdown.split("### The fault matrix (`checks/faultMatrix.int.test.ts`)")[1];
  if (!section) throw new Error("docs/checks.md has no section \"### The fault matrix (`checks/faultMatrix.int.test.ts`)\"");
  // Up to the next heading: only the matrix's own table.
  const table = section.split(/\n#{2,3} /)[0].split("\n").filter((l) => l.startsWith("| ")).slice(1);
  const rows: string[] = [];
  for (const line of table) {
    if (/^\|[-| ]+\|$/.test(line)) continue;
    rows.push(line.split(" | ")[0].slice(2).trim());
  }
  return rows;
}

describe("the fault matrix's docs", () => {
  it("list exactly the test's rows, in order", () => {
    const tests = testRows(readFileSync(join(root, "checks", "faultMatrix.int.test.ts"), "utf8"));
    const docs = docRows(readFileSync(join(root, "docs", "checks.md"), "utf8"));
    expect(tests.length).toBeGreaterThan(10);
    expect(docs).toEqual(tests);
  });

  it("reads a row's name up to the first ': ' of its title, and only the matrix's table", () => {
    expect(testRows('  it("full disk on a Redis replica: it panics: the rest", async () => {')).toEqual(["full disk on a Redis replica"]);
    const md = "| a | b |\n|---|---|\n| x | y |\n### The fault matrix (`checks/faultMatrix.int.test.ts`)\n\n| row | b |\n|---|---|\n| one | y |\n| two | z |\n### next\n\n| n | m |\n|---|---|\n| three | w |\n";
    expect(docRows(md)).toEqual(["one", "two"]);
  });
});
