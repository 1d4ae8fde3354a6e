import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASE_PROFILE } from "../settings/defaults";
import { DOCUMENTED_THRESHOLDS, THRESHOLD_KEYS, resolveThresholds, type ThresholdKey } from "../thresholds/thresholds";
import { alarmPlan, catalogueRows, formatCatalogue, MAX_METRICS_PER_MATH_ALARM, toMetricUnit, type AlarmPlanInput, type AlarmSpec } from "./catalogue";

// design.md lives in shared/ beside the repository (CI lays a copy there too); the
// README carries the same table inside the repository, so one of them always runs.
const DESIGN = process.env.DESIGN_MD ?? join(__dirname, "..", "..", "..", "shared", "design.md");
const README = join(__dirname, "..", "..", "README.md");
const TABLES = [DESIGN, README].filter((f) => existsSync(f));

function input(over: Partial<AlarmPlanInput> = {}, topo: Partial<AlarmPlanInput["topology"]> = {}): AlarmPlanInput {
  return {
    namePrefix: "data-tier-prod",
    environment: "prod",
    settings: BASE_PROFILE.alarms as AlarmPlanInput["settings"],
    thresholds: resolveThresholds(),
    postgresMaxConnections: 1000,
    topology: {
      redis: { replicationGroupId: "data-tier-prod-redis", memberClusterIds: ["data-tier-prod-redis-001", "data-tier-prod-redis-002", "data-tier-prod-redis-003"], replicasPerShard: 2 },
      postgres: { primaryInstanceId: "data-tier-prod-postgres", replicaInstanceIds: ["data-tier-prod-postgres-replica-1", "data-tier-prod-postgres-replica-2"] },
      pgbouncer: { clusterName: "data-tier-prod-pgbouncer", serviceName: "pgbouncer", targetGroupArnSuffix: "targetgroup/pgb/1", loadBalancerArnSuffix: "net/pgb/2", desiredCount: 2 },
      partitionTables: ["revenue_transactions", "expense_transactions"],
      ...topo,
    },
    ...over,
  };
}

/** Rows of design.md's "Documented thresholds" table: label, warning, critical. */
function designRows(md: string, file: string): { label: string; warning: string; critical: string }[] {
  const section = md.split("## Documented thresholds")[1]?.split("\n## ")[0];
  if (!section) throw new Error(`${file}: no "## Documented thresholds" section`);
  return section
    .split("\n")
    .filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l) && !/^\|\s*metric\s*\|/.test(l))
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()))
    .map(([label, warning, critical]) => ({ label, warning, critical }));
}

/** "> 10 s" -> { symbol ">", value 10, unit "seconds" }. */
function parseLevel(cell: string): { symbol: string; value: number; unit: string } {
  const m = /^([<>])\s*([\d.]+)\s*(%|s|ms)?$/.exec(cell);
  if (!m) throw new Error(`cannot read threshold cell "${cell}"`);
  const unit = { "%": "percent", s: "seconds", ms: "milliseconds", "": "count" }[m[3] ?? ""]!;
  return { symbol: m[1], value: Number(m[2]), unit };
}

describe("alarm catalogue against the documented thresholds table", () => {
  it("finds the table in the repository at least", () => {
    expect(TABLES).toContain(README);
  });

  it.each(TABLES)("every row of %s matches the catalogue's warning and critical alarms after unit conversion", (file) => {
    const rows = designRows(readFileSync(file, "utf8"), file);
    expect(rows.map((r) => r.label).sort()).toEqual(THRESHOLD_KEYS.map((k) => DOCUMENTED_THRESHOLDS[k].label).sort());
    const specs = alarmPlan(input());
    const table = catalogueRows(specs);
    for (const row of rows) {
      const key = THRESHOLD_KEYS.find((k) => DOCUMENTED_THRESHOLDS[k].label === row.label) as ThresholdKey;
      const ofKey = specs.filter((s) => s.kind === key);
      expect(ofKey.length, row.label).toBeGreaterThanOrEqual(2);
      for (const severity of ["warning", "critical"] as const) {
        const level = parseLevel(row[severity]);
        expect(level.unit, row.label).toBe(DOCUMENTED_THRESHOLDS[key].unit);
        const mine = ofKey.filter((s) => s.severity === severity);
        expect(mine.length).toBeGreaterThan(0);
        for (const s of mine) {
          expect(s.threshold, `${s.name}`).toBe(toMetricUnit(level.value, DOCUMENTED_THRESHOLDS[key].unit, s.unit));
          const r = table.find((x) => x.name === s.name)!;
          expect(r.comparison).toBe(level.symbol);
          expect(r.threshold).toBe(s.threshold);
        }
      }
    }
  });
});

