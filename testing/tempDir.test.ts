import { existsSync } from "node:fs";
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
