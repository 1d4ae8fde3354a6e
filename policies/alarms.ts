/**
 * Stack policies: every RDS read replica and every ElastiCache replication group has a
 * warning and a critical replica-lag alarm at the documented thresholds, with alarm
 * actions. Alarms are matched on metric, dimensions, comparison and threshold, never on
 * their names, so a renamed alarm still counts and a mis-aimed one does not.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { DOCUMENTED_THRESHOLDS, type Severity } from "../components/thresholds/thresholds";
import { TYPES, configOf, isReadReplica, setting } from "./common";

interface MetricRef {
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, string>;
}

/** Every metric an alarm reads: its single metric, or each metric of its metric-math queries. */
export function alarmMetrics(props: Record<string, unknown>): MetricRef[] {
  const own = props.metricName ? [{ namespace: props.namespace, metricName: props.metricName, dimensions: props.dimensions } as MetricRef] : [];
  const queries = Array.isArray(props.metricQueries) ? (props.metricQueries as { metric?: MetricRef }[]) : [];
  return [...own, ...queries.flatMap((q) => (q.metric ? [q.metric] : []))];
}

function hasActions(props: Record<string, unknown>): boolean {
  return props.actionsEnabled !== false && Array.isArray(props.alarmActions) && props.alarmActions.length > 0;
}

export interface LagAlarmConfig {
  warningSeconds: number;
  criticalSeconds: number;
}

const lag = DOCUMENTED_THRESHOLDS.replicaLag;
const lagSchema = {
  properties: {
    warningSeconds: { type: "number", default: lag.warning, description: `Warning replica lag in seconds (documented: ${lag.warning}).` },
    criticalSeconds: { type: "number", default: lag.critical, description: `Critical replica lag in seconds (documented: ${lag.critical}).` },
  },
} as const;

/** The documented table says "> 10 s": the alarm must fire strictly above the level. */
const OPERATOR = lag.comparison === "greaterThan" ? "GreaterThanThreshold" : "LessThanThreshold";

/**
 * Checks one watched thing (a replica, a group) for both severities among `candidates`
 * (the alarms on its metric). Reports the most precise fix: a missing alarm, a wrong
 * level, or missing actions.
 */
function checkLevels(
  what: string,
  candidates: PolicyResource[],
  config: LagAlarmConfig,
  metric: string,
  urn: string,
  reportViolation: (message: string, urn?: string) => void,
  partial: { alarm: PolicyResource; missing: string[] }[] = [],
): void {
  const levels: Record<Severity, number> = { warning: config.warningSeconds, critical: config.criticalSeconds };
  const claimed = new Set<PolicyResource>();
  const misses: Severity[] = [];
  for (const severity of ["warning", "critical"] as const) {
    const at = candidates.filter((a) => Number(a.props.threshold) === levels[severity] && a.props.comparisonOperator === OPERATOR);
    at.forEach((a) => claimed.add(a));
    if (at.length === 0) {
      misses.push(severity);
    } else if (!at.some((a) => hasActions(a.props))) {
      reportViolation(`Set alarmActions on the ${severity} ${metric} alarm ${at[0].name} of ${what} to the ${severity} SNS topic (${setting("alarms.notifications")}).`, at[0].urn);
    }
  }
  const strays = candidates.filter((a) => !claimed.has(a));
  for (const severity of misses) {
    const narrow = partial.find((p) => Number(p.alarm.props.threshold) === levels[severity]);
    const wrong = narrow ? undefined : strays.shift();
    if (narrow) {
      reportViolation(`Set the metric math of alarm ${narrow.alarm.name} to read ${metric.split(" ")[0]} of every member node of ${what} (it misses ${narrow.missing.join(", ")}).`, narrow.alarm.urn);
    } else if (wrong) {
      reportViolation(
        `Set ${setting(`alarms.thresholds.replicaLag.${severity}`)} to ${levels[severity]} (alarm ${wrong.name} on ${metric} of ${what} fires when ${wrong.props.comparisonOperator} ${wrong.props.threshold}).`,
        wrong.urn,
      );
    } else {
      reportViolation(`Set ${setting("alarms.enabled")} to true so ${what} gets a ${severity} ${metric} alarm (> ${levels[severity]} s) with alarm actions.`, urn);
    }
  }
}

export const rdsReplicaLagAlarms: StackValidationPolicy = {
  name: "rds-replica-lag-alarms",
  description: `Every RDS read replica has a warning (> ${lag.warning} s) and a critical (> ${lag.critical} s) AWS/RDS ReplicaLag alarm on its DBInstanceIdentifier, with alarm actions.`,
  severity: "high",
  configSchema: lagSchema,
  validateStack: (args, reportViolation) => {
    const config = configOf<LagAlarmConfig>(lagSchema, args);
    const alarms = args.resources.filter((r) => r.type === TYPES.metricAlarm);
    for (const replica of args.resources.filter((r) => r.type === TYPES.rdsInstance && isReadReplica(r.props))) {
      const id = replica.props.identifier;
      const candidates = alarms.filter((a) =>
        alarmMetrics(a.props).some((m) => m.namespace === "AWS/RDS" && m.metricName === "ReplicaLag" && m.dimensions?.DBInstanceIdentifier === id),
      );
      checkLevels(`RDS read replica ${id ?? replica.name}`, candidates, config, "ReplicaLag", replica.urn, reportViolation);
    }
  },
};

export const elasticacheReplicationLagAlarms: StackValidationPolicy = {
  name: "elasticache-replication-lag-alarms",
  description: `Every ElastiCache replication group with replicas has a warning (> ${lag.warning} s) and a critical (> ${lag.critical} s) AWS/ElastiCache ReplicationLag alarm whose metric math reads every member node, with alarm actions.`,
  severity: "high",
  configSchema: lagSchema,
  validateStack: (args, reportViolation) => {
    const config = configOf<LagAlarmConfig>(lagSchema, args);
    const alarms = args.resources.filter((r) => r.type === TYPES.metricAlarm);
    for (const group of args.resources.filter((r) => r.type === TYPES.replicationGroup)) {
      if (Number(group.props.replicasPerNodeGroup ?? 0) === 0 && Number(group.props.numCacheClusters ?? 1) <= 1) continue;
      const members = (group.props.memberClusters ?? []) as string[];
      const what = `ElastiCache replication group ${group.props.replicationGroupId ?? group.name}`;
      // After a failover nodes swap roles: an alarm must read ReplicationLag on every member node.
      const candidates: PolicyResource[] = [];
      const partial: { alarm: PolicyResource; missing: string[] }[] = [];
      for (const a of alarms) {
        const nodes = new Set(
          alarmMetrics(a.props)
            .filter((m) => m.namespace === "AWS/ElastiCache" && m.metricName === "ReplicationLag")
            .map((m) => m.dimensions?.CacheClusterId),
        );
        const missing = members.filter((m) => !nodes.has(m));
        if (members.length > 0 && missing.length === 0) candidates.push(a);
        else if (missing.length < members.length) partial.push({ alarm: a, missing });
      }
      checkLevels(what, candidates, config, "ReplicationLag (max over member nodes)", group.urn, reportViolation, partial);
    }
  },
};

export const ALARM_POLICIES = [rdsReplicaLagAlarms, elasticacheReplicationLagAlarms];