describe("alarmPlan", () => {
  const specs = alarmPlan(input());
  const byId = (id: string) => {
    const s = specs.find((x) => x.id === id);
    if (!s) throw new Error(`no ${id} in ${specs.map((x) => x.id).join(", ")}`);
    return s;
  };

  it("alarms on RDS ReplicaLag per read replica, both severities, breaching when silent", () => {
    const lag = specs.filter((s) => s.kind === "replicaLag" && s.namespace === "AWS/RDS");
    expect(lag.map((s) => `${s.metric!.dimensions.DBInstanceIdentifier}/${s.severity}/${s.threshold}`)).toEqual([
      "data-tier-prod-postgres-replica-1/warning/10",
      "data-tier-prod-postgres-replica-1/critical/30",
      "data-tier-prod-postgres-replica-2/warning/10",
      "data-tier-prod-postgres-replica-2/critical/30",
    ]);
    for (const s of lag) {
      expect(s).toMatchObject({ comparisonOperator: "GreaterThanThreshold", statistic: "Maximum", unit: "Seconds", treatMissingData: "breaching", evaluationPeriods: 5, datapointsToAlarm: 3 });
    }
  });

  it("takes ElastiCache ReplicationLag as the MAX over every member node, not one node or the group id", () => {
    const s = byId("redis-replication-lag-critical");
    expect(s.metric).toBeNull();
    const nodes = s.metricQueries.filter((q) => q.metric).map((q) => q.metric!.dimensions.CacheClusterId);
    expect(nodes).toEqual(["data-tier-prod-redis-001", "data-tier-prod-redis-002", "data-tier-prod-redis-003"]);
    const ret = s.metricQueries.filter((q) => q.returnData);
    expect(ret).toHaveLength(1);
    expect(ret[0].expression).toBe("MAX([n0, n1, n2])");
    expect(s).toMatchObject({ threshold: 30, treatMissingData: "breaching" });
  });

  it("computes the group-wide hit rate from summed hits and misses, alarming below the level", () => {
    const s = byId("redis-cache-hit-rate-warning");
    const exprs = Object.fromEntries(s.metricQueries.filter((q) => q.expression).map((q) => [q.id, q.expression]));
    expect(exprs.hits).toBe("SUM([h0, h1, h2])");
    expect(exprs.misses).toBe("SUM([m0, m1, m2])");
    expect(exprs.rate).toMatch(/100 \* hits \/ \(hits \+ misses\)/);
    expect(s.metricQueries.filter((q) => q.metric).map((q) => q.metric!.metricName).sort()).toEqual(["CacheHits", "CacheHits", "CacheHits", "CacheMisses", "CacheMisses", "CacheMisses"]);
    expect(s).toMatchObject({ comparisonOperator: "LessThanThreshold", threshold: 70, unit: "Percent", treatMissingData: "notBreaching" });
    expect(byId("redis-cache-hit-rate-critical").threshold).toBe(50);
  });

  it("converts the GET time to microseconds for GetTypeCmdsLatency and keeps milliseconds for the client-side p99", () => {
    expect(byId("redis-get-latency-warning")).toMatchObject({ threshold: 50_000, unit: "Microseconds" });
    expect(byId("redis-get-latency-critical")).toMatchObject({ threshold: 100_000, unit: "Microseconds" });
    const p99 = byId("cache-get-time-p99-critical");
    expect(p99).toMatchObject({ threshold: 100, unit: "Milliseconds", namespace: "DataTier", treatMissingData: "ignore", evaluationPeriods: 1, datapointsToAlarm: 1 });
    expect(p99.metric).toEqual({ namespace: "DataTier", metricName: "CacheGetTimeP99", dimensions: { Environment: "prod" }, stat: "Maximum" });
  });

  it("has a PartitionRowDelta pair per table and the invalidation failure rate, in the custom namespace", () => {
    const delta = specs.filter((s) => s.kind === "partitionRowDelta");
    expect(delta.map((s) => `${s.metric!.dimensions.Table}:${s.severity}:${s.threshold}`)).toEqual([
      "revenue_transactions:warning:10",
      "revenue_transactions:critical:100",
      "expense_transactions:warning:10",
      "expense_transactions:critical:100",
    ]);
    expect(byId("cache-invalidation-failure-rate-critical")).toMatchObject({ threshold: 10, unit: "Percent", metric: { metricName: "CacheInvalidationFailureRate", dimensions: { Environment: "prod" } } });
  });

  it("adds baseline health alarms from settings.alarms.baseline", () => {
    expect(byId("postgres-primary-connections-warning").threshold).toBe(800);
    expect(byId("postgres-replica-2-free-storage-critical")).toMatchObject({ threshold: 10 * 1024 ** 3, unit: "Bytes", comparisonOperator: "LessThanThreshold" });
    expect(byId("postgres-primary-freeable-memory-warning").threshold).toBe(512 * 1024 ** 2);
    expect(byId("redis-engine-cpu-warning").metricQueries.at(-1)!.expression).toBe("MAX([n0, n1, n2])");
    const below = byId("pgbouncer-tasks-below-desired-warning");
    expect(below).toMatchObject({ threshold: 0, comparisonOperator: "GreaterThanThreshold", treatMissingData: "breaching", metric: null });
    expect(below.metricQueries.map((q) => q.metric?.metricName ?? q.expression)).toEqual(["RunningTaskCount", "DesiredTaskCount", "desired - running"]);
    expect(below.metricQueries[0].metric!.dimensions).toEqual({ ClusterName: "data-tier-prod-pgbouncer", ServiceName: "pgbouncer" });
    expect(byId("pgbouncer-no-tasks-critical")).toMatchObject({ threshold: 1, comparisonOperator: "LessThanThreshold", metric: { metricName: "RunningTaskCount" } });
    expect(byId("pgbouncer-unhealthy-targets-warning").metric!.dimensions).toEqual({ TargetGroup: "targetgroup/pgb/1", LoadBalancer: "net/pgb/2" });
    const five = alarmPlan(input({ settings: { ...BASE_PROFILE.alarms, periodSeconds: 300 } as AlarmPlanInput["settings"] }));
    expect(five.find((s) => s.id === "redis-evictions-warning")!.threshold).toBe(500);
  });

  it("describes every alarm with its meaning, missing-data reason and runbook anchor", () => {
    for (const s of specs) {
      expect(s.description).toContain(`docs/runbook.md#${s.runbookAnchor}`);
      expect(s.description).toContain(`Missing data is ${s.treatMissingData}`);
      expect(s.name).toBe(`data-tier-prod-${s.id}`);
    }
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
  });

  it("follows the topology: no replicas, no lag alarms; three replicas, three pairs", () => {
    const none = alarmPlan(input({}, { postgres: { primaryInstanceId: "p", replicaInstanceIds: [] }, redis: { replicationGroupId: "g", memberClusterIds: ["g-001"], replicasPerShard: 0 } }));
    expect(none.filter((s) => s.kind === "replicaLag")).toEqual([]);
    const three = alarmPlan(input({}, { postgres: { primaryInstanceId: "p", replicaInstanceIds: ["r1", "r2", "r3"] } }));
    expect(three.filter((s) => s.kind === "replicaLag" && s.namespace === "AWS/RDS")).toHaveLength(6);
    const bare = alarmPlan(input({}, { redis: null, postgres: null, pgbouncer: null, partitionTables: [] }));
    expect(bare.map((s) => s.kind).sort()).toEqual(["cacheGetTime", "cacheGetTime", "invalidationFailureRate", "invalidationFailureRate"]);
  });

  it("stays within CloudWatch's 10 metrics per math alarm: worst node's hit rate above 5 nodes; above 10 nodes one alarm per part", () => {
    const six = Array.from({ length: 6 }, (_, i) => `g-00${i + 1}`);
    const s = alarmPlan(input({}, { redis: { replicationGroupId: "g", memberClusterIds: six, replicasPerShard: 5 } })).find((x) => x.id === "redis-cache-hit-rate-warning")!;
    expect(s.metricQueries.filter((q) => q.metric).length).toBeLessThanOrEqual(MAX_METRICS_PER_MATH_ALARM);
    expect(s.metricQueries.at(-1)!.expression).toMatch(/^MIN\(/);
    // Issue 21: 4 shards x 3 nodes used to throw (exit 4 in review); now split into parts.
    const many = Array.from({ length: 12 }, (_, i) => `g-${i}`);
    const plan = alarmPlan(input({}, { redis: { replicationGroupId: "g", memberClusterIds: many, replicasPerShard: 2 } }));
    expect(plan.filter((x) => x.kind === "replicaLag" && x.namespace === "AWS/ElastiCache").map((x) => x.id).sort()).toEqual(["redis-replication-lag-nodes-1-of-2-critical", "redis-replication-lag-nodes-1-of-2-warning", "redis-replication-lag-nodes-2-of-2-critical", "redis-replication-lag-nodes-2-of-2-warning"]);
  });

  // The whole class: every group size ElastiCache allows (1-500 nodes), every node-math alarm.
  it("for every group size from 1 to 500 nodes, each node-math kind covers every node exactly once, 10 metrics at most per alarm, and the eviction parts' thresholds add up to the group's", () => {
    const kinds = ["replicaLag", "cacheHitRate", "redisEngineCpu", "redisEvictions", "redisConnections"];
    const whole = alarmPlan(input({}, { redis: { replicationGroupId: "g", memberClusterIds: ["g-0"], replicasPerShard: 1 } })).find((x) => x.kind === "redisEvictions")!.threshold;
    for (let n = 1; n <= 500; n++) {
      const nodes = Array.from({ length: n }, (_, i) => `g-${i}`);
      const plan = alarmPlan(input({}, { redis: { replicationGroupId: "g", memberClusterIds: nodes, replicasPerShard: 1 } }));
      for (const kind of kinds) {
        const specs = plan.filter((x) => x.kind === kind && x.namespace === "AWS/ElastiCache" && x.severity === "warning");
        const read = specs.flatMap((x) => x.metricQueries.filter((q) => q.metric).map((q) => `${q.metric!.metricName}:${q.metric!.dimensions.CacheClusterId}`));
        for (const x of specs) expect(x.metricQueries.filter((q) => q.metric).length).toBeLessThanOrEqual(MAX_METRICS_PER_MATH_ALARM);
        expect(new Set(read).size).toBe(read.length);
        expect(new Set(read.map((r) => r.split(":")[1]))).toEqual(new Set(nodes));
      }
      const ev = plan.filter((x) => x.kind === "redisEvictions");
      expect(ev.reduce((t, x) => t + x.threshold, 0)).toBeCloseTo(whole, 6);
      expect(new Set(plan.map((x) => x.name)).size).toBe(plan.length);
    }
  });

  it("follows overridden thresholds", () => {
    const t = resolveThresholds({ replicaLag: { warning: 5, critical: 20 }, cacheGetTime: { warning: 2, critical: 4 } });
    const p = alarmPlan(input({ thresholds: t }));
    expect(p.filter((s) => s.kind === "replicaLag").map((s) => s.threshold)).toEqual([5, 20, 5, 20, 5, 20]);
    expect(p.find((s) => s.id === "redis-get-latency-warning")!.threshold).toBe(2000);
  });

  it("refuses duplicate alarm names", () => {
    expect(() => alarmPlan(input({}, { partitionTables: ["a_b", "a-b"] }))).toThrow(/share the name .*partitionPairs/);
  });
});

describe("formatCatalogue", () => {
  it("prints one aligned row per alarm with the threshold in the metric's unit and the action", () => {
    const specs: AlarmSpec[] = alarmPlan(input());
    const text = formatCatalogue(specs);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^resource\s+metric\s+statistic\s+period\s+comparison\s+threshold\s+severity\s+action$/);
    expect(lines).toHaveLength(specs.length + 2);
    expect(text).toMatch(/MAX\(GetTypeCmdsLatency\) over 3 nodes\s+Average\s+60 s\s+>\s+50000 Microseconds\s+warning\s+SNS warning topic/);
    expect(text).toMatch(/RDS read replica 2\s+ReplicaLag\s+Maximum\s+60 s\s+>\s+30 Seconds\s+critical\s+SNS critical topic/);
  });
});
