/**
 * The CloudWatch dashboard: the seed's panels (replica lag, cache hit rate and latency,
 * partition sync, PgBouncer tasks and connections), each with the alarm levels drawn as
 * horizontal annotations taken from the same specs the alarms are made of, so a line
 * on the graph is always where the alarm fires.
 */
import { CUSTOM_METRICS, type AlarmPlanInput, type AlarmSpec } from "./catalogue";

type MetricRow = (string | Record<string, unknown>)[];
interface Annotation {
  label: string;
  value: number;
  color: string;
  fill?: "above" | "below";
}
export interface Widget {
  type: "metric";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title: string;
    region: string;
    view: "timeSeries";
    stacked: false;
    period: number;
    metrics: MetricRow[];
    annotations: { horizontal: Annotation[] };
    yAxis?: { left: { label: string; min: number; max?: number } };
  };
}

const COLOR = { warning: "#ff7f0e", critical: "#d62728" } as const;

/** Warning and critical lines for the alarms of some kinds, deduplicated by level. */
export function levelLines(specs: AlarmSpec<unknown>[], match: (s: AlarmSpec<unknown>) => boolean): Annotation[] {
  const seen = new Map<string, Annotation>();
  for (const s of specs.filter(match)) {
    const key = `${s.severity}:${s.threshold}`;
    if (!seen.has(key)) {
      seen.set(key, { label: `${s.severity} ${s.comparisonOperator === "GreaterThanThreshold" ? ">" : "<"} ${s.threshold} ${s.unit}`, value: s.threshold, color: COLOR[s.severity], fill: s.comparisonOperator === "GreaterThanThreshold" ? "above" : "below" });
    }
  }
  return [...seen.values()].sort((a, b) => a.value - b.value);
}

/** Dashboard body (the JSON CloudWatch stores) for resolved ids. */
export function dashboardBody(input: AlarmPlanInput, specs: AlarmSpec[], region: string): { widgets: Widget[] } {
  const { topology: t, environment } = input;
  const ns = input.settings.customMetricNamespace;
  const period = input.settings.periodSeconds;
  const panels: { title: string; metrics: MetricRow[]; lines: Annotation[]; unit: string; max?: number }[] = [];

  const lag: MetricRow[] = [
    ...(t.postgres?.replicaInstanceIds ?? []).map((id) => ["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", id, { stat: "Maximum", label: `RDS ${id}` }]),
    ...(t.redis && t.redis.replicasPerShard > 0 ? t.redis.memberClusterIds : []).map((id) => ["AWS/ElastiCache", "ReplicationLag", "CacheClusterId", id, { stat: "Maximum", label: `Redis ${id}` }]),
  ];
  if (lag.length > 0) panels.push({ title: "Replica lag (seconds)", metrics: lag, lines: levelLines(specs, (s) => s.kind === "replicaLag"), unit: "Seconds" });

  if (t.redis) {
    const nodes = t.redis.memberClusterIds;
    panels.push({
      title: "Cache hit rate, group-wide (%)",
      metrics: [
        ...nodes.map((id, i) => ["AWS/ElastiCache", "CacheHits", "CacheClusterId", id, { id: `h${i}`, stat: "Sum", visible: false }]),
        ...nodes.map((id, i) => ["AWS/ElastiCache", "CacheMisses", "CacheClusterId", id, { id: `m${i}`, stat: "Sum", visible: false }]),
        [{ expression: `100 * SUM([${nodes.map((_, i) => `h${i}`).join(", ")}]) / (SUM([${nodes.map((_, i) => `h${i}`).join(", ")}]) + SUM([${nodes.map((_, i) => `m${i}`).join(", ")}]))`, label: "hit rate", id: "rate" }],
      ],
      lines: levelLines(specs, (s) => s.kind === "cacheHitRate"),
      unit: "Percent",
      max: 100,
    });
    panels.push({
      title: "Cache GET latency, server side (microseconds)",
      metrics: nodes.map((id) => ["AWS/ElastiCache", "GetTypeCmdsLatency", "CacheClusterId", id, { stat: "Average" }]),
      lines: levelLines(specs, (s) => s.kind === "cacheGetTime" && s.unit === "Microseconds"),
      unit: "Microseconds",
    });
  }
  panels.push({
    title: "Cache GET p99, client side (milliseconds)",
    metrics: [[ns, CUSTOM_METRICS.cacheGetTimeP99.metricName, "Environment", environment, { stat: "Maximum" }]],
    lines: levelLines(specs, (s) => s.kind === "cacheGetTime" && s.unit === "Milliseconds"),
    unit: "Milliseconds",
  });
  if (t.partitionTables.length > 0) {
    panels.push({
      title: "Partition sync: row-count delta (legacy - partitioned)",
      metrics: t.partitionTables.map((table) => [ns, CUSTOM_METRICS.partitionRowDelta.metricName, "Environment", environment, "Table", table, { stat: "Maximum" }]),
      lines: levelLines(specs, (s) => s.kind === "partitionRowDelta"),
      unit: "Count",
    });
  }
  panels.push({
    title: "Cache invalidation failure rate (%)",
    metrics: [[ns, CUSTOM_METRICS.invalidationFailureRate.metricName, "Environment", environment, { stat: "Maximum" }]],
    lines: levelLines(specs, (s) => s.kind === "invalidationFailureRate"),
    unit: "Percent",
  });
  if (t.pgbouncer) {
    const pb = t.pgbouncer;
    panels.push({
      title: "PgBouncer tasks (running vs desired)",
      metrics: [
        ["ECS/ContainerInsights", "RunningTaskCount", "ClusterName", pb.clusterName, "ServiceName", pb.serviceName, { stat: "Minimum" }],
        ["ECS/ContainerInsights", "DesiredTaskCount", "ClusterName", pb.clusterName, "ServiceName", pb.serviceName, { stat: "Maximum" }],
        ["AWS/NetworkELB", "HealthyHostCount", "TargetGroup", pb.targetGroupArnSuffix, "LoadBalancer", pb.loadBalancerArnSuffix, { stat: "Minimum" }],
      ],
      lines: levelLines(specs, (s) => s.kind === "pgbouncerTasksBelowDesired" || s.kind === "pgbouncerNoTasks"),
      unit: "Count",
    });
  }
  if (t.postgres || t.pgbouncer) {
    const ids = t.postgres ? [t.postgres.primaryInstanceId, ...t.postgres.replicaInstanceIds] : [];
    panels.push({
      title: "Connections: PostgreSQL server connections and PgBouncer client flows",
      metrics: [
        ...ids.map((id) => ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", id, { stat: "Maximum" }]),
        ...(t.pgbouncer ? [["AWS/NetworkELB", "ActiveFlowCount", "LoadBalancer", t.pgbouncer.loadBalancerArnSuffix, { stat: "Average", label: "PgBouncer client flows (NLB)" }]] : []),
      ],
      lines: [...levelLines(specs, (s) => s.kind === "rdsConnections"), { label: `postgres max_connections ${input.postgresMaxConnections}`, value: input.postgresMaxConnections, color: "#7f7f7f" }],
      unit: "Count",
    });
  }

  const widgets = panels.map((p, i): Widget => ({
    type: "metric",
    x: (i % 2) * 12,
    y: Math.floor(i / 2) * 6,
    width: 12,
    height: 6,
    properties: {
      title: p.title,
      region,
      view: "timeSeries",
      stacked: false,
      period,
      metrics: p.metrics,
      annotations: { horizontal: p.lines },
      yAxis: { left: { label: p.unit, min: 0, ...(p.max ? { max: p.max } : {}) } },
    },
  }));
  return { widgets };
}
