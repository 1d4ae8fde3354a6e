import { describe, expect, it } from "vitest";
import { convergedLine, heldOpen, timedHook, unconverged, verdictInput, type DrillOutcome } from "./convergence";
import { formatVerdict, judgeDrill } from "./verdict";

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

describe("heldOpen: a caller holding the fault in place (a test's whileBroken hook)", () => {
  it("an at-heal drill's service bound and every healed bound grow by the time held; the figures stay from the break", () => {
    const h = heldOpen(o, 25_300);
    expect(h.promise).toEqual({ serviceWithinMs: 55_300, healedWithinMs: 115_300, heldMs: 25_300 });
    // Measured in CI: a PgBouncer stop held 30 s by the suite's runs, back 7 s after the heal.
    const v = verdictInput("pgbouncer-down", h, 1000 + 37_000, { at: 1000 + 43_700, remaining: [], runs: 1 });
    expect(judgeDrill(v).pass).toBe(true);
    expect(judgeDrill(verdictInput("pgbouncer-down", o, 1000 + 37_000, { at: 1000 + 43_700, remaining: [], runs: 1 })).pass).toBe(false);
    expect(formatVerdict(v)).toMatch(/^verdict pgbouncer-down: PASS\. Broke: stopped PgBouncer; service back after 37\.0 s .*Promise: service within 55\.3 s, healed within 115\.3 s, no acknowledged writes lost \(the bounds include the 25\.3 s the caller held the fault in place\)\.$/);
  });

  it("a drill whose service comes back without the heal (a failover) keeps its service bound", () => {
    expect(heldOpen({ ...o, serviceBackMs: 3300 }, 10_000).promise).toEqual({ serviceWithinMs: 30_000, healedWithinMs: 100_000, heldMs: 10_000 });
  });

  it("nothing held: the outcome unchanged and the verdict says nothing of it", () => {
    expect(heldOpen(o, 0)).toBe(o);
    expect(formatVerdict(verdictInput("pgbouncer-down", o, 3500, { at: 4000, remaining: [], runs: 1 }))).not.toMatch(/held/);
  });

  it("timedHook adds up the time each call of the hook took, also when it throws", async () => {
    expect(timedHook(undefined).heldMs()).toBe(0);
    let n = 0;
    const t = timedHook(async () => {
      await new Promise((r) => setTimeout(r, 60));
      if (++n === 2) throw new Error("boom");
    });
    await t.hook!();
    await expect(t.hook!()).rejects.toThrow("boom");
    expect(t.heldMs()).toBeGreaterThanOrEqual(110);
  });
});
