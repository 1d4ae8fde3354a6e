import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../testing/tempDir";
import { bringUpLine, demo } from "./demo";

describe("the demo's first line", () => {
  it("says Reusing, not Starting, when the folder already holds a sandbox", async () => {
    const dir = testTempDir("demo-reuse-");
    // A state file that cannot be read: the demo reuses (and fails fast), never starts anything.
    writeFileSync(`${dir}/state.json`, "{ not json");
    const out: string[] = [];
    const err: string[] = [];
    const code = await demo(["--dir", dir], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {} });
    expect(out[0]).toMatch(/^Reusing the sandbox \(stack dev\) in .*demo-reuse-.*; starting what is down/);
    expect(out.join("")).not.toContain("Starting the sandbox");
    expect(code).toBe(2);
    expect(err.join("")).toMatch(/^error: /);
  });

  it("says Starting for an empty folder", () => {
    expect(bringUpLine("dev", "/x", false)).toMatch(/^Starting the sandbox \(stack dev\) in \/x: /);
  });
});
