import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "./tempDir";

describe("testTempDir", () => {
  let made = "";
  it("makes a folder that exists during the test", () => {
    made = testTempDir("temp-dir-test-");
    expect(existsSync(made)).toBe(true);
  });
  it("removed it once that test finished", () => {
    expect(made).not.toBe("");
    expect(existsSync(made)).toBe(false);
  });
});

describe("test files leave no temp folders", () => {
  it("every test file that makes a temp folder removes it (testTempDir, or rmSync in its own cleanup)", () => {
    const root = join(__dirname, "..");
    const files = execFileSync("git", ["ls-files", "*.test.ts"], { cwd: root, encoding: "utf8" }).split("\n").filter(Boolean);
    const leaks = files.filter((f) => {
      const text = readFileSync(join(root, f), "utf8");
      return text.includes("mkdtempSync(") && !text.includes("rmSync(");
    });
    expect(files.length).toBeGreaterThan(50);
    expect(leaks).toEqual([]);
  });
});
