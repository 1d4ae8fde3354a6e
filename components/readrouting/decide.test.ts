import { describe, expect, it } from "vitest";
import { resolveThresholds } from "../thresholds/thresholds";
import { decideRoute, type ReplicaMeasurement } from "./decide";

const replicas = [
  { name: "r1", host: "10.0.0.1", port: 5432 },
  { name: "r2", host: "10.0.0.2", port: 5432 },
];
// The documented levels: warning > 10 s, critical > 30 s.
const lag = resolveThresholds().replicaLag;
const ok = (name: string, lagSeconds = 0.2): ReplicaMeasurement => ({ name, reachable: true, inRecovery: true, lagSeconds });
const down = (name: string): ReplicaMeasurement => ({ name, reachable: false, inRecovery: null, lagSeconds: null, error: "connect ECONNREFUSED" });

describe("decideRoute", () => {
  it("keeps every healthy replica, unchanged", () => {
    const d = decideRoute({ replicas, measurements: [ok("r1"), ok("r2")], current: ["r1", "r2"], lag });
    expect(d).toEqual({ healthy: ["r1", "r2"], route: "replicas", changed: false, reasons: [] });
  });

  it("takes an unreachable replica out at once, with the reason", () => {
    const d = decideRoute({ replicas, measurements: [down("r1"), ok("r2")], current: ["r1", "r2"], lag });
    expect(d.healthy).toEqual(["r2"]);
    expect(d.changed).toBe(true);
    expect(d.reasons).toEqual(["r1 out: unreachable (connect ECONNREFUSED)"]);
  });

  it("takes out a replica that is not in recovery (promoted)", () => {
    const d = decideRoute({ replicas, measurements: [ok("r1"), { ...ok("r2"), inRecovery: false }], current: ["r1", "r2"], lag });
    expect(d.healthy).toEqual(["r1"]);
    expect(d.reasons[0]).toMatch(/r2 out: not in recovery/);
  });

  it("a replica that was not measured counts as unreachable", () => {
    expect(decideRoute({ replicas, measurements: [ok("r1")], current: ["r1", "r2"], lag }).healthy).toEqual(["r1"]);
  });

  it("falls back to the primary when none is healthy, and says so", () => {
    const d = decideRoute({ replicas, measurements: [down("r1"), down("r2")], current: ["r1", "r2"], lag });
    expect(d.healthy).toEqual([]);
    expect(d.route).toBe("primary-fallback");
    expect(d.reasons).toContain("no healthy replica: reads fall back to the primary");
    // Staying on the primary is no change, and repeats no reason.
    expect(decideRoute({ replicas, measurements: [down("r1"), down("r2")], current: [], lag })).toEqual({ healthy: [], route: "primary-fallback", changed: false, reasons: [] });
  });

  it("leaves the primary when a replica comes back", () => {
    const d = decideRoute({ replicas, measurements: [ok("r1"), down("r2")], current: [], lag });
    expect(d.healthy).toEqual(["r1"]);
    expect(d.route).toBe("replicas");
    expect(d.reasons).toEqual(["r1 in: lag 0.2 s within the warning level 10 s", "reads leave the primary for the replicas"]);
  });

  it("hysteresis: out beyond critical, back only within warning, kept in between", () => {
    const at = (lagSeconds: number, current: string[]) => decideRoute({ replicas: [replicas[0]], measurements: [ok("r1", lagSeconds)], current, lag }).healthy;
    expect(at(30, ["r1"])).toEqual(["r1"]); // critical is "> 30 s": 30 is not beyond
    expect(at(30.5, ["r1"])).toEqual([]);
    // Between the levels, membership holds either way: no flapping around 30 s.
    expect(at(29, ["r1"])).toEqual(["r1"]);
    expect(at(29, [])).toEqual([]);
    expect(at(11, [])).toEqual([]);
    expect(at(10, [])).toEqual(["r1"]);
    // A replica oscillating 28 <-> 32 s changes once, not every round.
    let set = ["r1"];
    let changes = 0;
    for (const l of [28, 32, 28, 32, 28, 29, 31, 25, 12, 9.5]) {
      const d = decideRoute({ replicas: [replicas[0]], measurements: [ok("r1", l)], current: set, lag });
      if (d.changed) changes++;
      set = d.healthy;
    }
    expect(changes).toBe(2); // out at the first 32, back in at 9.5
    expect(set).toEqual(["r1"]);
  });

  it("follows the stack's overridden levels", () => {
    const low = resolveThresholds({ replicaLag: { warning: 1, critical: 3 } }).replicaLag;
    expect(decideRoute({ replicas, measurements: [ok("r1", 3.5), ok("r2", 0.1)], current: ["r1", "r2"], lag: low }).healthy).toEqual(["r2"]);
  });

  it("lag unknown (primary away): members stay, non-members stay out", () => {
    const unknown = (n: string): ReplicaMeasurement => ({ ...ok(n), lagSeconds: null });
    const d = decideRoute({ replicas, measurements: [unknown("r1"), unknown("r2")], current: ["r1"], lag });
    expect(d.healthy).toEqual(["r1"]);
    expect(d.changed).toBe(false);
  });

  it("lag unknown and no member left: the answering replicas serve rather than nobody", () => {
    const unknown = (n: string): ReplicaMeasurement => ({ ...ok(n), lagSeconds: null });
    const d = decideRoute({ replicas, measurements: [unknown("r1"), down("r2")], current: [], lag });
    expect(d.healthy).toEqual(["r1"]);
    expect(d.reasons[0]).toMatch(/r1 in: lag unknown/);
  });

  it("keeps configuration order whatever order the measurements come in", () => {
    const d = decideRoute({ replicas, measurements: [ok("r2"), ok("r1")], current: ["r2"], lag });
    expect(d.healthy).toEqual(["r1", "r2"]);
  });

  it("a name in the current set that is not configured any more is a change", () => {
    const d = decideRoute({ replicas, measurements: [ok("r1"), ok("r2")], current: ["r1", "r2", "old"], lag });
    expect(d.changed).toBe(true);
    expect(d.healthy).toEqual(["r1", "r2"]);
  });
});
