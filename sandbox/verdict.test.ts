import { describe, expect, it } from "vitest";
import { formatVerdict, judgeDrill, seconds, type DrillVerdictInput } from "./verdict";

const base: DrillVerdictInput = {
  drill: "redis-failover",
  broke: "kill -9 of the Redis master redis-0",
  serviceWhat: "a write acknowledged by a replica (WAIT 1)",
  serviceBackMs: 3300,
  healedMs: 7940,
  lost: { what: "acknowledged writes", count: 0, of: 723 },
  promise: { serviceWithinMs: 30_000, healedWithinMs: 60_000 },
};

describe("judgeDrill", () => {
  it("passes when service came back in time, nothing was lost and the topology healed in time", () => {
    expect(judgeDrill(base)).toEqual({ pass: true, reasons: [] });
  });

  it("fails on each broken part of the promise, naming it", () => {
    expect(judgeDrill({ ...base, serviceBackMs: 31_000 }).reasons).toEqual(["service came back after 31.0 s, later than the promised 30.0 s"]);
    expect(judgeDrill({ ...base, serviceBackMs: null }).reasons).toEqual(["service did not come back within the drill's bounds"]);
    expect(judgeDrill({ ...base, lost: { what: "acknowledged writes", count: 2, of: 10 } }).reasons).toEqual(["2 acknowledged writes lost (at most 0 promised)"]);
    expect(judgeDrill({ ...base, healedMs: 61_000 }).reasons).toEqual(["healed after 61.0 s, later than the promised 60.0 s"]);
    expect(judgeDrill({ ...base, healedMs: null, unhealed: ["redis.node.redis-0 FAIL: two masters"] }).reasons).toEqual(["not healed within 60.0 s (still: redis.node.redis-0 FAIL: two masters)"]);
    expect(judgeDrill({ ...base, broken: ["3 reads failed after the router's bound"] }).reasons).toEqual(["3 reads failed after the router's bound"]);
  });

  it("an unmeasured figure fails: a drill that cannot tell does not pass", () => {
    expect(judgeDrill({ ...base, lost: { what: "acknowledged writes", count: null } })).toEqual({ pass: false, reasons: ["acknowledged writes lost: not measured"] });
  });

  it("allows what the promise allows, not more", () => {
    expect(judgeDrill({ ...base, lost: { what: "reads failed", count: 1, allowed: 1 } }).pass).toBe(true);
    expect(judgeDrill({ ...base, lost: { what: "reads failed", count: 2, allowed: 1 } }).pass).toBe(false);
  });

  it("collects every broken part at once", () => {
    expect(judgeDrill({ ...base, serviceBackMs: null, healedMs: null, lost: { what: "x", count: 3 } }).reasons).toHaveLength(3);
  });
});

describe("formatVerdict", () => {
  it("one line: what broke, service back, healed, lost, PASS, and the promise, in seconds", () => {
    const line = formatVerdict(base);
    expect(line).toBe(
      "verdict redis-failover: PASS. Broke: kill -9 of the Redis master redis-0; service back after 3.3 s (a write acknowledged by a replica (WAIT 1)); fully healed after 7.9 s; lost: 0 of 723 acknowledged writes. Promise: service within 30.0 s, healed within 60.0 s, no acknowledged writes lost.",
    );
    expect(line).not.toContain("\n");
  });

  it("a FAIL names what is broken, after the figures", () => {
    const line = formatVerdict({ ...base, healedMs: null, serviceBackMs: null, lost: { what: "acknowledged writes", count: null }, unhealed: ["redis.node.redis-0 FAIL"] });
    expect(line).toMatch(/^verdict redis-failover: FAIL\. /);
    expect(line).toContain("service not back");
    expect(line).toContain("not healed within 60.0 s");
    expect(line).toContain("lost: not measured (acknowledged writes)");
    expect(line).toMatch(/ Broken: service did not come back within the drill's bounds; acknowledged writes lost: not measured; not healed within 60\.0 s \(still: redis\.node\.redis-0 FAIL\)\.$/);
  });

  it("a count without a total and an allowance read plainly", () => {
    expect(formatVerdict({ ...base, lost: { what: "reads failing past the bound", count: 0, allowed: 1 } })).toContain("lost: 0 reads failing past the bound. Promise: service within 30.0 s, healed within 60.0 s, at most 1 reads failing past the bound lost.");
  });

  it("a note on the loss is shown once, after the count, not in the promise", () => {
    const line = formatVerdict({ ...base, lost: { what: "acknowledged writes", count: 0, note: "PgBouncer holds none" } });
    expect(line).toContain("lost: 0 acknowledged writes (PgBouncer holds none). Promise: service within 30.0 s, healed within 60.0 s, no acknowledged writes lost.");
    expect(line.split("PgBouncer holds none")).toHaveLength(2);
  });

  it("seconds: one decimal, never a bare ratio", () => {
    expect([seconds(0), seconds(49), seconds(15_038), seconds(120_000)]).toEqual(["0.0 s", "0.0 s", "15.0 s", "120.0 s"]);
  });
});
