import { describe, expect, it } from "vitest";
import { convergedLine, unconverged, verdictInput, type DrillOutcome } from "./convergence";

const o: DrillOutcome = {
  broke: "stopped PgBouncer",
  brokeAt: 1000,
  serviceWhat: "PgBouncer restarted",
  serviceBackMs: "at-heal",
  lost: { what: "acknowledged writes", count: 0 },
  broken: [],
  parts: ["pgbouncer"],
  promise: { serviceWithinMs: 30_000, healedWithinMs: 90_000 },
};

describe("unconverged", () => {
  it("every judged check not PASS or SKIP, with its message; GET p99 and the hit rate are not judged", () => {
    const results = [
      { id: "redis.node.redis-0", status: "FAIL", message: "claims role master but Sentinel names redis-1: two masters" },
      { id: "redis.sentinel-quorum", status: "WARN", message: "in TILT" },
      { id: "redis.replica-read.redis-1", status: "SKIP", message: "master" },
      { id: "redis.primary", status: "PASS", message: "ok" },
      { id: "redis.get-latency", status: "FAIL", message: "p99 120 ms" },
      { id: "redis.hit-rate", status: "WARN", message: "42%" },
    ] as const;
    expect(unconverged({ results: results.map((r) => ({ ...r, group: "cache", title: "", durationMs: 1, metrics: [] })) })).toEqual(["redis.node.redis-0 FAIL: claims role master but Sentinel names redis-1: two masters", "redis.sentinel-quorum WARN: in TILT"]);
  });
});

describe("verdictInput and convergedLine", () => {
  it("measures healed from the break, and service at the heal when nothing failed over", () => {
    const v = verdictInput("pgbouncer-down", o, 3500, { at: 4000, remaining: [], runs: 2 });
    expect([v.serviceBackMs, v.healedMs, v.unhealed]).toEqual([2500, 3000, []]);
    expect(convergedLine(o, { at: 4000, remaining: [], runs: 2 })).toBe("converged: the suite's pgbouncer checks are healthy 3.0 s after the break (2 suite run(s))");
  });

  it("not converged: no healed time, the checks still unhealthy by id and status", () => {
    const conv = { at: null, remaining: ["pgbouncer.read-only FAIL: timed out after 2000 ms connecting"], runs: 9 };
    const v = verdictInput("pgbouncer-down", o, null, conv);
    expect([v.serviceBackMs, v.healedMs, v.unhealed]).toEqual([null, null, ["pgbouncer.read-only FAIL"]]);
    expect(convergedLine(o, conv)).toBe("not converged within 90.0 s of the break: pgbouncer.read-only FAIL: timed out after 2000 ms connecting");
  });

  it("a measured service time is kept as it is", () => {
    expect(verdictInput("x", { ...o, serviceBackMs: 1234 }, null, { at: null, remaining: [], runs: 1 }).serviceBackMs).toBe(1234);
  });
});
