/**
 * The rollback decision table (seed: "Rollback decision matrix"), generated from the alarm
 * catalogue: one row per kind of alarm and severity the catalogue holds, with what the
 * rollout does when it fires. docs/rollout.md carries the table for the prod stack's
 * catalogue; a test pins it (regenerate with `npx tsx tools/rollout/docs.ts`).
 *
 * The rule: a critical alarm rolls the switchover back (on AWS, AppConfig already reverts a
 * deployment in flight or baking, because the environment's monitor is any critical alarm);
 * a warning holds it (the gate refuses while a warning alarm is in ALARM or the suite WARNs).
 */
import { alarmPlan, RUNBOOK, type AlarmSpec } from "../../components/alarms/catalogue";
import type { Settings } from "../../components/settings/schema";
import { resolveThresholds } from "../../components/thresholds/thresholds";

export type Decision = "roll back" | "hold";

export interface DecisionRow {
  kind: AlarmSpec["kind"];
  severity: AlarmSpec["severity"];
  /** What is watched, e.g. "ReplicaLag". */
  metric: string;
  /** e.g. "> 30 Seconds". */
  threshold: string;
  decision: Decision;
  /** What to do, beyond the command. */
  action: string;
  runbook: string;
}

/** Kinds whose decision needs more than the rule's default action. */
const EXTRA: Partial<Record<AlarmSpec["kind"], Partial<Record<AlarmSpec["severity"], string>>>> = {
  partitionRowDelta: {
    warning: "run `npm run reconcile` for the pair before advancing",
    critical: "then `npm run reconcile` (emergency rollback: verify the two tables agree before any new phase)",
  },
  scheduledChecksSilent: { critical: "the gate is blind without the scheduled suite: restore the checks task before advancing" },
  readRouterSilent: { critical: "reads no longer follow replica health: restore the router before advancing" },
  replicaLag: { critical: "partitioned reads on a stale replica return old rows" },
};

function number(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, "");
}

/** One row per (kind, severity) of the catalogue, in catalogue order. */
export function decisionRows(specs: readonly AlarmSpec<unknown>[]): DecisionRow[] {
  const seen = new Set<string>();
  const rows: DecisionRow[] = [];
  for (const s of specs) {
    const key = `${s.kind}/${s.severity}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const decision: Decision = s.severity === "critical" ? "roll back" : "hold";
    const base = decision === "roll back" ? "`npm run rollout -- --stack <s> rollback` now; AppConfig reverts a deployment in flight or baking by itself" : "hold: the gate refuses the next phase while it is in ALARM; investigate; roll back if it turns critical";
    const extra = EXTRA[s.kind]?.[s.severity];
    rows.push({ kind: s.kind, severity: s.severity, metric: s.metricLabel.replace(/ over \d+ nodes$/, " over the nodes"), threshold: `${s.comparisonOperator === "GreaterThanThreshold" ? ">" : "<"} ${number(s.threshold)} ${s.unit}`, decision, action: extra ? `${base}; ${extra}` : base, runbook: `${RUNBOOK}#${s.runbookAnchor}` });
  }
  return rows;
}

/** The markdown table. */
export function formatDecisionTable(rows: readonly DecisionRow[]): string {
  const esc = (t: string) => t.replace(/\|/g, "\\|");
  return [
    "| alarm kind | metric | severity | threshold | decision | action | runbook |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.kind} | ${esc(r.metric)} | ${r.severity} | ${esc(r.threshold)} | **${r.decision}** | ${esc(r.action)} | [${r.runbook.split("#")[1]}](${r.runbook.replace(/^docs\//, "")}) |`),
  ].join("\n");
}

/** The catalogue of a stack's settings over a topology with every kind of resource (names are placeholders). */
export function catalogueFor(s: Settings): AlarmSpec[] {
  return alarmPlan({
    namePrefix: `${s.project}-${s.environment}`,
    environment: s.environment,
    settings: s.alarms,
    thresholds: resolveThresholds(s.alarms.thresholds),
    postgresMaxConnections: s.postgres.maxConnections,
    topology: {
      redis: { replicationGroupId: "group", memberClusterIds: Array.from({ length: 1 + s.redis.replicas }, (_, i) => `node-${i + 1}`), replicasPerShard: s.redis.replicas },
      postgres: { primaryInstanceId: "primary", replicaInstanceIds: Array.from({ length: s.postgres.replicas }, (_, i) => `replica-${i + 1}`) },
      pgbouncer: { clusterName: "cluster", serviceName: "service", targetGroupArnSuffix: "tg", loadBalancerArnSuffix: "lb", desiredCount: s.pgbouncer.desiredCount, readRouter: s.readRouting.enabled },
      partitionTables: s.postgres.partitionPairs.map((p) => p.legacy),
      scheduledChecks: s.checks.scheduleEnabled ? { minutes: s.checks.scheduleMinutes } : null,
    },
  });
}
