import { describe, expect, it } from "vitest";
import { formatProjectDurations, type ProjectSpan } from "./projectDurations";

describe("per-project durations", () => {
  it("prints each project in the order it ran, with its wall time and slowest files", () => {
    const spans = new Map<string, ProjectSpan>([
      ["integration", { start: 60_000, end: 300_000, files: 2, tests: 9, perFile: [[100_000, "a.int.test.ts"], [140_000, "b.int.test.ts"]] }],
      ["unit", { start: 0, end: 55_500, files: 3, tests: 30, perFile: [[1_000, "x.test.ts"], [9_000, "y.test.ts"], [2_000, "z.test.ts"]] }],
    ]);
    expect(formatProjectDurations(spans, 2)).toEqual([
      "project unit: 3 files, 30 tests in 55.5 s wall",
      "  slowest: y.test.ts 9.0 s, z.test.ts 2.0 s",
      "project integration: 2 files, 9 tests in 240.0 s wall",
      "  slowest: b.int.test.ts 140.0 s, a.int.test.ts 100.0 s",
    ]);
  });
});
