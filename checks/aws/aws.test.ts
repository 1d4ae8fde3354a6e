import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeReplicationGroupsCommand, ElastiCacheClient, type ReplicationGroup } from "@aws-sdk/client-elasticache";
import { DescribeDBInstancesCommand, RDSClient, type DBInstance } from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import type { StackOutputs } from "../../components/contract/outputs";
import { runSuite, type SuiteReport } from "../suite";
import { awsChecksWith } from "./index";

const ec = mockClient(ElastiCacheClient);
const rds = mockClient(RDSClient);
const ecs = mockClient(ECSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
afterAll(() => [ec, rds, ecs, elb].forEach((m) => m.restore()));

function awsOutputs(): StackOutputs {
  const o = sampleOutputs();
  o.platform = "aws";
  o.region = "eu-west-1";
  o.redis.expectedReplicas = 2;
  o.redis.aws = { replicationGroupId: "datatier-prod", authTokenSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis", userGroupId: null, userSecretArns: null };
  o.postgres.aws = { primaryInstanceId: "datatier-prod-pg", replicaInstanceIds: ["datatier-prod-pg-r1", "datatier-prod-pg-r2"], masterSecretArn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:pg" };
  o.pgbouncer.aws = { clusterName: "datatier-prod", serviceName: "pgbouncer", targetGroupArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/pgb/1", loadBalancerArn: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/pgb/1", desiredCount: 2 };
  return o;
}

const group: ReplicationGroup = {
  ReplicationGroupId: "datatier-prod",
  Status: "available",
  AutomaticFailover: "enabled",
  MultiAZ: "enabled",
  MemberClusters: ["datatier-prod-001", "datatier-prod-002", "datatier-prod-003"],
  NodeGroups: [{ NodeGroupId: "0001", NodeGroupMembers: [{ CacheClusterId: "datatier-prod-001" }, { CacheClusterId: "datatier-prod-002" }, { CacheClusterId: "datatier-prod-003" }] }],
};
const primary: DBInstance = { DBInstanceIdentifier: "datatier-prod-pg", DBInstanceStatus: "available", MultiAZ: true, AvailabilityZone: "eu-west-1a", SecondaryAvailabilityZone: "eu-west-1b" };
const replica = (id: string, source = "datatier-prod-pg"): DBInstance => ({ DBInstanceIdentifier: id, DBInstanceStatus: "available", ReadReplicaSourceDBInstanceIdentifier: source, StatusInfos: [{ StatusType: "read replication", Normal: true, Status: "replicating" }] });
const healthyTarget = (id: string) => ({ Target: { Id: id, Port: 6432 }, TargetHealth: { State: "healthy" as const } });

function healthy() {
  [ec, rds, ecs, elb].forEach((m) => m.reset());
  ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [group] });
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "datatier-prod-pg" }).resolves({ DBInstances: [primary] });
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "datatier-prod-pg-r1" }).resolves({ DBInstances: [replica("datatier-prod-pg-r1")] });
  rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "datatier-prod-pg-r2" }).resolves({ DBInstances: [replica("datatier-prod-pg-r2", "arn:aws:rds:eu-west-1:123456789012:db:datatier-prod-pg")] });
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: "pgbouncer", status: "ACTIVE", desiredCount: 2, runningCount: 2, pendingCount: 0 }] });
  elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [healthyTarget("10.0.1.10"), healthyTarget("10.0.2.10")] });
}

const fastRetry = { attempts: 3, baseDelayMs: 5 };
async function run(outputs = awsOutputs()): Promise<SuiteReport> {
  return runSuite(outputs, { factories: [awsChecksWith(fastRetry)], hooks: [] });
}
const byId = (r: SuiteReport, id: string) => {
  const found = r.results.find((x) => x.id === id);
  if (!found) throw new Error(`no result ${id} in ${r.results.map((x) => x.id).join(", ")}`);
  return found;
};
const statuses = (r: SuiteReport) => Object.fromEntries(r.results.map((x) => [x.id, x.status]));

function throttled(): Error {
  return Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } });
}

beforeEach(healthy);

