/**
 * The alarm catalogue: every CloudWatch alarm the data tier gets, as data. A pure
 * function of the stack's alarm settings, the effective thresholds and the topology,
 * shared by the component (which registers one MetricAlarm per spec), the smoke
 * suite's alarm checks (which recompute it from the stack outputs to catch drift)
 * and the offline review (which prints it).
 *
 * Metric facts behind the choices (/work/shared/notes/aws-metrics.md):
 * - ElastiCache metrics are per node (`CacheClusterId` = member cluster id), and a
 *   failover swaps primary and replica nodes: group-wide alarms are metric math over
 *   every member node, never one node's metric or the group id.
 * - `GetTypeCmdsLatency` is server-side CPU time in microseconds; the user-visible GET
 *   time is the client-side p99 the smoke suite publishes as a custom metric.
 * - A metric-math alarm may read at most 10 metrics (a hard CloudWatch limit).
 *
 * The specs are generic in the type of a dimension value: plain strings here and in
 * the checks, `pulumi.Input<string>` in the component (ids the cloud assigns).
 */
import type { AlarmSettings } from "../settings/schema";
import { type Severity, type ThresholdDefinition, type ThresholdKey, type Thresholds, type ThresholdUnit } from "../thresholds/thresholds";

export type MetricUnit = "Seconds" | "Microseconds" | "Milliseconds" | "Percent" | "Count" | "Bytes";
export type ComparisonOperator = "GreaterThanThreshold" | "LessThanThreshold";
export type MissingDataPolicy = "breaching" | "notBreaching" | "ignore" | "missing";

/**
 * Custom metrics, each with its publisher in this repository: the smoke suite with
 * --publish-metrics, which the scheduled checks run every `checks.scheduleMinutes`
 * (components/checkstask/schedule.ts; docs/alarms.md). The application may publish the
 * same metrics too.
 */
export const CUSTOM_METRICS = {
  partitionRowDelta: { metricName: "PartitionRowDelta", unit: "Count", dimensions: ["Environment", "Table"], publisher: "scheduled checks (partition.row-parity)" },
  cacheGetTimeP99: { metricName: "CacheGetTimeP99", unit: "Milliseconds", dimensions: ["Environment"], publisher: "scheduled checks (redis.get-latency)" },
  invalidationFailureRate: { metricName: "CacheInvalidationFailureRate", unit: "Percent", dimensions: ["Environment"], publisher: "scheduled checks (redis.invalidation)" },
  /** One datum per finished run: the monitor alarm's heartbeat. */
  suiteRuns: { metricName: "SmokeSuiteRuns", unit: "Count", dimensions: ["Environment"], publisher: "scheduled checks (every run)" },
  healthyReplicas: { metricName: "HealthyReplicas", unit: "Count", dimensions: ["Environment"], publisher: "the read router (components/readrouting), every round" },
  readsOnPrimary: { metricName: "ReadsOnPrimary", unit: "Count", dimensions: ["Environment"], publisher: "the read router, every round: 1 while the read-only pool falls back to the primary" },
  routingChanges: { metricName: "RoutingChanges", unit: "Count", dimensions: ["Environment"], publisher: "the read router, every round: 1 when it rewrote the read-only pool" },
  routerChecks: { metricName: "RouterChecks", unit: "Count", dimensions: ["Environment"], publisher: "the read router, 1 per round (its heartbeat)" },
} as const;

/** Who feeds an alarm's metric: AWS itself, or the scheduled checks (--publish-metrics). */
export type AlarmPublisher = "aws" | "scheduled checks";

/** A metric-math alarm reads at most this many metrics (CloudWatch hard limit). */
export const MAX_METRICS_PER_MATH_ALARM = 10;

/**
 * Below this many lookups per period the group-wide hit rate reads 100%: at night a
 * dev cache sees a handful of GETs, and 1 miss out of 2 is not an incident.
 */
export const MIN_LOOKUPS_FOR_HIT_RATE = 100;

export interface MetricRef<V = string> {
  namespace: string;
  metricName: string;
  /** Plain strings (custom metrics) or the caller's id type. */
  dimensions: Record<string, V | string>;
  stat: string;
}

export interface MetricQuerySpec<V = string> {
  /** Lower-case id the expression refers to. */
  id: string;
  /** A metric to read, or... */
  metric?: MetricRef<V>;
  /** ...a metric-math expression over other ids. */
  expression?: string;
  label?: string;
  /** True on the one query the alarm watches. */
  returnData: boolean;
}

