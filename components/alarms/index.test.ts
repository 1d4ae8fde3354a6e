/** The prod stack's alarms, topics and dashboard under Pulumi mocks, from the real program. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { alarmOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";
import { DOCUMENTED_THRESHOLDS, THRESHOLD_KEYS, type ThresholdKey } from "../thresholds/thresholds";
import { toMetricUnit } from "./catalogue";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TOPIC = "aws:sns/topic:Topic";
const settings = loadStackSettings("prod");

const alarms = (run: ProgramRun) => ofType(run, ALARM);
const named = (run: ProgramRun, suffix: string): RecordedResource => {
  const found = alarms(run).filter((a) => a.inputs.name === `data-tier-prod-${suffix}`);
  if (found.length !== 1) throw new Error(`expected one alarm data-tier-prod-${suffix}, found ${found.length}`);
  return found[0];
};
const kindOf = (a: RecordedResource) => a.inputs.tags.AlarmKind as string;

describe("prod: documented thresholds as CloudWatch alarms", () => {
  let run: ProgramRun;
  let topicArn: Record<"warning" | "critical", string>;
  beforeAll(async () => {
    run = await runProgram({ stack: "prod" });
    const topics = ofType(run, TOPIC);
    topicArn = { warning: topics.find((t) => t.inputs.tags.Severity === "warning")!.state.arn, critical: topics.find((t) => t.inputs.tags.Severity === "critical")!.state.arn };
  });

  it("has a warning and a critical alarm per documented threshold and resource, with the level converted to the metric's unit", () => {
    const expectPair = (suffix: string, key: ThresholdKey, factor = 1) => {
      for (const severity of ["warning", "critical"] as const) {
        const a = named(run, `${suffix}-${severity}`);
        expect(a.inputs.threshold, a.inputs.name).toBe(DOCUMENTED_THRESHOLDS[key][severity] * factor);
        expect(a.inputs.comparisonOperator).toBe(DOCUMENTED_THRESHOLDS[key].comparison === "greaterThan" ? "GreaterThanThreshold" : "LessThanThreshold");
        expect(a.inputs.alarmActions).toEqual([topicArn[severity]]);
        expect(a.inputs.okActions).toEqual([topicArn[severity]]);
        expect(kindOf(a)).toBe(key);
      }
    };
    for (let i = 1; i <= settings.postgres.replicas; i++) expectPair(`postgres-replica-${i}-replica-lag`, "replicaLag");
    expectPair("redis-replication-lag", "replicaLag");
    expectPair("redis-cache-hit-rate", "cacheHitRate");
    expectPair("redis-get-latency", "cacheGetTime", 1000);
    expectPair("cache-get-time-p99", "cacheGetTime");
    for (const pair of settings.postgres.partitionPairs) expectPair(`partition-row-delta-${pair.legacy.replace(/_/g, "-")}`, "partitionRowDelta");
    expectPair("cache-invalidation-failure-rate", "invalidationFailureRate");
    const documented = alarms(run).filter((a) => (THRESHOLD_KEYS as readonly string[]).includes(kindOf(a)));
    // 2 RDS replicas + Redis lag, hit rate, latency, client p99, 2 pairs, invalidation: 10 pairs.
    expect(documented).toHaveLength(2 * (settings.postgres.replicas + 4 + settings.postgres.partitionPairs.length + 1));
  });

  it("watches the RDS replicas by identifier and the Redis lag over every member node", () => {
    const pg = ofType(run, "aws:rds/instance:Instance").filter((r) => r.inputs.replicateSourceDb);
    const ids = alarms(run).filter((a) => kindOf(a) === "replicaLag" && a.inputs.namespace === "AWS/RDS").map((a) => a.inputs.dimensions.DBInstanceIdentifier);
    expect(new Set(ids)).toEqual(new Set(pg.map((r) => r.state.identifier)));
    const members = single(run, "aws:elasticache/replicationGroup:ReplicationGroup").state.memberClusters as string[];
    const lag = named(run, "redis-replication-lag-critical");
    expect(lag.inputs.metricQueries.filter((q: any) => q.metric).map((q: any) => q.metric.dimensions.CacheClusterId).sort()).toEqual([...members].sort());
    expect(lag.inputs.metricQueries.find((q: any) => q.returnData).expression).toMatch(/^MAX\(/);
    expect(lag.inputs.metricName).toBeUndefined();
  });

  it("sets a deliberate missing-data policy: silent lag breaches, idle cache does not, suite-published metrics keep their state", () => {
    expect(named(run, "postgres-replica-1-replica-lag-warning").inputs.treatMissingData).toBe("breaching");
    expect(named(run, "redis-replication-lag-warning").inputs.treatMissingData).toBe("breaching");
    expect(named(run, "redis-cache-hit-rate-critical").inputs.treatMissingData).toBe("notBreaching");
    expect(named(run, "cache-get-time-p99-warning").inputs).toMatchObject({ treatMissingData: "ignore", evaluationPeriods: 1, datapointsToAlarm: 1 });
    for (const a of alarms(run)) {
      expect(a.inputs.alarmDescription).toContain(`Missing data is ${a.inputs.treatMissingData}`);
      expect(a.inputs.alarmDescription.length).toBeLessThanOrEqual(1024);
      expect(a.inputs.unit).toBeUndefined();
    }
  });

  it("watches PgBouncer through Container Insights and the NLB target group the program created", () => {
    const tg = single(run, "aws:lb/targetGroup:TargetGroup").state.arnSuffix;
    const lb = single(run, "aws:lb/loadBalancer:LoadBalancer").state.arnSuffix;
    const svc = single(run, "aws:ecs/service:Service");
    const cluster = single(run, "aws:ecs/cluster:Cluster");
    expect(named(run, "pgbouncer-unhealthy-targets-warning").inputs.dimensions).toEqual({ TargetGroup: tg, LoadBalancer: lb });
    expect(named(run, "pgbouncer-no-tasks-critical").inputs.dimensions).toEqual({ ClusterName: cluster.inputs.name, ServiceName: svc.inputs.name });
    expect(named(run, "pgbouncer-no-tasks-critical").inputs.alarmActions).toEqual([topicArn.critical]);
    expect(cluster.inputs.settings).toContainEqual({ name: "containerInsights", value: "enabled" });
  });

  it("publishes custom-metric alarms in the stack's namespace with the Environment dimension", () => {
    expect(named(run, "cache-get-time-p99-critical").inputs).toMatchObject({ namespace: "DataTier", metricName: "CacheGetTimeP99", dimensions: { Environment: "prod" }, threshold: toMetricUnit(100, "milliseconds", "Milliseconds") });
    expect(named(run, "partition-row-delta-revenue-transactions-warning").inputs.dimensions).toEqual({ Environment: "prod", Table: "revenue_transactions" });
  });

  it("creates two KMS-encrypted topics (a key CloudWatch may use) with the stack's subscriptions", () => {
    const topics = ofType(run, TOPIC);
    expect(topics.map((t) => t.inputs.name).sort()).toEqual(["data-tier-prod-alarms-critical", "data-tier-prod-alarms-warning"]);
    const key = single(run, "aws:kms/key:Key");
    for (const t of topics) expect(t.inputs.kmsMasterKeyId).toBe(key.state.arn);
    const policy = JSON.parse(key.inputs.policy);
    const cw = policy.Statement.find((s: any) => s.Principal?.Service === "cloudwatch.amazonaws.com");
    expect(cw.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
    expect(key.inputs.enableKeyRotation).toBe(true);
    const subs = ofType(run, "aws:sns/topicSubscription:TopicSubscription").map((s) => `${s.inputs.topic.split(":").pop()} ${s.inputs.protocol} ${s.inputs.endpoint}`);
    expect(subs.sort()).toEqual([
      "data-tier-prod-alarms-critical email data-oncall@example.com",
      "data-tier-prod-alarms-critical https https://events.pagerduty.com/integration/example/enqueue",
      "data-tier-prod-alarms-warning email data-oncall@example.com",
      "data-tier-prod-alarms-warning https https://events.pagerduty.com/integration/example/enqueue",
    ]);
  });

  it("draws the alarm levels on the dashboard", () => {
    const body = JSON.parse(single(run, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardBody);
    const panel = (title: RegExp) => body.widgets.find((w: any) => title.test(w.properties.title)).properties;
    expect(panel(/Replica lag/).annotations.horizontal.map((h: any) => h.value)).toEqual([10, 30]);
    expect(panel(/hit rate/).annotations.horizontal.map((h: any) => h.value)).toEqual([50, 70]);
    expect(panel(/server side/).annotations.horizontal.map((h: any) => h.value)).toEqual([50_000, 100_000]);
    expect(panel(/client side/).annotations.horizontal.map((h: any) => h.value)).toEqual([50, 100]);
    expect(panel(/Partition sync/).metrics.map((m: any[]) => m[5])).toEqual(settings.postgres.partitionPairs.map((p) => p.legacy));
    for (const w of body.widgets) expect(w.properties.region).toBe("us-east-1");
  });

  it("exports the contract: every alarm's name, both topics and the namespace", () => {
    const c = alarmOutputs.parse(run.outputs.alarms);
    expect([...c.alarmNames].sort()).toEqual(alarms(run).map((a) => a.inputs.name).sort());
    expect(c.warningTopicArn).toBe(topicArn.warning);
    expect(c.criticalTopicArn).toBe(topicArn.critical);
    expect(c.customMetricNamespace).toBe("DataTier");
    for (const a of alarms(run)) expect(a.parent).toBe(single(run, "datatier:alarms:DataTierAlarms").urn);
  });
});

describe("alarms follow the topology and the settings", () => {
  const rdsLag = (run: ProgramRun) => alarms(run).filter((a) => kindOf(a) === "replicaLag" && a.inputs.namespace === "AWS/RDS");

  it("three Postgres replicas give three replica-lag pairs", async () => {
    const run = await runProgram({ stack: "prod", overrides: { postgres: { replicas: 3 } } });
    expect(rdsLag(run).map((a) => `${a.inputs.dimensions.DBInstanceIdentifier}:${a.inputs.tags.Severity}`)).toHaveLength(6);
    expect(new Set(rdsLag(run).map((a) => a.inputs.dimensions.DBInstanceIdentifier)).size).toBe(3);
  });

  it("no Postgres replicas, no RDS replica-lag alarm", async () => {
    const run = await runProgram({ stack: "prod", overrides: { production: false, postgres: { replicas: 0, multiAz: false, maxConnections: 1000 } } });
    expect(rdsLag(run)).toEqual([]);
    expect(alarms(run).length).toBeGreaterThan(0);
  });

  it("a stack's kmsKeyArn replaces the created key; dashboard false drops the dashboard", async () => {
    const kmsKeyArn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555";
    const run = await runProgram({ stack: "prod", overrides: { alarms: { kmsKeyArn, dashboard: false } } });
    expect(ofType(run, "aws:kms/key:Key")).toEqual([]);
    for (const t of ofType(run, TOPIC)) expect(t.inputs.kmsMasterKeyId).toBe(kmsKeyArn);
    expect(ofType(run, "aws:cloudwatch/dashboard:Dashboard")).toEqual([]);
  });

  it("docker has no CloudWatch: no alarms, no topics, an empty contract", async () => {
    const run = await runProgram({ stack: "dev" });
    expect(alarms(run)).toEqual([]);
    expect(ofType(run, TOPIC)).toEqual([]);
    expect(alarmOutputs.parse(run.outputs.alarms)).toEqual({ customMetricNamespace: "DataTier", warningTopicArn: null, criticalTopicArn: null, alarmNames: [] });
  });
});
