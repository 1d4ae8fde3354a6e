/**
 * What the account should hold, recomputed from the stack outputs with the same
 * catalogue module the program used (components/alarms/catalogue.ts) and the effective
 * thresholds in `outputs.thresholds`, and how an actual alarm differs from it.
 *
 * The outputs carry no alarm timing or baseline limits (those are settings), so for
 * baseline alarms the check compares what the catalogue fixes regardless of settings
 * (metric, dimensions, comparison, missing-data policy, actions) but not the level.
 */
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { alarmPlan, type AlarmSpec, type AlarmTopology } from "../../components/alarms/catalogue";
import type { StackOutputs } from "../../components/contract/outputs";
import { BASE_PROFILE } from "../../components/settings/defaults";
import type { AlarmSettings } from "../../components/settings/schema";
import { DOCUMENTED_THRESHOLDS, THRESHOLD_KEYS, type Thresholds } from "../../components/thresholds/thresholds";

/** "arn:...:loadbalancer/net/x/1" -> "net/x/1"; "arn:...:targetgroup/x/1" -> "targetgroup/x/1" (CloudWatch's dimension values). */
export function arnSuffix(arn: string): string {
  const lb = arn.indexOf(":loadbalancer/");
  if (lb >= 0) return arn.slice(lb + ":loadbalancer/".length);
  const tg = arn.lastIndexOf(":targetgroup/");
  if (tg >= 0) return arn.slice(tg + 1);
  return arn;
}

export function thresholdsFromOutputs(outputs: StackOutputs): Thresholds {
  return Object.fromEntries(THRESHOLD_KEYS.map((k) => [k, { ...DOCUMENTED_THRESHOLDS[k], ...outputs.thresholds[k] }])) as Thresholds;
}

export function topologyFromOutputs(outputs: StackOutputs): AlarmTopology {
  const pgb = outputs.pgbouncer.aws;
  return {
    redis: outputs.redis.aws ? { replicationGroupId: outputs.redis.aws.replicationGroupId, memberClusterIds: outputs.redis.nodes.map((n) => n.name), replicasPerShard: outputs.redis.expectedReplicas } : null,
    postgres: outputs.postgres.aws ? { primaryInstanceId: outputs.postgres.aws.primaryInstanceId, replicaInstanceIds: outputs.postgres.aws.replicaInstanceIds } : null,
    pgbouncer: pgb ? { clusterName: pgb.clusterName, serviceName: pgb.serviceName, targetGroupArnSuffix: arnSuffix(pgb.targetGroupArn), loadBalancerArnSuffix: arnSuffix(pgb.loadBalancerArn), desiredCount: pgb.desiredCount, readRouter: !!outputs.pgbouncer.readRouting?.metricNamespace } : null,
    partitionTables: outputs.postgres.partitionPairs.map((p) => p.legacy),
    scheduledChecks: outputs.checks.aws?.scheduleMinutes ? { minutes: outputs.checks.aws.scheduleMinutes } : null,
  };
}

/**
 * The name prefix the stack used: the one that turns the most catalogue ids into names
 * listed in `outputs.alarms.alarmNames` (names are `${prefix}-${id}`).
 */
export function inferPrefix(alarmNames: string[], ids: string[]): string | undefined {
  const votes = new Map<string, number>();
  for (const name of alarmNames) {
    for (const id of ids) {
      if (name.length > id.length + 1 && name.endsWith(`-${id}`)) {
        const p = name.slice(0, -(id.length + 1));
        votes.set(p, (votes.get(p) ?? 0) + 1);
      }
    }
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/** Placeholders for what outputs do not carry; only documented levels are compared. */
const UNKNOWN_SETTINGS: Pick<AlarmSettings, "periodSeconds" | "evaluationPeriods" | "datapointsToAlarm" | "baseline"> = BASE_PROFILE.alarms as AlarmSettings;

export interface ExpectedAlarms {
  prefix: string | undefined;
  specs: AlarmSpec[];
}

/** The catalogue for these outputs; `prefix` undefined when no listed name matches it. */
export function expectedAlarms(outputs: StackOutputs): ExpectedAlarms {
  const input = (namePrefix: string) => ({
    namePrefix,
    environment: outputs.environment,
    settings: { ...UNKNOWN_SETTINGS, customMetricNamespace: outputs.alarms.customMetricNamespace },
    thresholds: thresholdsFromOutputs(outputs),
    postgresMaxConnections: 0,
    topology: topologyFromOutputs(outputs),
  });
  const ids = alarmPlan(input("x")).map((s) => s.id);
  const prefix = inferPrefix(outputs.alarms.alarmNames, ids);
  return { prefix, specs: prefix === undefined ? [] : alarmPlan(input(prefix)) };
}

function dims(d: { Name?: string; Value?: string }[] | undefined): string {
  return (d ?? [])
    .map((x) => `${x.Name}=${x.Value}`)
    .sort()
    .join(",");
}
function specDims(d: Record<string, string>): string {
  return Object.entries(d)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",");
}

/** What the watched metric(s) are, as one comparable string. */
function specSource(s: AlarmSpec): string {
  if (s.metric) return `${s.metric.namespace}/${s.metric.metricName}{${specDims(s.metric.dimensions)}} ${s.metric.stat}`;
  return s.metricQueries.map((q) => (q.metric ? `${q.id}:${q.metric.namespace}/${q.metric.metricName}{${specDims(q.metric.dimensions)}} ${q.metric.stat}` : `${q.id}:=${q.expression}${q.returnData ? " (watched)" : ""}`)).join("; ");
}
function alarmSource(a: MetricAlarm): string {
  if (a.MetricName) return `${a.Namespace}/${a.MetricName}{${dims(a.Dimensions)}} ${a.Statistic ?? a.ExtendedStatistic}`;
  return (a.Metrics ?? [])
    .map((q) => (q.MetricStat ? `${q.Id}:${q.MetricStat.Metric?.Namespace}/${q.MetricStat.Metric?.MetricName}{${dims(q.MetricStat.Metric?.Dimensions)}} ${q.MetricStat.Stat}` : `${q.Id}:=${q.Expression}${q.ReturnData ? " (watched)" : ""}`))
    .join("; ");
}

/** Differences between the catalogue's spec and the alarm in the account (empty when none). */
export function driftOf(spec: AlarmSpec, alarm: MetricAlarm, topicArn: string | null): string[] {
  const out: string[] = [];
  if (spec.documented && alarm.Threshold !== spec.threshold) out.push(`threshold is ${alarm.Threshold} ${spec.unit}, the catalogue says ${spec.threshold} ${spec.unit}`);
  if (alarm.ComparisonOperator !== spec.comparisonOperator) out.push(`comparison is ${alarm.ComparisonOperator}, expected ${spec.comparisonOperator}`);
  if ((alarm.TreatMissingData ?? "missing") !== spec.treatMissingData) out.push(`missing data is treated as ${alarm.TreatMissingData ?? "missing"}, expected ${spec.treatMissingData}`);
  if (alarm.ActionsEnabled === false) out.push("actions are disabled");
  if (topicArn) {
    if (!(alarm.AlarmActions ?? []).includes(topicArn)) out.push(`ALARM does not notify the ${spec.severity} topic`);
    if (!(alarm.OKActions ?? []).includes(topicArn)) out.push(`OK does not notify the ${spec.severity} topic`);
  }
  const want = specSource(spec);
  const have = alarmSource(alarm);
  if (want !== have) out.push(`watches ${have || "nothing"}, expected ${want}`);
  return out;
}