export type BaselineKind =
  | "rdsCpu"
  | "rdsFreeableMemory"
  | "rdsFreeStorage"
  | "rdsConnections"
  | "redisEngineCpu"
  | "redisEvictions"
  | "redisConnections"
  | "pgbouncerTasksBelowDesired"
  | "pgbouncerNoTasks"
  | "nlbUnhealthyTargets"
  | "nlbNoHealthyTargets"
  | "scheduledChecksSilent"
  | "readsOnPrimary"
  | "readRouterSilent";

export interface AlarmSpec<V = string> {
  /** Stable, prefix-free id, e.g. "postgres-replica-1-replica-lag-warning". */
  id: string;
  /** CloudWatch alarm name: `${namePrefix}-${id}`. */
  name: string;
  /** The documented threshold it enforces, or the baseline health alarm it is. */
  kind: ThresholdKey | BaselineKind;
  /** Whether the threshold comes from the documented table (design.md). */
  documented: boolean;
  /** Human name of what is watched, e.g. "RDS replica 1 (data-tier-prod-postgres-replica-1)". */
  resource: string;
  severity: Severity;
  /** Namespace of the metric(s) read. */
  namespace: string;
  /** Who publishes the metric: AWS (its own namespaces), or the scheduled checks (the custom namespace). */
  publisher: AlarmPublisher;
  /** The single metric watched; null for a metric-math alarm. */
  metric: MetricRef<V> | null;
  /** Metric-math queries (empty for a single-metric alarm). */
  metricQueries: MetricQuerySpec<V>[];
  /** Catalogue column "metric", e.g. "ReplicaLag" or "MAX(ReplicationLag) over 3 nodes". */
  metricLabel: string;
  /** Statistic per period (of each node's metric for math alarms). */
  statistic: string;
  /** Seconds. */
  period: number;
  comparisonOperator: ComparisonOperator;
  /** In the metric's unit (GetTypeCmdsLatency: microseconds). */
  threshold: number;
  unit: MetricUnit;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: MissingDataPolicy;
  /** Why this missing-data policy (printed in the description and docs). */
  missingDataWhy: string;
  /** Anchor in docs/runbook.md. */
  runbookAnchor: string;
  /** Alarm description: what it means and where the runbook section is. */
  description: string;
}

/** The resources the alarms watch; ids are whatever the caller has (strings or Pulumi inputs). */
export interface AlarmTopology<V = string> {
  /** ElastiCache replication group: its member node ids (per-node metrics). */
  redis: { replicationGroupId: string; memberClusterIds: V[]; replicasPerShard: number } | null;
  /** RDS instances: the primary and the read replicas, in replica order. */
  postgres: { primaryInstanceId: V; replicaInstanceIds: V[] } | null;
  /** PgBouncer on ECS behind an NLB. */
  pgbouncer: { clusterName: V; serviceName: V; targetGroupArnSuffix: V; loadBalancerArnSuffix: V; desiredCount: number; /** A read router sidecar runs in the tasks. */ readRouter?: boolean } | null;
  /** Legacy table of each partition pair (the `Table` dimension of PartitionRowDelta). */
  partitionTables: string[];
  /** The schedule running the checks with --publish-metrics (AWS); absent or null without one. */
  scheduledChecks?: { minutes: number } | null;
}

export interface AlarmPlanInput<V = string> {
  /** Prefix of every alarm name, "<project>-<environment>". */
  namePrefix: string;
  /** `Environment` dimension of the custom metrics. */
  environment: string;
  /** The stack's alarm settings (timing, namespace, baseline limits). */
  settings: Pick<AlarmSettings, "periodSeconds" | "evaluationPeriods" | "datapointsToAlarm" | "customMetricNamespace" | "baseline">;
  /** Effective thresholds (StackContext.thresholds / outputs.thresholds). */
  thresholds: Thresholds;
  /** postgres.maxConnections: the connection alarm is a percentage of it. */
  postgresMaxConnections: number;
  topology: AlarmTopology<V>;
}

/** Converts a level from the threshold's unit (design table) into the metric's unit. */
export function toMetricUnit(value: number, from: ThresholdUnit, to: MetricUnit): number {
  const ok: Record<ThresholdUnit, Partial<Record<MetricUnit, number>>> = {
    count: { Count: 1 },
    percent: { Percent: 1 },
    seconds: { Seconds: 1, Milliseconds: 1000, Microseconds: 1_000_000 },
    milliseconds: { Milliseconds: 1, Microseconds: 1000, Seconds: 0.001 },
  };
  const factor = ok[from][to];
  if (factor === undefined) throw new Error(`cannot convert a threshold in ${from} to a metric in ${to}`);
  return value * factor;
}

export function operatorFor(def: Pick<ThresholdDefinition, "comparison">): ComparisonOperator {
  return def.comparison === "greaterThan" ? "GreaterThanThreshold" : "LessThanThreshold";
}

export const RUNBOOK = "docs/runbook.md";

