/**
 * The switchover's phase table (seed: "Rollout Phases", pilot 1% then 5, 10, 25, 50,
 * 100%), in one place: the rollout command walks it, the AppConfig component makes one
 * deployment strategy per phase from it, the docs print it.
 *
 * Writes lead: a phase first moves writes to the partitioned tables for its share of
 * organizations, and reads follow at the same share (the dual-write triggers keep the
 * legacy tables complete, so rolling back either flag loses nothing).
 */
import type { SwitchoverState } from "./document";

export interface Phase {
  /** Stable name, used in history and strategy names. */
  name: string;
  /** Share of organizations on the partitioned tables (both flags). */
  percentage: number;
  /** Time the phase must run with no critical alarm and a healthy suite before the next one, minutes. */
  soakMinutes: number;
  /** The AppConfig deployment strategy that rolls this phase's document out to the hosts. */
  strategy: { deploymentDurationMinutes: number; growthFactor: number; growthType: "LINEAR" | "EXPONENTIAL"; finalBakeMinutes: number };
}

const HOUR = 60;

/** Phase 0 is "off": both flags at 0%, where a rollback returns. */
export const PHASES: readonly Phase[] = [
  { name: "off", percentage: 0, soakMinutes: 0, strategy: { deploymentDurationMinutes: 0, growthFactor: 100, growthType: "LINEAR", finalBakeMinutes: 0 } },
  { name: "pilot-1", percentage: 1, soakMinutes: 24 * HOUR, strategy: { deploymentDurationMinutes: 10, growthFactor: 20, growthType: "LINEAR", finalBakeMinutes: 30 } },
  { name: "phase-5", percentage: 5, soakMinutes: 24 * HOUR, strategy: { deploymentDurationMinutes: 10, growthFactor: 20, growthType: "LINEAR", finalBakeMinutes: 30 } },
  { name: "phase-10", percentage: 10, soakMinutes: 24 * HOUR, strategy: { deploymentDurationMinutes: 15, growthFactor: 20, growthType: "LINEAR", finalBakeMinutes: 60 } },
  { name: "phase-25", percentage: 25, soakMinutes: 48 * HOUR, strategy: { deploymentDurationMinutes: 20, growthFactor: 10, growthType: "EXPONENTIAL", finalBakeMinutes: 60 } },
  { name: "phase-50", percentage: 50, soakMinutes: 48 * HOUR, strategy: { deploymentDurationMinutes: 30, growthFactor: 10, growthType: "EXPONENTIAL", finalBakeMinutes: 120 } },
  { name: "full-100", percentage: 100, soakMinutes: 72 * HOUR, strategy: { deploymentDurationMinutes: 30, growthFactor: 10, growthType: "EXPONENTIAL", finalBakeMinutes: 120 } },
];

/** The strategy a rollback deploys with: every host at once, no bake (the flag off is the safe state). */
export const ROLLBACK_STRATEGY = { deploymentDurationMinutes: 0, growthFactor: 100, growthType: "LINEAR", finalBakeMinutes: 0 } as const;

/** The flags a phase sets. */
export function stateOf(phase: Pick<Phase, "percentage">): SwitchoverState {
  return { partitionedWrites: phase.percentage, partitionedReads: phase.percentage };
}

/** The phase a flag state corresponds to, or undefined for a state no phase sets (edited by hand). */
export function phaseOfState(state: SwitchoverState, phases: readonly Phase[] = PHASES): number | undefined {
  const i = phases.findIndex((p) => p.percentage === state.partitionedReads && p.percentage === state.partitionedWrites);
  return i < 0 ? undefined : i;
}

/** The next phase index, or undefined at the last phase. */
export function nextPhase(current: number, phases: readonly Phase[] = PHASES): number | undefined {
  return current + 1 < phases.length ? current + 1 : undefined;
}

/** Problems with a phase table: increasing percentages from 0 to 100, unique names. */
export function phaseTableProblems(phases: readonly Phase[]): string[] {
  const problems: string[] = [];
  if (phases[0]?.percentage !== 0) problems.push("the first phase must be off (0%)");
  if (phases[phases.length - 1]?.percentage !== 100) problems.push("the last phase must be 100%");
  phases.forEach((p, i) => {
    if (i > 0 && p.percentage <= phases[i - 1].percentage) problems.push(`${p.name}: ${p.percentage}% is not above ${phases[i - 1].name}'s ${phases[i - 1].percentage}%`);
    if (!/^[a-z][a-z0-9-]{0,15}$/.test(p.name)) problems.push(`${p.name}: expected 1-16 lower-case letters, digits, -`);
  });
  const names = phases.map((p) => p.name);
  for (const n of new Set(names)) if (names.filter((x) => x === n).length > 1) problems.push(`${n}: two phases share the name`);
  return problems;
}

/** Markdown phase table (docs/rollout.md). */
export function formatPhaseTable(phases: readonly Phase[] = PHASES): string {
  const rows = phases.map((p, i) => {
    const s = p.strategy;
    const strategy = i === 0 ? "(rollback strategy: all at once, no bake)" : `${s.growthType} ${s.growthFactor}% over ${s.deploymentDurationMinutes} min, bake ${s.finalBakeMinutes} min`;
    return `| ${i} | ${p.name} | ${p.percentage}% | ${p.percentage}% | ${i === 0 ? "-" : `${p.soakMinutes / 60} h`} | ${strategy} |`;
  });
  return ["| # | phase | partitionedWrites | partitionedReads | soak before next | AppConfig strategy |", "|---|---|---|---|---|---|", ...rows].join("\n");
}
