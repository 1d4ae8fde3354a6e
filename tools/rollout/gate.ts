/**
 * The gate: whether the rollout may move from its phase to the next. Pure: the suite's
 * report, the alarms' evidence and the clock go in, the checks and the verdict come out,
 * so every rule is tested without a database or a cloud.
 *
 * Checks, all required:
 * - suite.healthy: the smoke suite's overall verdict is HEALTHY (no FAIL, no WARN);
 * - suite.partition-readiness: the partition readiness checks ran and passed (row parity,
 *   partitions exist, dual-write triggers enabled, recent writes) for every pair;
 * - alarms.none-critical: no critical alarm is in ALARM now;
 * - alarms.none-warning: no warning alarm is in ALARM now (a warning holds the rollout);
 * - alarms.soak-clean: no critical alarm went to ALARM since the phase began;
 * - soak.elapsed: the phase has run its soak time;
 * - phase.next: there is a next phase;
 * - flag.settled: the current phase's deployment has finished rolling out and baking (AWS).
 */
import type { Phase } from "../../components/flags/phases";

export interface SuiteEvidence {
  overall: "healthy" | "degraded" | "unhealthy";
  results: { id: string; group: string; status: "PASS" | "WARN" | "FAIL" | "SKIP"; message: string }[];
}

export interface AlarmEvidence {
  /** "cloudwatch", or a sentence saying why there are no alarms (local stacks). */
  source: string;
  /** Whether alarm states exist for this stack (CloudWatch); locally the suite judges the thresholds. */
  available: boolean;
  /** Critical alarms in ALARM now. */
  inAlarm: string[];
  /** Warning alarms in ALARM now: a warning holds the rollout (docs/rollout.md, decision table). */
  warningsInAlarm: string[];
  /** Critical alarms that went to ALARM since the phase began. */
  alarmedSince: string[];
}

export interface GateInput {
  phases: readonly Phase[];
  current: number;
  /** When the current phase began (ISO), null when the history holds no step. */
  phaseStartedAt: string | null;
  now: Date;
  /** The soak to require, seconds. @default the current phase's soakMinutes */
  soakSeconds?: number;
  suite: SuiteEvidence;
  alarms: AlarmEvidence;
  /** A deployment still in flight (rolling out or baking), or undefined when settled. */
  inFlight?: string;
}

export interface GateCheck {
  id: string;
  ok: boolean;
  detail: string;
}

export interface GateDecision {
  ok: boolean;
  checks: GateCheck[];
}

/** The readiness checks the switchover needs (checks/partition.ts); reconcile and size estimates inform, they do not gate. */
export const READINESS_CHECK_PREFIXES = ["partition.row-delta.", "partition.partitions.", "partition.dual-write.", "partition.recent-writes."] as const;

function duration(s: number): string {
  return s >= 3600 ? `${(s / 3600).toFixed(1)} h` : s >= 60 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`;
}

export function decideGate(i: GateInput): GateDecision {
  const checks: GateCheck[] = [];
  const next = i.current + 1 < i.phases.length ? i.phases[i.current + 1] : undefined;
  checks.push({ id: "phase.next", ok: next !== undefined, detail: next ? `${i.phases[i.current].name} (${i.phases[i.current].percentage}%) -> ${next.name} (${next.percentage}%)` : `${i.phases[i.current].name} is the last phase` });

  // Advancing during the bake would cut short the time AppConfig watches the monitor.
  checks.push({ id: "flag.settled", ok: i.inFlight === undefined, detail: i.inFlight === undefined ? "the current phase's flag is settled" : `${i.inFlight}; wait for it to complete` });

  const bad = i.suite.results.filter((r) => r.status === "FAIL" || r.status === "WARN");
  checks.push({
    id: "suite.healthy",
    ok: i.suite.overall === "healthy",
    detail: i.suite.overall === "healthy" ? `HEALTHY (${i.suite.results.length} checks)` : `${i.suite.overall.toUpperCase()}: ${bad.map((r) => `${r.id} ${r.status}`).join(", ")}`,
  });

  const readiness = i.suite.results.filter((r) => READINESS_CHECK_PREFIXES.some((p) => r.id.startsWith(p)));
  const kinds = READINESS_CHECK_PREFIXES.filter((p) => !readiness.some((r) => r.id.startsWith(p)));
  const notPass = readiness.filter((r) => r.status !== "PASS");
  checks.push({
    id: "suite.partition-readiness",
    ok: kinds.length === 0 && notPass.length === 0,
    detail:
      kinds.length > 0
        ? `missing readiness checks: ${kinds.map((k) => `${k}*`).join(", ")} (were partition pairs configured and the partition checks run?)`
        : notPass.length > 0
          ? notPass.map((r) => `${r.id} ${r.status}: ${r.message}`).join("; ")
          : `${readiness.length} readiness checks PASS`,
  });

  if (i.alarms.available) {
    checks.push({ id: "alarms.none-critical", ok: i.alarms.inAlarm.length === 0, detail: i.alarms.inAlarm.length === 0 ? "no critical alarm in ALARM" : `in ALARM: ${i.alarms.inAlarm.join(", ")}` });
    checks.push({ id: "alarms.none-warning", ok: i.alarms.warningsInAlarm.length === 0, detail: i.alarms.warningsInAlarm.length === 0 ? "no warning alarm in ALARM" : `in ALARM (hold): ${i.alarms.warningsInAlarm.join(", ")}` });
    checks.push({ id: "alarms.soak-clean", ok: i.alarms.alarmedSince.length === 0, detail: i.alarms.alarmedSince.length === 0 ? "no critical alarm fired since the phase began" : `fired since the phase began: ${i.alarms.alarmedSince.join(", ")}` });
  } else {
    // Locally there is no CloudWatch: the suite measures the same thresholds (a critical level is a FAIL).
    checks.push({ id: "alarms.none-critical", ok: !i.suite.results.some((r) => r.status === "FAIL"), detail: `${i.alarms.source}; the suite's FAILs stand for critical alarms` });
  }

  // Off exposes nobody: there is nothing to soak before the pilot, whatever soak was asked for.
  const soak = i.phases[i.current].percentage === 0 ? 0 : (i.soakSeconds ?? i.phases[i.current].soakMinutes * 60);
  const started = i.phaseStartedAt ? Date.parse(i.phaseStartedAt) : Number.NaN;
  const elapsed = Number.isFinite(started) ? (i.now.getTime() - started) / 1000 : null;
  const soaked = soak === 0 || (elapsed !== null && elapsed >= soak);
  checks.push({
    id: "soak.elapsed",
    ok: soaked,
    detail: soak === 0 ? "no soak required" : elapsed === null ? `no recorded start of ${i.phases[i.current].name}; its ${duration(soak)} soak cannot be proven` : `${duration(Math.max(0, elapsed))} of ${duration(soak)} at ${i.phases[i.current].name}${soaked ? "" : `; ${duration(soak - elapsed)} to go`}`,
  });
  return { ok: checks.every((c) => c.ok), checks };
}