/** Runbook anchors (docs/runbook.md headings); a test proves each exists. */
export const RUNBOOK_ANCHORS: Record<ThresholdKey | BaselineKind, string> = {
  replicaLag: "replica-lag",
  cacheHitRate: "cache-hit-rate",
  cacheGetTime: "cache-get-time",
  partitionRowDelta: "partition-row-delta",
  invalidationFailureRate: "cache-invalidation-failure-rate",
  rdsCpu: "postgres-cpu",
  rdsFreeableMemory: "postgres-freeable-memory",
  rdsFreeStorage: "postgres-free-storage",
  rdsConnections: "postgres-connections",
  redisEngineCpu: "redis-engine-cpu",
  redisEvictions: "redis-evictions",
  redisConnections: "redis-connections",
  pgbouncerTasksBelowDesired: "pgbouncer-tasks",
  pgbouncerNoTasks: "pgbouncer-tasks",
  nlbUnhealthyTargets: "pgbouncer-targets",
  nlbNoHealthyTargets: "pgbouncer-targets",
  scheduledChecksSilent: "scheduled-checks-silent",
  readsOnPrimary: "read-routing",
  readRouterSilent: "read-routing",
};

// Missing-data policies, one reason each (printed into the alarm description).
const MISSING = {
  lagBreaching: ["breaching", "a replica that stops reporting lag (replication broken, instance stopped) must not look healthy"],
  redisLagBreaching: [
    "breaching",
    "only replicas emit ReplicationLag: if no member node reports it, no replica is replicating, which must not look healthy",
  ],
  idleCacheNotBreaching: ["notBreaching", "an idle cache reports no lookups; Redis being down is caught by the smoke suite and the connection alarms"],
  engineNotBreaching: ["notBreaching", "no GET commands in a period means no GET latency to judge"],
  suiteIgnore: [
    "ignore",
    "the smoke suite publishes this on each run only: between runs the alarm keeps the last verdict instead of flapping to INSUFFICIENT_DATA",
  ],
  appNotBreaching: ["notBreaching", "the application publishes a rate only when it invalidates; no invalidations means no failures"],
  instanceMissing: ["missing", "an instance that stops reporting shows INSUFFICIENT_DATA on the dashboard; its absence is the replica-lag and task alarms' job"],
  storageBreaching: ["breaching", "free storage is the one metric where silence may hide a full disk; page rather than assume space"],
  tasksBreaching: ["breaching", "Container Insights stops reporting when the service or the insights setting is gone: that must page, not look healthy"],
  targetsBreaching: ["breaching", "the NLB reports healthy hosts every minute while it exists; silence means no target group to route to"],
  targetsNotBreaching: ["notBreaching", "no unhealthy-host datapoint means no unhealthy host"],
  monitorBreaching: ["breaching", "the scheduled checks publish one datum per run; silence is exactly what this alarm exists to catch"],
  routerNotBreaching: ["notBreaching", "a silent router is the router-silent alarm's job; no datapoint here means no fallback reported"],
  routerSilentBreaching: ["breaching", "the router reports every round; no report means no router checks replica health"],
} as const satisfies Record<string, readonly [MissingDataPolicy, string]>;

type Missing = keyof typeof MISSING;

/** Lower-case, hyphenated id fragment of a table or label. */
function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

interface Draft<V> {
  id: string;
  kind: AlarmSpec["kind"];
  documented: boolean;
  resource: string;
  severity: Severity;
  namespace: string;
  metric?: MetricRef<V>;
  metricQueries?: MetricQuerySpec<V>[];
  metricLabel: string;
  statistic: string;
  comparisonOperator: ComparisonOperator;
  threshold: number;
  unit: MetricUnit;
  missing: Missing;
  /** One sentence: what breaching means. */
  meaning: string;
  /** Evaluation override (suite-published metrics: one run, one datapoint). */
  evaluation?: { evaluationPeriods: number; datapointsToAlarm: number };
  /** Period override, seconds (the monitor alarm: one schedule interval). */
  period?: number;
}

/** Metric math over member nodes; callers pass at most 10 (nodeParts), CloudWatch's limit per alarm. */
function overNodes<V>(nodes: V[], fn: "MAX" | "MIN" | "SUM", metricName: string, stat: string): MetricQuerySpec<V>[] {
  // An internal invariant (nodeParts keeps every part within the limit), not a settings problem.
  if (nodes.length > MAX_METRICS_PER_MATH_ALARM) throw new Error(`alarms: ${nodes.length} metrics in one metric-math alarm; nodeParts must split them`);
  const q: MetricQuerySpec<V>[] = nodes.map((node, i) => ({
    id: `n${i}`,
    metric: { namespace: "AWS/ElastiCache", metricName, dimensions: { CacheClusterId: node }, stat },
    returnData: false,
  }));
  q.push({ id: "e", expression: `${fn}([${nodes.map((_, i) => `n${i}`).join(", ")}])`, label: `${fn}(${metricName}) over ${nodes.length} nodes`, returnData: true });
  return q;
}

