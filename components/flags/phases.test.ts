/** The phase table and the deployment strategies, with AppConfig's limits. */
import { describe, expect, it } from "vitest";
import { formatPhaseTable, nextPhase, phaseOfState, phaseTableProblems, PHASES, stateOf, type Phase } from "./phases";
import { anyAlarmRule, COMPOSITE_RULE_MAX_CHARS, strategyProblems, strategySpecs, type DeploymentStrategySpec } from "./strategies";

describe("the phase table", () => {
  it("is off, the 1% pilot, then 5, 10, 25, 50 and 100%", () => {
    expect(PHASES.map((p) => p.percentage)).toEqual([0, 1, 5, 10, 25, 50, 100]);
    expect(phaseTableProblems(PHASES)).toEqual([]);
  });

  it("moves writes and reads together; every phase's state maps back to it", () => {
    PHASES.forEach((p, i) => {
      expect(stateOf(p)).toEqual({ partitionedWrites: p.percentage, partitionedReads: p.percentage });
      expect(phaseOfState(stateOf(p))).toBe(i);
    });
    expect(phaseOfState({ partitionedReads: 5, partitionedWrites: 10 })).toBeUndefined();
    expect(nextPhase(0)).toBe(1);
    expect(nextPhase(PHASES.length - 1)).toBeUndefined();
  });

  it("refuses a table that is not off..100% strictly increasing with unique names", () => {
    const bad: Phase[] = [{ ...PHASES[1] }, { ...PHASES[2], percentage: 1 }, { ...PHASES[2], name: "Phase 5" }];
    const p = phaseTableProblems(bad).join("\n");
    expect(p).toMatch(/first phase must be off/);
    expect(p).toMatch(/last phase must be 100%/);
    expect(p).toMatch(/phase-5: 1% is not above pilot-1's 1%/);
    expect(p).toMatch(/Phase 5: expected 1-16 lower-case/);
    expect(phaseTableProblems([PHASES[0], PHASES[1], PHASES[1], PHASES[6]])).toContain("pilot-1: two phases share the name");
  });

  it("renders one markdown row per phase", () => {
    const t = formatPhaseTable().split("\n");
    expect(t).toHaveLength(PHASES.length + 2);
    expect(t[3]).toBe("| 1 | pilot-1 | 1% | 1% | 24 h | LINEAR 20% over 10 min, bake 30 min |");
  });
});

describe("deployment strategies", () => {
  const specs = strategySpecs("data-tier-prod");

  it("one per phase after off, plus rollback (all at once, no bake); all within AppConfig's limits", () => {
    expect(specs.map((s) => s.key)).toEqual([...PHASES.slice(1).map((p) => p.name), "rollback"]);
    expect(specs.flatMap(strategyProblems)).toEqual([]);
    expect(specs.at(-1)).toMatchObject({ deploymentDurationInMinutes: 0, growthFactor: 100, finalBakeTimeInMinutes: 0, replicateTo: "NONE" });
  });

  // The class of limits, at and past each edge (CreateDeploymentStrategy).
  const base: DeploymentStrategySpec = specs[0];
  it.each<[string, Partial<DeploymentStrategySpec>, RegExp | null]>([
    ["name of 64 characters", { name: "n".repeat(64) }, null],
    ["name of 65 characters", { name: "n".repeat(65) }, /name .* is 65 characters; AppConfig allows 1-64/],
    ["empty name", { name: "" }, /allows 1-64/],
    ["duration 0 and 1440", { deploymentDurationInMinutes: 1440, finalBakeTimeInMinutes: 0 }, null],
    ["duration 1441", { deploymentDurationInMinutes: 1441 }, /deploymentDurationInMinutes is 1441; expected a whole number from 0 to 1440/],
    ["bake -1", { finalBakeTimeInMinutes: -1 }, /finalBakeTimeInMinutes is -1/],
    ["fractional duration", { deploymentDurationInMinutes: 1.5 }, /deploymentDurationInMinutes is 1.5/],
    ["growth 1 and 100", { growthFactor: 1 }, null],
    ["growth 0.5", { growthFactor: 0.5 }, /growthFactor is 0.5; expected 1-100/],
    ["growth 101", { growthFactor: 101 }, /growthFactor is 101/],
    ["growth NaN", { growthFactor: Number.NaN }, /growthFactor is NaN/],
    ["growth type STEP", { growthType: "STEP" as "LINEAR" }, /growthType is STEP; expected LINEAR or EXPONENTIAL/],
    ["replicateTo S3", { replicateTo: "S3" as "NONE" }, /replicateTo is S3; expected NONE or SSM_DOCUMENT/],
    ["SSM_DOCUMENT", { replicateTo: "SSM_DOCUMENT" }, null],
    ["description of 1025", { description: "d".repeat(1025) }, /description is 1025 characters; at most 1024/],
  ])("%s", (_t, patch, expected) => {
    const p = strategyProblems({ ...base, ...patch });
    if (expected) expect(p).toEqual([expect.stringMatching(expected)]);
    else expect(p).toEqual([]);
  });

  it("a long stack prefix breaks the name limit and is reported by key", () => {
    const long = strategySpecs("x".repeat(50));
    expect(long.flatMap(strategyProblems).some((p) => p.startsWith("phase-10: name"))).toBe(true);
  });
});

describe("the composite monitor rule", () => {
  it("is ALARM(name) OR ... over every critical alarm", () => {
    expect(anyAlarmRule(["a-critical", "b-critical"])).toBe('ALARM("a-critical") OR ALARM("b-critical")');
  });
  it("refuses no alarm, a name with a quote, and a rule past CloudWatch's 10240 characters", () => {
    expect(() => anyAlarmRule([])).toThrow(/no critical alarm/);
    expect(() => anyAlarmRule(['a"b'])).toThrow(/quote or parenthesis/);
    const many = Array.from({ length: 200 }, (_, i) => `data-tier-prod-alarms-partition-row-delta-table-${i}-critical`);
    expect(() => anyAlarmRule(many)).toThrow(new RegExp(`CloudWatch allows ${COMPOSITE_RULE_MAX_CHARS}`));
  });
});
