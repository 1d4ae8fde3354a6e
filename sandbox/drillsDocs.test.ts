/**
 * The drill list a newcomer reads first (the `drill <name>` line of docs/sandbox.md's
 * commands) names every drill the CLI accepts: it had fallen behind by two
 * (redis-master-freeze, redis-master-partition) while the CLI grew.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DRILLS } from "./drills";

function documentedDrills(markdown: string): string[] {
  const line = markdown.split("\n").find((l) => l.startsWith("npm run sandbox -- drill <name>"));
  if (!line || !line.includes("#")) throw new Error("docs/sandbox.md has no line \"npm run sandbox -- drill <name>   # a | b | ...\"");
  return line.split("#")[1].split("|").map((s) => s.trim());
}

describe("docs/sandbox.md's drill list", () => {
  it("names exactly the drills the CLI accepts, in the CLI's order", () => {
    const docs = documentedDrills(readFileSync(join(__dirname, "..", "docs", "sandbox.md"), "utf8"));
    expect(docs).toEqual(Object.keys(DRILLS));
  });

  it("reads the names after the comment sign of the drill line only", () => {
    expect(documentedDrills("npm run sandbox -- up   # start\nnpm run sandbox -- drill <name>   # a | b-c\n")).toEqual(["a", "b-c"]);
    expect(() => documentedDrills("npm run sandbox -- up\n")).toThrow(/no line/);
  });
});