/** One alarm's share of the member nodes: its nodes, an id suffix and a label. */
export interface NodePart<V> {
  nodes: V[];
  /** "" for a single part (ids unchanged), else "-nodes-<k>-of-<n>". */
  suffix: string;
  /** "12 nodes" or "nodes 1-6 of 12". */
  label: string;
  /** Fraction of all nodes in this part (a SUM threshold's share). */
  share: number;
}

/**
 * The member nodes split into as few contiguous, balanced parts as keep every
 * metric-math alarm within CloudWatch's 10 metrics (`perNode` metrics per node).
 * MAX / MIN over all nodes breaches exactly when one part's does; a SUM breaches only
 * if some part's sum exceeds its share of the threshold (the parts' excesses add up to
 * the total's), so per-part thresholds scaled by `share` never miss a group-wide breach.
 */
export function nodeParts<V>(nodes: V[], perNode = 1): NodePart<V>[] {
  const per = Math.max(1, Math.floor(MAX_METRICS_PER_MATH_ALARM / perNode));
  const count = Math.max(1, Math.ceil(nodes.length / per));
  if (count === 1) return [{ nodes, suffix: "", label: `${nodes.length} nodes`, share: 1 }];
  const parts: NodePart<V>[] = [];
  let from = 0;
  for (let k = 0; k < count; k++) {
    const size = Math.floor(nodes.length / count) + (k < nodes.length % count ? 1 : 0);
    parts.push({ nodes: nodes.slice(from, from + size), suffix: `-nodes-${k + 1}-of-${count}`, label: `nodes ${from + 1}-${from + size} of ${nodes.length}`, share: size / nodes.length });
    from += size;
  }
  return parts;
}

/** Group-wide hit rate from hits and misses (hits/misses summed over nodes, small samples read 100%). */
function hitRateQueries<V>(nodes: V[], label: string): { queries: MetricQuerySpec<V>[]; label: string } {
  if (2 * nodes.length > MAX_METRICS_PER_MATH_ALARM) {
    // Too many nodes to sum hits and misses within 10 metrics: the worst node's own rate
    // is the conservative stand-in (it fires whenever the group-wide rate could).
    return { queries: overNodes(nodes, "MIN", "CacheHitRate", "Average"), label: `MIN(CacheHitRate) over ${label}` };
  }
  const ref = (metricName: string, node: V): MetricRef<V> => ({ namespace: "AWS/ElastiCache", metricName, dimensions: { CacheClusterId: node }, stat: "Sum" });
  const ids = (p: string) => nodes.map((_, i) => `${p}${i}`).join(", ");
  const queries: MetricQuerySpec<V>[] = [
    ...nodes.map((n, i) => ({ id: `h${i}`, metric: ref("CacheHits", n), returnData: false })),
    ...nodes.map((n, i) => ({ id: `m${i}`, metric: ref("CacheMisses", n), returnData: false })),
    { id: "hits", expression: `SUM([${ids("h")}])`, returnData: false },
    { id: "misses", expression: `SUM([${ids("m")}])`, returnData: false },
    {
      id: "rate",
      expression: `IF((hits + misses) >= ${MIN_LOOKUPS_FOR_HIT_RATE}, 100 * hits / (hits + misses), 100)`,
      label: "cache hit rate (%)",
      returnData: true,
    },
  ];
  return { queries, label: `100*SUM(CacheHits)/(SUM(CacheHits)+SUM(CacheMisses)) over ${label}` };
}

