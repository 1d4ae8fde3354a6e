/** DataTierAlarms built directly from Args (edge cases the committed stacks do not reach). */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_REGION, mockCall, mockNewResource } from "../../tools/evaluate/mocks";
import { BASE_PROFILE } from "../settings/defaults";
import type { AlarmSettings } from "../settings/schema";
import { resolveThresholds } from "../thresholds/thresholds";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const registered: Registered[] = [];

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        return mockNewResource(args);
      },
      call: mockCall,
    },
    "data-tier",
    "edge",
    false,
  );
});

const settings = { ...BASE_PROFILE.alarms, dashboard: true } as AlarmSettings;
const resolve = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

async function build(name: string, extra: Record<string, unknown>) {
  const { DataTierAlarms } = await import("./index");
  const c = new DataTierAlarms(name, { settings, thresholds: resolveThresholds(), environment: "edge", region: "eu-west-1", postgresMaxConnections: 400, ...extra });
  const contract = await resolve(c.contract);
  const specs = await resolve(c.specs);
  await (pulumi.runtime as any).waitForRPCs?.();
  const mine = registered.filter((r) => r.name.startsWith(`${name}-`));
  return { c, contract, specs, alarms: mine.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm"), mine };
}

describe("DataTierAlarms from Args", () => {
  it("alarms on PgBouncer tasks (Container Insights, desired from the service) and NLB targets, with ids that are Outputs", async () => {
    const { alarms, specs } = await build("pgb", {
      pgbouncer: { clusterName: pulumi.output("c1"), serviceName: "s1", targetGroupArnSuffix: pulumi.output("targetgroup/t/1"), loadBalancerArnSuffix: "net/l/2", desiredCount: 3 },
    });
    const byName = (n: string) => alarms.find((a) => a.inputs.name === `pgb-${n}`)!;
    const below = byName("pgbouncer-tasks-below-desired-warning");
    expect(below.inputs.metricQueries.map((q: any) => q.metric?.dimensions ?? q.expression)).toEqual([{ ClusterName: "c1", ServiceName: "s1" }, { ClusterName: "c1", ServiceName: "s1" }, "desired - running"]);
    expect(below.inputs.alarmActions[0]).toMatch(/pgb-alarms-warning$/);
    const none = byName("pgbouncer-no-tasks-critical");
    expect(none.inputs).toMatchObject({ namespace: "ECS/ContainerInsights", metricName: "RunningTaskCount", threshold: 1, comparisonOperator: "LessThanThreshold", treatMissingData: "breaching" });
    expect(none.inputs.alarmActions[0]).toMatch(/pgb-alarms-critical$/);
    expect(byName("pgbouncer-unhealthy-targets-warning").inputs.dimensions).toEqual({ TargetGroup: "targetgroup/t/1", LoadBalancer: "net/l/2" });
    expect(byName("pgbouncer-no-healthy-targets-critical").inputs).toMatchObject({ metricName: "HealthyHostCount", threshold: 1 });
    expect(specs.find((s) => s.id === "pgbouncer-unhealthy-targets-warning")!.metric!.dimensions.TargetGroup).toBe("targetgroup/t/1");
  });

  it("with no Redis, Postgres or PgBouncer keeps only the custom-metric alarms, and names them with the prefix", async () => {
    const { alarms, contract } = await build("bare", { namePrefix: "acme-qa", partitionTables: ["orders"] });
    expect(alarms.map((a) => a.inputs.name).sort()).toEqual(
      ["cache-get-time-p99", "cache-invalidation-failure-rate", "partition-row-delta-orders"].flatMap((n) => [`acme-qa-${n}-critical`, `acme-qa-${n}-warning`]).sort(),
    );
    expect(contract.alarmNames).toHaveLength(6);
    expect(contract.warningTopicArn).toMatch(/acme-qa-alarms-warning$/);
  });

  it("a single-node Redis (no replicas) gets hit-rate and latency alarms but no replication-lag alarm", async () => {
    const { alarms } = await build("solo", { redis: { replicationGroupId: "g", memberClusterIds: [pulumi.output("g-001")], replicasPerShard: 0 } });
    const names = alarms.map((a) => a.inputs.name);
    expect(names).toContain("solo-redis-cache-hit-rate-warning");
    expect(names.some((n) => n.includes("replication-lag"))).toBe(false);
  });

  it("splits a Redis group too large for one metric-math alarm into alarms of at most 10 metrics each (issue 21: it used to throw)", async () => {
    const ids = Array.from({ length: 11 }, (_, i) => `g-${i}`);
    const { alarms } = await build("huge", { redis: { replicationGroupId: "g", memberClusterIds: ids, replicasPerShard: 10 } });
    const cpu = alarms.filter((a) => String(a.inputs.name).includes("redis-engine-cpu"));
    expect(cpu.map((a) => a.inputs.name).sort()).toEqual(["huge-redis-engine-cpu-nodes-1-of-2-warning", "huge-redis-engine-cpu-nodes-2-of-2-warning"]);
    for (const a of alarms) expect((a.inputs.metricQueries ?? []).filter((q: { metric?: unknown }) => q.metric).length).toBeLessThanOrEqual(10);
  });
  it("lets CloudWatch use the topics' key only for this stack's alarms, and every alarm it creates matches", async () => {
    const { alarms, mine } = await build("keyed", { namePrefix: "acme-qa", partitionTables: ["orders"] });
    const key = mine.find((r) => r.type === "aws:kms/key:Key")!;
    const policy = JSON.parse(await resolve(pulumi.output(key.inputs.policy)));
    const cw = policy.Statement.find((s: any) => s.Principal?.Service === "cloudwatch.amazonaws.com");
    expect(cw.Action).toEqual(["kms:Decrypt", "kms:GenerateDataKey*"]);
    const pattern: string = cw.Condition.ArnLike["aws:SourceArn"];
    expect(pattern).toBe(`arn:aws:cloudwatch:${MOCK_REGION}:${cw.Condition.StringEquals["aws:SourceAccount"]}:alarm:acme-qa-*`);
    // A pattern that drifts from the alarm names would drop every notification silently.
    const glob = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
    const account = cw.Condition.StringEquals["aws:SourceAccount"];
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect(`arn:aws:cloudwatch:${MOCK_REGION}:${account}:alarm:${a.inputs.name}`).toMatch(glob);
    expect(`arn:aws:cloudwatch:${MOCK_REGION}:${account}:alarm:other-team-cpu`).not.toMatch(glob);
  });
});
