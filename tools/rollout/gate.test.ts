/** The gate's rules, each shown able to refuse on its own. */
import { describe, expect, it } from "vitest";
import { PHASES } from "../../components/flags/phases";
import { decideGate, READINESS_CHECK_PREFIXES, type AlarmEvidence, type GateInput } from "./gate";
import { suiteReport } from "./testkit";

const NOW = new Date("2026-12-05T12:00:00Z");
const hoursAgo = (h: number) => new Date(NOW.getTime() - h * 3600_000).toISOString();
const cloud = (a: Partial<AlarmEvidence> = {}): AlarmEvidence => ({ source: "cloudwatch", available: true, inAlarm: [], warningsInAlarm: [], alarmedSince: [], ...a });
const input = (over: Partial<GateInput> = {}): GateInput => ({ phases: PHASES, current: 1, phaseStartedAt: hoursAgo(25), now: NOW, suite: suiteReport(), alarms: cloud(), ...over });
const failing = (i: GateInput) => decideGate(i).checks.filter((c) => !c.ok).map((c) => c.id);

describe("decideGate", () => {
  it("opens when the suite is healthy with every readiness check, no critical alarm, and the soak has passed", () => {
    const d = decideGate(input());
    expect(d.ok).toBe(true);
    expect(d.checks.map((c) => c.id)).toEqual(["phase.next", "flag.settled", "suite.healthy", "suite.partition-readiness", "alarms.none-critical", "alarms.none-warning", "alarms.soak-clean", "soak.elapsed"]);
    expect(d.checks.find((c) => c.id === "phase.next")?.detail).toBe("pilot-1 (1%) -> phase-5 (5%)");
  });

  it.each([
    ["a FAIL anywhere", { suite: suiteReport({ "postgres.replicas": "FAIL" }) }, ["suite.healthy"]],
    ["a WARN anywhere (degraded is not healthy)", { suite: suiteReport({ "redis.ping": "WARN" }) }, ["suite.healthy"]],
    ["a stopped dual-write trigger", { suite: suiteReport({ "partition.dual-write.revenue_transactions": "FAIL" }) }, ["suite.healthy", "suite.partition-readiness"]],
    ["a skipped readiness check", { suite: suiteReport({ "partition.row-delta.expense_transactions": "SKIP" }) }, ["suite.partition-readiness"]],
    ["a critical alarm in ALARM", { alarms: cloud({ inAlarm: ["x-critical"] }) }, ["alarms.none-critical"]],
    ["a warning alarm in ALARM (hold)", { alarms: cloud({ warningsInAlarm: ["y-warning"] }) }, ["alarms.none-warning"]],
    ["a critical alarm that fired during the soak", { alarms: cloud({ alarmedSince: ["x-critical"] }) }, ["alarms.soak-clean"]],
    ["a soak not yet over (24 h at pilot)", { phaseStartedAt: hoursAgo(23) }, ["soak.elapsed"]],
    ["no recorded phase start", { phaseStartedAt: null }, ["soak.elapsed"]],
    ["an AppConfig deployment still baking", { inFlight: "AppConfig deployment 4 is BAKING (100% of hosts)" }, ["flag.settled"]],
    ["the last phase", { current: PHASES.length - 1, phaseStartedAt: hoursAgo(1000) }, ["phase.next"]],
  ] as const)("refuses on %s", (_t, over, expected) => {
    expect(failing(input(over as Partial<GateInput>))).toEqual(expected);
  });

  it("refuses when a whole kind of readiness check is missing (partition checks not run)", () => {
    const r = suiteReport();
    r.results = r.results.filter((x) => !x.id.startsWith("partition.dual-write."));
    const d = decideGate(input({ suite: r }));
    expect(d.ok).toBe(false);
    expect(d.checks.find((c) => c.id === "suite.partition-readiness")?.detail).toBe("missing readiness checks: partition.dual-write.* (were partition pairs configured and the partition checks run?)");
    expect(READINESS_CHECK_PREFIXES).toHaveLength(4);
  });

  it("reconcile results inform but do not gate", () => {
    expect(failing(input({ suite: { ...suiteReport({ "partition.reconcile.revenue_transactions": "SKIP" }), overall: "healthy" } }))).toEqual([]);
  });

  it("off needs no soak; an explicit soak replaces the phase's", () => {
    expect(failing(input({ current: 0, phaseStartedAt: null }))).toEqual([]);
    expect(failing(input({ current: 0, phaseStartedAt: null, soakSeconds: 60 }))).toEqual([]);
    expect(failing(input({ soakSeconds: 0, phaseStartedAt: hoursAgo(0) }))).toEqual([]);
    expect(failing(input({ soakSeconds: 7200, phaseStartedAt: hoursAgo(1) }))).toEqual(["soak.elapsed"]);
    expect(decideGate(input({ soakSeconds: 7200, phaseStartedAt: hoursAgo(1) })).checks.at(-1)?.detail).toBe("1.0 h of 2.0 h at pilot-1; 1.0 h to go");
  });

  it("locally (no CloudWatch) a suite FAIL stands for a critical alarm, and there is no alarm history check", () => {
    const local: AlarmEvidence = { source: "no CloudWatch alarms on a local stack", available: false, inAlarm: [], warningsInAlarm: [], alarmedSince: [] };
    const d = decideGate(input({ alarms: local, suite: suiteReport({ "postgres.replicas": "FAIL" }) }));
    expect(d.checks.map((c) => c.id)).not.toContain("alarms.soak-clean");
    expect(d.checks.map((c) => c.id)).not.toContain("alarms.none-warning");
    expect(d.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(["suite.healthy", "alarms.none-critical"]);
  });
});