function documentedDrafts<V>(input: AlarmPlanInput<V>): Draft<V>[] {
  const { thresholds: t, topology: topo, environment } = input;
  const ns = input.settings.customMetricNamespace;
  const out: Draft<V>[] = [];
  const both = (key: ThresholdKey, unit: MetricUnit, make: (severity: Severity, threshold: number) => Omit<Draft<V>, "severity" | "threshold" | "comparisonOperator" | "unit" | "kind" | "documented">) => {
    const def = t[key];
    for (const severity of ["warning", "critical"] as const) {
      out.push({ ...make(severity, toMetricUnit(def[severity], def.unit, unit)), kind: key, documented: true, severity, threshold: toMetricUnit(def[severity], def.unit, unit), comparisonOperator: operatorFor(def), unit });
    }
  };
  const oneRun = { evaluationPeriods: 1, datapointsToAlarm: 1 };

  topo.postgres?.replicaInstanceIds.forEach((replica, i) =>
    both("replicaLag", "Seconds", (severity) => ({
      id: `postgres-replica-${i + 1}-replica-lag-${severity}`,
      resource: `RDS read replica ${i + 1}`,
      namespace: "AWS/RDS",
      metric: { namespace: "AWS/RDS", metricName: "ReplicaLag", dimensions: { DBInstanceIdentifier: replica }, stat: "Maximum" },
      metricLabel: "ReplicaLag",
      statistic: "Maximum",
      missing: "lagBreaching",
      meaning: `PostgreSQL read replica ${i + 1} is behind the primary; reads routed to it return stale rows`,
    })),
  );

  if (topo.redis) {
    const nodes = topo.redis.memberClusterIds;
    const group = `ElastiCache group ${topo.redis.replicationGroupId} (${nodes.length} nodes)`;
    // More than 10 nodes: one alarm per part of the nodes (nodeParts), each within CloudWatch's limit.
    for (const part of nodeParts(nodes)) {
      if (topo.redis.replicasPerShard > 0) {
        both("replicaLag", "Seconds", (severity) => ({
          id: `redis-replication-lag${part.suffix}-${severity}`,
          resource: group,
          namespace: "AWS/ElastiCache",
          metricQueries: overNodes(part.nodes, "MAX", "ReplicationLag", "Maximum"),
          metricLabel: `MAX(ReplicationLag) over ${part.label}`,
          statistic: "Maximum",
          missing: "redisLagBreaching",
          meaning: "a Redis replica is behind its primary (max over every member node, so it survives a failover swapping nodes)",
        }));
      }
    }
    // The only single-part plan whose hit rate sums hits and misses (2 metrics per node) is up to 5 nodes; beyond, MIN per node, split by 10.
    for (const part of nodeParts(nodes, 2 * nodes.length > MAX_METRICS_PER_MATH_ALARM ? 1 : 2)) {
      const hr = hitRateQueries(part.nodes, part.label);
      both("cacheHitRate", "Percent", (severity) => ({
        id: `redis-cache-hit-rate${part.suffix}-${severity}`,
        resource: group,
        namespace: "AWS/ElastiCache",
        metricQueries: hr.queries,
        metricLabel: hr.label,
        statistic: "Sum",
        missing: "idleCacheNotBreaching",
        meaning: "too many cache lookups miss across the whole group (group-wide, because reads spread over replicas and a failover moves traffic between nodes)",
      }));
    }
    for (const part of nodeParts(nodes)) {
      both("cacheGetTime", "Microseconds", (severity) => ({
        id: `redis-get-latency${part.suffix}-${severity}`,
        resource: group,
        namespace: "AWS/ElastiCache",
        metricQueries: overNodes(part.nodes, "MAX", "GetTypeCmdsLatency", "Average"),
        metricLabel: `MAX(GetTypeCmdsLatency) over ${part.label}`,
        statistic: "Average",
        missing: "engineNotBreaching",
        meaning: "GET-type commands take long inside the Redis engine (server-side CPU time only; the client-side alarm covers network and queueing)",
      }));
    }
  }

  both("cacheGetTime", "Milliseconds", (severity) => ({
    id: `cache-get-time-p99-${severity}`,
    resource: `client-side GET time (${environment})`,
    namespace: ns,
    metric: { namespace: ns, metricName: CUSTOM_METRICS.cacheGetTimeP99.metricName, dimensions: { Environment: environment }, stat: "Maximum" },
    metricLabel: CUSTOM_METRICS.cacheGetTimeP99.metricName,
    statistic: "Maximum",
    missing: "suiteIgnore",
    meaning: "the p99 GET time the smoke suite measured from a client is high (what users feel: network, TLS, queueing included)",
    evaluation: oneRun,
  }));

  for (const table of topo.partitionTables) {
    both("partitionRowDelta", "Count", (severity) => ({
      id: `partition-row-delta-${slug(table)}-${severity}`,
      resource: `partition pair ${table}`,
      namespace: ns,
      metric: { namespace: ns, metricName: CUSTOM_METRICS.partitionRowDelta.metricName, dimensions: { Environment: environment, Table: table }, stat: "Maximum" },
      metricLabel: CUSTOM_METRICS.partitionRowDelta.metricName,
      statistic: "Maximum",
      missing: "suiteIgnore",
      meaning: `the legacy table ${table} and its partitioned twin differ in row count: dual-write is losing rows`,
      evaluation: oneRun,
    }));
  }

  both("invalidationFailureRate", "Percent", (severity) => ({
    id: `cache-invalidation-failure-rate-${severity}`,
    resource: `cache invalidation (${environment})`,
    namespace: ns,
    metric: { namespace: ns, metricName: CUSTOM_METRICS.invalidationFailureRate.metricName, dimensions: { Environment: environment }, stat: "Maximum" },
    metricLabel: CUSTOM_METRICS.invalidationFailureRate.metricName,
    statistic: "Maximum",
    missing: "suiteIgnore",
    meaning: "cache invalidations fail (the scheduled checks' probe, or the application's own figure): readers may be served stale entries until their TTL",
    evaluation: oneRun,
  }));
  return out;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

function baselineDrafts<V>(input: AlarmPlanInput<V>): Draft<V>[] {
  const b = input.settings.baseline;
  const period = input.settings.periodSeconds;
  const out: Draft<V>[] = [];
  const base = { documented: false } as const;

  if (input.topology.postgres) {
    const p = input.topology.postgres;
    const instances: { label: string; idPart: string; id: V }[] = [
      { label: "RDS primary", idPart: "postgres-primary", id: p.primaryInstanceId },
      ...p.replicaInstanceIds.map((id, i) => ({ label: `RDS read replica ${i + 1}`, idPart: `postgres-replica-${i + 1}`, id })),
    ];
    const connLimit = Math.floor((b.rdsConnectionsPercentOfMax / 100) * input.postgresMaxConnections);
    for (const inst of instances) {
      const rds = (metricName: string, stat: string): MetricRef<V> => ({ namespace: "AWS/RDS", metricName, dimensions: { DBInstanceIdentifier: inst.id }, stat });
      out.push(
        { ...base, id: `${inst.idPart}-cpu-warning`, kind: "rdsCpu", resource: inst.label, severity: "warning", namespace: "AWS/RDS", metric: rds("CPUUtilization", "Average"), metricLabel: "CPUUtilization", statistic: "Average", comparisonOperator: "GreaterThanThreshold", threshold: b.rdsCpuPercent, unit: "Percent", missing: "instanceMissing", meaning: "the database instance is CPU-bound" },
        { ...base, id: `${inst.idPart}-freeable-memory-warning`, kind: "rdsFreeableMemory", resource: inst.label, severity: "warning", namespace: "AWS/RDS", metric: rds("FreeableMemory", "Minimum"), metricLabel: "FreeableMemory", statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: b.rdsFreeableMemoryMb * MB, unit: "Bytes", missing: "instanceMissing", meaning: "the instance is short of memory: cache hit ratio and sorts suffer, swapping follows" },
        { ...base, id: `${inst.idPart}-free-storage-critical`, kind: "rdsFreeStorage", resource: inst.label, severity: "critical", namespace: "AWS/RDS", metric: rds("FreeStorageSpace", "Minimum"), metricLabel: "FreeStorageSpace", statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: b.rdsFreeStorageGb * GB, unit: "Bytes", missing: "storageBreaching", meaning: "the instance is running out of disk; at zero PostgreSQL stops accepting writes" },
        { ...base, id: `${inst.idPart}-connections-warning`, kind: "rdsConnections", resource: inst.label, severity: "warning", namespace: "AWS/RDS", metric: rds("DatabaseConnections", "Maximum"), metricLabel: "DatabaseConnections", statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: connLimit, unit: "Count", missing: "instanceMissing", meaning: `connections exceed ${b.rdsConnectionsPercentOfMax}% of max_connections (${input.postgresMaxConnections}); something bypasses PgBouncer or the pools grew` },
      );
    }
  }

  if (input.topology.redis) {
    const nodes = input.topology.redis.memberClusterIds;
    const group = `ElastiCache group ${input.topology.redis.replicationGroupId} (${nodes.length} nodes)`;
    const math = { ...base, resource: group, severity: "warning" as const, namespace: "AWS/ElastiCache", comparisonOperator: "GreaterThanThreshold" as const };
    for (const part of nodeParts(nodes)) {
      out.push(
        { ...math, id: `redis-engine-cpu${part.suffix}-warning`, kind: "redisEngineCpu", metricQueries: overNodes(part.nodes, "MAX", "EngineCPUUtilization", "Average"), metricLabel: `MAX(EngineCPUUtilization) over ${part.label}`, statistic: "Average", threshold: b.redisEngineCpuPercent, unit: "Percent", missing: "engineNotBreaching", meaning: "the Redis engine thread is saturated on some node; latency follows" },
        // Evictions is a count per period: the per-minute limit scales with the period, and a part watches its share of it (nodeParts).
        { ...math, id: `redis-evictions${part.suffix}-warning`, kind: "redisEvictions", metricQueries: overNodes(part.nodes, "SUM", "Evictions", "Sum"), metricLabel: `SUM(Evictions) over ${part.label}`, statistic: "Sum", threshold: b.redisEvictionsPerMinute * (period / 60) * part.share, unit: "Count", missing: "engineNotBreaching", meaning: "Redis evicts keys to stay under maxmemory: the cache is too small for the working set" },
        { ...math, id: `redis-connections${part.suffix}-warning`, kind: "redisConnections", metricQueries: overNodes(part.nodes, "MAX", "CurrConnections", "Maximum"), metricLabel: `MAX(CurrConnections) over ${part.label}`, statistic: "Maximum", threshold: b.redisCurrentConnections, unit: "Count", missing: "engineNotBreaching", meaning: "a node holds more client connections than expected: a connection leak or a reconnect storm" },
      );
    }
  }

  if (input.topology.pgbouncer) {
    const pb = input.topology.pgbouncer;
    const tasks: MetricRef<V> = { namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", dimensions: { ClusterName: pb.clusterName, ServiceName: pb.serviceName }, stat: "Minimum" };
    const nlb = (metricName: string, stat: string): MetricRef<V> => ({ namespace: "AWS/NetworkELB", metricName, dimensions: { TargetGroup: pb.targetGroupArnSuffix, LoadBalancer: pb.loadBalancerArnSuffix }, stat });
    const svc = { ...base, resource: "PgBouncer ECS service", namespace: "ECS/ContainerInsights", metric: tasks, metricLabel: "RunningTaskCount", statistic: "Minimum", comparisonOperator: "LessThanThreshold" as const, unit: "Count" as const, missing: "tasksBreaching" as const };
    const lb = { ...base, resource: "PgBouncer NLB target group", namespace: "AWS/NetworkELB", unit: "Count" as const };
    out.push(
      // Desired from Container Insights, not settings: autoscaling moves it between min and max.
      {
        ...svc,
        id: "pgbouncer-tasks-below-desired-warning",
        kind: "pgbouncerTasksBelowDesired",
        severity: "warning",
        metric: undefined,
        metricQueries: [
          { id: "running", metric: tasks, returnData: false },
          { id: "desired", metric: { ...tasks, metricName: "DesiredTaskCount", stat: "Maximum" }, returnData: false },
          { id: "missing", expression: "desired - running", label: "tasks missing (desired - running)", returnData: true },
        ],
        metricLabel: "DesiredTaskCount - RunningTaskCount",
        comparisonOperator: "GreaterThanThreshold",
        threshold: 0,
        meaning: `fewer PgBouncer tasks run than the service wants (${pb.desiredCount} at deploy, autoscaling may change it): less pooling capacity, no headroom for a task failure`,
      },
      { ...svc, id: "pgbouncer-no-tasks-critical", kind: "pgbouncerNoTasks", severity: "critical", threshold: 1, meaning: "no PgBouncer task runs: the application cannot reach PostgreSQL" },
      { ...lb, id: "pgbouncer-unhealthy-targets-warning", kind: "nlbUnhealthyTargets", severity: "warning", metric: nlb("UnHealthyHostCount", "Maximum"), metricLabel: "UnHealthyHostCount", statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: 0, missing: "targetsNotBreaching", meaning: "a PgBouncer task fails the NLB health check" },
      { ...lb, id: "pgbouncer-no-healthy-targets-critical", kind: "nlbNoHealthyTargets", severity: "critical", metric: nlb("HealthyHostCount", "Minimum"), metricLabel: "HealthyHostCount", statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: 1, missing: "targetsBreaching", meaning: "the NLB has no healthy PgBouncer target: every connection attempt fails" },
    );
    if (pb.readRouter) {
      const ns = input.settings.customMetricNamespace;
      const router = (m: keyof typeof CUSTOM_METRICS, stat: string): MetricRef<V> => ({ namespace: ns, metricName: CUSTOM_METRICS[m].metricName, dimensions: { Environment: input.environment }, stat });
      const rr = { ...base, resource: `read router (${input.environment})`, namespace: ns, unit: "Count" as const };
      out.push(
        { ...rr, id: "read-router-reads-on-primary-warning", kind: "readsOnPrimary", severity: "warning", metric: router("readsOnPrimary", "Maximum"), metricLabel: CUSTOM_METRICS.readsOnPrimary.metricName, statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: 0, missing: "routerNotBreaching", meaning: "no replica is healthy (down, not in recovery, or past the critical replica lag): reads fall back to the primary, which carries the whole load" },
        { ...rr, id: "read-router-silent-critical", kind: "readRouterSilent", severity: "critical", metric: router("routerChecks", "SampleCount"), metricLabel: CUSTOM_METRICS.routerChecks.metricName, statistic: "SampleCount", comparisonOperator: "LessThanThreshold", threshold: 1, missing: "routerSilentBreaching", meaning: "no read router reports: the read-only pool no longer follows replica health (a dead replica would keep receiving reads)" },
      );
    }
  }
  if (input.topology.scheduledChecks) {
    const minutes = input.topology.scheduledChecks.minutes;
    const ns = input.settings.customMetricNamespace;
    out.push({
      ...base,
      id: "scheduled-checks-silent-critical",
      kind: "scheduledChecksSilent",
      resource: `scheduled checks (every ${minutes} min)`,
      severity: "critical",
      namespace: ns,
      metric: { namespace: ns, metricName: CUSTOM_METRICS.suiteRuns.metricName, dimensions: { Environment: input.environment }, stat: "Sum" },
      metricLabel: CUSTOM_METRICS.suiteRuns.metricName,
      statistic: "Sum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      unit: "Count",
      missing: "monitorBreaching",
      meaning: `no smoke-suite run published a report in 2 schedule intervals (${2 * minutes} min): every custom-metric alarm is blind meanwhile`,
      period: minutes * 60,
      evaluation: { evaluationPeriods: 2, datapointsToAlarm: 2 },
    });
  }
  return out;
}

/** Every alarm for the stack: documented thresholds (warning + critical) and baseline health. */
export function alarmPlan<V = string>(input: AlarmPlanInput<V>): AlarmSpec<V>[] {
  const s = input.settings;
  const specs = [...documentedDrafts(input), ...baselineDrafts(input)].map((d): AlarmSpec<V> => {
    const [treatMissingData, missingDataWhy] = MISSING[d.missing];
    const anchor = RUNBOOK_ANCHORS[d.kind];
    const symbol = d.comparisonOperator === "GreaterThanThreshold" ? ">" : "<";
    return {
      id: d.id,
      name: `${input.namePrefix}-${d.id}`,
      kind: d.kind,
      documented: d.documented,
      resource: d.resource,
      severity: d.severity,
      namespace: d.namespace,
      publisher: d.namespace === s.customMetricNamespace ? "scheduled checks" : "aws",
      metric: d.metric ?? null,
      // The watched query carries the catalogue's label, so the console and the review agree.
      metricQueries: (d.metricQueries ?? []).map((q) => (q.returnData ? { ...q, label: d.metricLabel } : q)),
      metricLabel: d.metricLabel,
      statistic: d.statistic,
      period: d.period ?? s.periodSeconds,
      comparisonOperator: d.comparisonOperator,
      threshold: d.threshold,
      unit: d.unit,
      evaluationPeriods: d.evaluation?.evaluationPeriods ?? s.evaluationPeriods,
      datapointsToAlarm: d.evaluation?.datapointsToAlarm ?? s.datapointsToAlarm,
      treatMissingData,
      missingDataWhy,
      runbookAnchor: anchor,
      description: `${d.severity.toUpperCase()}: ${d.resource}: ${d.metricLabel} ${symbol} ${formatNumber(d.threshold)} ${d.unit}. Means ${d.meaning}. Missing data is ${treatMissingData}: ${missingDataWhy}. Runbook: ${RUNBOOK}#${anchor}`,
    };
  });
  const seen = new Set<string>();
  for (const spec of specs) {
    if (seen.has(spec.name)) throw new Error(`alarms: two alarms would share the name "${spec.name}" (check postgres.partitionPairs for duplicate tables)`);
    seen.add(spec.name);
  }
  return specs;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3).replace(/0+$/, "");
}

/** One row of the printed catalogue. */
export interface CatalogueRow {
  name: string;
  resource: string;
  metric: string;
  statistic: string;
  period: number;
  comparison: "<" | ">";
  threshold: number;
  unit: string;
  severity: Severity;
  /** Where ALARM/OK go, e.g. "SNS critical topic". */
  action: string;
}

export function catalogueRows(specs: AlarmSpec<unknown>[], action: (severity: Severity) => string = (s) => `SNS ${s} topic`): CatalogueRow[] {
  return specs.map((s) => ({
    name: s.name,
    resource: s.resource,
    metric: s.metricLabel,
    statistic: s.statistic,
    period: s.period,
    comparison: s.comparisonOperator === "GreaterThanThreshold" ? ">" : "<",
    threshold: s.threshold,
    unit: s.unit,
    severity: s.severity,
    action: action(s.severity),
  }));
}

/** Plain-text table of catalogue rows (the offline review prints it). */
export function formatRows(rows: CatalogueRow[]): string {
  const header = ["resource", "metric", "statistic", "period", "comparison", "threshold", "severity", "action"];
  const body = rows.map((r) => [r.resource, r.metric, r.statistic, `${r.period} s`, r.comparison, `${formatNumber(r.threshold)} ${r.unit}`, r.severity, r.action]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** The catalogue table for a plan: resource, metric, statistic, period, comparison, threshold in the metric's unit, severity, action. */
export function formatCatalogue(specs: AlarmSpec<unknown>[]): string {
  return formatRows(catalogueRows(specs));
}