describe("AWS control-plane checks", () => {
  it("pass on a healthy stack: one check per replica, the stack's region", async () => {
    const r = await run();
    expect(statuses(r)).toEqual({
      "elasticache.failover": "PASS",
      "elasticache.replication-group": "PASS",
      "rds.primary": "PASS",
      "rds.replica.datatier-prod-pg-r1": "PASS",
      "rds.replica.datatier-prod-pg-r2": "PASS",
      "ecs.service": "PASS",
      "nlb.targets": "PASS",
    });
    expect(r.overall).toBe("healthy");
    expect(await ec.call(0).thisValue.config.region()).toBe("eu-west-1");
    expect(ec.commandCalls(DescribeReplicationGroupsCommand)[0].args[0].input).toEqual({ ReplicationGroupId: "datatier-prod" });
  });

  it("are not built off AWS", async () => {
    const o = awsOutputs();
    o.platform = "sandbox";
    expect(awsChecksWith(fastRetry)(o)).toEqual([]);
  });

  it("fail when automatic failover is disabled", async () => {
    ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [{ ...group, AutomaticFailover: "disabled", MultiAZ: "disabled" }] });
    const r = await run();
    expect(byId(r, "elasticache.failover")).toMatchObject({ status: "FAIL", message: "datatier-prod: automatic failover is disabled, Multi-AZ is disabled; a primary failure would not promote a replica in another AZ" });
    expect(byId(r, "elasticache.replication-group").status).toBe("PASS");
  });

  it("fail when the group is missing a member or not available", async () => {
    ec.on(DescribeReplicationGroupsCommand).resolves({ ReplicationGroups: [{ ...group, Status: "modifying", MemberClusters: group.MemberClusters!.slice(0, 2), NodeGroups: [{ NodeGroupId: "0001", NodeGroupMembers: group.NodeGroups![0].NodeGroupMembers!.slice(0, 2) }] }] });
    const m = byId(await run(), "elasticache.replication-group");
    expect(m.status).toBe("FAIL");
    expect(m.message).toContain("status is modifying, not available");
    expect(m.message).toContain("shard 0001 has 2 member(s), expected 3 (1 primary + 2 replicas)");
  });

  it("fail a replica that does not replicate from the primary", async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "datatier-prod-pg-r2" }).resolves({ DBInstances: [replica("datatier-prod-pg-r2", "datatier-staging-pg")] });
    const r = await run();
    expect(byId(r, "rds.replica.datatier-prod-pg-r2")).toMatchObject({ status: "FAIL", message: "datatier-prod-pg-r2: replicates from datatier-staging-pg, not datatier-prod-pg" });
    expect(byId(r, "rds.replica.datatier-prod-pg-r1").status).toBe("PASS");
  });

  it("fail a primary without Multi-AZ, and a replica promoted to standalone", async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "datatier-prod-pg" }).resolves({ DBInstances: [{ ...primary, MultiAZ: false }] });
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "datatier-prod-pg-r1" }).resolves({ DBInstances: [{ ...replica("datatier-prod-pg-r1"), ReadReplicaSourceDBInstanceIdentifier: undefined }] });
    const r = await run();
    expect(byId(r, "rds.primary").message).toBe("datatier-prod-pg: Multi-AZ is off (no standby to fail over to)");
    expect(byId(r, "rds.replica.datatier-prod-pg-r1").message).toContain("replicates from nothing (not a read replica)");
  });

  it("fail when ECS runs fewer PgBouncer tasks than desired", async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: "pgbouncer", status: "ACTIVE", desiredCount: 2, runningCount: 1, pendingCount: 1 }] });
    expect(byId(await run(), "ecs.service")).toMatchObject({ status: "FAIL", message: "1 of 2 PgBouncer task(s) running (1 pending)", measured: { value: 1, unit: "count" } });
  });

  it("fail on an unhealthy NLB target, naming it and the reason", async () => {
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [healthyTarget("10.0.1.10"), { Target: { Id: "10.0.2.10", Port: 6432 }, TargetHealth: { State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed" } }] });
    expect(byId(await run(), "nlb.targets")).toMatchObject({ status: "FAIL", message: "1 of 2 target(s) not healthy: 10.0.2.10:6432 unhealthy (Target.FailedHealthChecks: Health checks failed)" });
  });

  it("retry a throttled API and pass when it recovers", async () => {
    ecs.reset();
    ecs.on(DescribeServicesCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({ services: [{ serviceName: "pgbouncer", status: "ACTIVE", desiredCount: 2, runningCount: 2 }] });
    const r = await run();
    expect(byId(r, "ecs.service").status).toBe("PASS");
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(3);
  });

  it("fail clearly when the API stays throttled", async () => {
    elb.reset();
    elb.on(DescribeTargetHealthCommand).rejects(throttled());
    const r = await run();
    expect(byId(r, "nlb.targets")).toMatchObject({ status: "FAIL", message: "ELBv2 DescribeTargetHealth was throttled by AWS on all 3 attempts (ThrottlingException: Rate exceeded); retry later or raise the account's API rate limit" });
    expect(elb.commandCalls(DescribeTargetHealthCommand)).toHaveLength(3);
    expect(r.exitCode).toBe(2);
  });

  it("do not retry other errors", async () => {
    rds.reset();
    rds.on(DescribeDBInstancesCommand).rejects(Object.assign(new Error("User is not authorized to perform: rds:DescribeDBInstances"), { name: "AccessDenied" }));
    const r = await run();
    expect(byId(r, "rds.primary").message).toBe("RDS DescribeDBInstances(datatier-prod-pg) failed: AccessDenied: User is not authorized to perform: rds:DescribeDBInstances");
    expect(rds.commandCalls(DescribeDBInstancesCommand)).toHaveLength(3); // one per instance, no retries
  });

  it("fail with the field named when the aws block or region is missing", async () => {
    const o = awsOutputs();
    o.pgbouncer.aws = null;
    o.region = null;
    const r = await run(o);
    expect(byId(r, "ecs.service").message).toBe("outputs.pgbouncer.aws is null on platform aws: the ECS service is unknown");
    expect(byId(r, "rds.primary").message).toBe("outputs.region is null; the AWS checks need the stack's region");
  });
});
