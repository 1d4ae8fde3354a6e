import { describe, expect, it } from "vitest";
import { DOCUMENTED_THRESHOLDS, THRESHOLD_KEYS, classify, formatLevel, levelsOrdered, resolveThresholds } from "./thresholds";

describe("documented thresholds", () => {
  it("holds design.md's table", () => {
    const rows = THRESHOLD_KEYS.map((k) => [DOCUMENTED_THRESHOLDS[k].label, formatLevel(DOCUMENTED_THRESHOLDS[k], DOCUMENTED_THRESHOLDS[k].warning), formatLevel(DOCUMENTED_THRESHOLDS[k], DOCUMENTED_THRESHOLDS[k].critical)]);
    expect(rows).toEqual([
      ["partition row-count delta (legacy vs partitioned)", "> 10", "> 100"],
      ["cache hit rate", "< 70%", "< 50%"],
      ["replica lag", "> 10 s", "> 30 s"],
      ["cache GET time", "> 50 ms", "> 100 ms"],
      ["cache invalidation failure rate", "> 5%", "> 10%"],
    ]);
  });

  it("classifies strictly, in the metric's direction", () => {
    const lag = DOCUMENTED_THRESHOLDS.replicaLag;
    expect(classify(lag, 10)).toBe("ok");
    expect(classify(lag, 10.5)).toBe("warning");
    expect(classify(lag, 30)).toBe("warning");
    expect(classify(lag, 31)).toBe("critical");
    const hit = DOCUMENTED_THRESHOLDS.cacheHitRate;
    expect(classify(hit, 95)).toBe("ok");
    expect(classify(hit, 69.9)).toBe("warning");
    expect(classify(hit, 49)).toBe("critical");
  });

  it("knows when levels are out of order", () => {
    expect(levelsOrdered(DOCUMENTED_THRESHOLDS.replicaLag, { warning: 10, critical: 30 })).toBe(true);
    expect(levelsOrdered(DOCUMENTED_THRESHOLDS.replicaLag, { warning: 30, critical: 10 })).toBe(false);
    expect(levelsOrdered(DOCUMENTED_THRESHOLDS.cacheHitRate, { warning: 70, critical: 50 })).toBe(true);
    expect(levelsOrdered(DOCUMENTED_THRESHOLDS.cacheHitRate, { warning: 50, critical: 70 })).toBe(false);
    expect(levelsOrdered(DOCUMENTED_THRESHOLDS.cacheHitRate, { warning: 60, critical: 60 })).toBe(false);
  });

  it("applies overrides without touching the documented table", () => {
    const t = resolveThresholds({ replicaLag: { warning: 5 } });
    expect(t.replicaLag).toMatchObject({ warning: 5, critical: 30, unit: "seconds" });
    expect(DOCUMENTED_THRESHOLDS.replicaLag.warning).toBe(10);
  });
});
