import { describe, expect, it } from "vitest";
import { failureReasons, formatReadFigures, readFigures, type Read } from "./readLoop";

const r = (start: number, end: number, server: Read["server"]): Read => ({ start, end, ok: server !== null, server });

describe("readFigures", () => {
  it("counts, finds the longest gap between successful reads, and the runs of servers", () => {
    const reads = [r(0, 5, "replica"), r(10, 15, "replica"), r(20, 1020, null), r(1030, 1300, "primary"), r(1310, 1320, "primary"), r(1330, 1340, "replica")];
    const f = readFigures(reads);
    expect(f).toEqual({ ok: 5, failed: 1, longestGapMs: 1285, servedBy: [["replica", 2], ["primary", 2], ["replica", 1]] });
    expect(formatReadFigures(f)).toBe("reads: 5 ok, 1 failed; longest gap 1285 ms; served by: replica (2 reads), then primary (2 reads), then replica (1 read)");
  });

  it("counts only reads begun from a time, and a trailing failure run is a gap too", () => {
    const reads = [r(0, 5, null), r(10, 15, "replica"), r(20, 500, null)];
    expect(readFigures(reads, 10)).toEqual({ ok: 1, failed: 1, longestGapMs: 485, servedBy: [["replica", 1]] });
    expect(formatReadFigures(readFigures([]))).toBe("reads: 0 ok, 0 failed; longest gap 0 ms; served by: nothing");
  });
});

describe("failureReasons", () => {
  it("groups failed reads by message, with when each began after the break", () => {
    const fail = (start: number, error: string): Read => ({ start, end: start + 1, ok: false, server: null, error });
    const reads = [r(90, 95, "replica"), fail(105, "terminating connection due to administrator command"), fail(984, "server login has been failing"), r(990, 995, "replica"), fail(985, "server login has been failing")];
    expect(failureReasons(reads, 100)).toBe("1x terminating connection due to administrator command (at 5 ms after the break); 2x server login has been failing (at 884, 885 ms after the break)");
    expect(failureReasons([r(0, 1, "primary")], 0)).toBe("");
  });
});
