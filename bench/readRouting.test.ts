import { describe, expect, it } from "vitest";
import { formatReadRouting, type RunFigures } from "./readRouting";

const row = (router: boolean, scenario: RunFigures["scenario"], readsPerSecond: number, atBreak: RunFigures["atBreak"]): RunFigures => ({ router, scenario, readsPerSecond, failed: 0, longestGapMs: 40, onPrimaryPercent: scenario === "all down" && router ? 100 : 0, atBreak });

describe("formatReadRouting", () => {
  it("one line per scenario, router beside no router, the break's figures first ('-' when nothing broke)", () => {
    const rows = [
      row(true, "all healthy", 400, null), row(true, "one down", 390, { failed: 3, longestGapMs: 900 }), row(true, "all down", 420, { failed: 5, longestGapMs: 1200 }), row(true, "one down, cold pool", 380, null),
      row(false, "all healthy", 410, null), row(false, "one down", 405, { failed: 2, longestGapMs: 800 }), row(false, "all down", 0, { failed: 700, longestGapMs: 3500 }), row(false, "one down, cold pool", 300, null),
    ];
    const lines = formatReadRouting(rows).split("\n");
    expect(lines).toHaveLength(6);
    // Scenarios in their fixed order, whatever order the rows come in.
    expect(lines[4]).toBe("| one down, cold pool | - | 380 | 0 | 40 ms | 0% | - | 300 | 0 | 40 ms | 0% |");
    lines.splice(4, 1);
    expect(lines[2]).toBe("| all healthy | - | 400 | 0 | 40 ms | 0% | - | 410 | 0 | 40 ms | 0% |");
    expect(lines[3]).toBe("| one down | 3 / 900 ms | 390 | 0 | 40 ms | 0% | 2 / 800 ms | 405 | 0 | 40 ms | 0% |");
    expect(lines[4]).toBe("| all down | 5 / 1200 ms | 420 | 0 | 40 ms | 100% | 700 / 3500 ms | 0 | 0 | 40 ms | 0% |");
    for (const l of lines) expect(l.split("|")).toHaveLength(lines[0].split("|").length);
  });

  it("with one replica there is no 'one down' line", () => {
    const rows = [row(true, "all healthy", 1, null), row(true, "all down", 1, { failed: 0, longestGapMs: 1 }), row(false, "all healthy", 1, null), row(false, "all down", 0, { failed: 9, longestGapMs: 9 })];
    expect(formatReadRouting(rows).split("\n").map((l) => l.split(" | ")[0])).toEqual([expect.stringMatching(/^\| scenario/), "|---|---|---|---|---|---|---|---|---|---|---|", "| all healthy", "| all down"]);
  });
});
