/**
 * Preflight against a mocked AWS (aws-sdk-client-mock: the real SDK clients, `send`
 * intercepted, no network): an account that offers everything prod asks for passes;
 * each mismatch is its own case; several are reported in one run; no credentials and a
 * non-AWS stack exit 2 before any call.
 */
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, EC2Client } from "@aws-sdk/client-ec2";
import {
  DescribeCacheClustersCommand,
  DescribeCacheEngineVersionsCommand,
  DescribeCacheParametersCommand,
  DescribeReservedCacheNodesOfferingsCommand,
  ElastiCacheClient,
} from "@aws-sdk/client-elasticache";
import {
  DescribeAccountAttributesCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  DescribeEngineDefaultParametersCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  RDSClient,
} from "@aws-sdk/client-rds";
import { ListServiceQuotasCommand, ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { rdsParameters } from "../../components/postgres/render";
import { elasticacheParameters } from "../../components/redis/render";
import { loadStackSettings } from "../../components/settings/stackFile";
import { EXIT, preflight, type PreflightOptions } from "./cli";
import { matchesVersion } from "./checks";

const rds = mockClient(RDSClient);
const ec = mockClient(ElastiCacheClient);
const ec2 = mockClient(EC2Client);
const sq = mockClient(ServiceQuotasClient);
const mocks = [rds, ec, ec2, sq];
/** Name of every command sent to any mocked client. */
const sentCommands = (): string[] => [rds.calls(), ec.calls(), ec2.calls(), sq.calls()].flat().map((c) => (c.args[0] as object).constructor.name);
afterAll(() => mocks.forEach((m) => m.restore()));

const settings = loadStackSettings("prod");
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const CREDENTIALS = async () => ({ accessKeyId: "AKIDEXAMPLETEST", secretAccessKey: "test-secret-not-real" });

/** An account and region offering exactly what the prod stack asks for. */
function healthyAccount(): void {
  mocks.forEach((m) => m.reset());
  rds.on(DescribeDBEngineVersionsCommand).resolves({ DBEngineVersions: [{ EngineVersion: "15.7" }, { EngineVersion: "15.8" }] });
  rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({
    OrderableDBInstanceOptions: [{ StorageType: "gp3", MultiAZCapable: true, ReadReplicaCapable: true, AvailabilityZones: ZONES.map((Name) => ({ Name })) }],
  });
  rds.on(DescribeEngineDefaultParametersCommand).resolves({
    EngineDefaults: { Parameters: rdsParameters(settings).map((p) => ({ ParameterName: p.name, IsModifiable: true, ApplyType: p.applyMethod === "pending-reboot" ? "static" : "dynamic" })) },
  });
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
  rds.on(DescribeAccountAttributesCommand).resolves({ AccountQuotas: [{ AccountQuotaName: "DBInstances", Used: 3, Max: 40 }, { AccountQuotaName: "ReadReplicasPerMaster", Used: 0, Max: 15 }] });
  ec.on(DescribeCacheEngineVersionsCommand).resolves({ CacheEngineVersions: [{ EngineVersion: "7.0", CacheParameterGroupFamily: "redis7" }, { EngineVersion: "7.1", CacheParameterGroupFamily: "redis7" }] });
  ec.on(DescribeReservedCacheNodesOfferingsCommand).resolves({ ReservedCacheNodesOfferings: [{ CacheNodeType: settings.redis.nodeType }] });
  ec.on(DescribeCacheParametersCommand).resolves({
    Parameters: elasticacheParameters(settings.redis).map((p) => ({
      ParameterName: p.name,
      IsModifiable: true,
      AllowedValues: p.name === "maxmemory-policy" ? "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction" : /^\d+$/.test(p.value) ? "0-1000000" : "yes,no",
    })),
  });
  ec.on(DescribeCacheClustersCommand).resolves({ CacheClusters: [{ ReplicationGroupId: "other-redis", NumCacheNodes: 1 }] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: settings.network.vpcId }] });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: settings.network.privateSubnets.map((s) => ({ SubnetId: s.id, AvailabilityZone: s.availabilityZone, VpcId: settings.network.vpcId })) });
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [...settings.network.appSecurityGroupIds, ...settings.network.adminSecurityGroupIds].map((GroupId) => ({ GroupId, VpcId: settings.network.vpcId })),
  });
  sq.on(ListServiceQuotasCommand).resolves({ Quotas: [{ QuotaName: "Nodes per Region", Value: 300 }, { QuotaName: "Nodes per shard", Value: 6 }] });
}

async function run(extra: Partial<PreflightOptions> = {}): Promise<{ code: number; doc: any; out: string }> {
  const lines: string[] = [];
  const code = await preflight({ stack: "prod", json: true, credentials: CREDENTIALS, print: (l) => lines.push(l), ...extra });
  const out = lines.join("\n");
  return { code, out, doc: extra.json === false ? undefined : JSON.parse(out) };
}

/** The mismatches of one run as [key, message] pairs. */
async function mismatches(): Promise<[string, string][]> {
  const { code, doc } = await run();
  expect(code).toBe(EXIT.mismatch);
  return doc.mismatches.map((m: { key: string; message: string }) => [m.key, m.message]);
}

beforeEach(healthyAccount);

describe("npm run preflight", () => {
  it("passes when the account offers everything, with read-only calls only", async () => {
    const { code, doc } = await run();
    expect(doc.mismatches).toEqual([]);
    expect(code).toBe(EXIT.ok);
    const called = sentCommands();
    expect(called.length).toBeGreaterThanOrEqual(14);
    for (const name of called) expect(name).toMatch(/^(Describe|List|Get)\w+Command$/);
    // The orderable check used the resolved minor version and each class.
    expect(rds.commandCalls(DescribeOrderableDBInstanceOptionsCommand).map((c) => c.args[0].input)).toContainEqual(expect.objectContaining({ Engine: "postgres", EngineVersion: "15.8", DBInstanceClass: "db.r6g.xlarge" }));
  });

  it("the text report lists each check", async () => {
    const { code, out } = await run({ json: false });
    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/^ok {4}rds\.instance-class: PostgreSQL 15\.8 on db\.r6g\.xlarge/m);
    expect(out).toContain("Preflight passed");
    expect(out).not.toContain("test-secret-not-real");
  });

  it("engine version not offered", async () => {
    rds.on(DescribeDBEngineVersionsCommand).resolves({ DBEngineVersions: [{ EngineVersion: "16.4" }] });
    expect(await mismatches()).toContainEqual(["data-tier:postgres.engineVersion", "PostgreSQL 15 is not offered by RDS in us-east-1 (family postgres15: 16.4)"]);
  });

  it("instance class not orderable", async () => {
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [] });
    expect(await mismatches()).toContainEqual(["data-tier:postgres.instanceClass", "db.r6g.xlarge is not orderable for PostgreSQL 15.8 in us-east-1"]);
  });

  it("instance class not orderable in one of the subnets' zones, nor Multi-AZ capable", async () => {
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [{ StorageType: "gp3", MultiAZCapable: false, ReadReplicaCapable: true, AvailabilityZones: [{ Name: "us-east-1a" }, { Name: "us-east-1b" }] }] });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:postgres.instanceClass", expect.stringMatching(/is not orderable in us-east-1c \(network\.privateSubnets zones/)]);
    expect(m).toContainEqual(["data-tier:postgres.instanceClass", expect.stringMatching(/is not Multi-AZ capable/)]);
  });

  it("a parameter the family does not have, and a static one sent immediately", async () => {
    rds.on(DescribeEngineDefaultParametersCommand).resolves({
      EngineDefaults: {
        Parameters: rdsParameters(settings)
          .filter((p) => p.name !== "track_io_timing")
          .map((p) => ({ ParameterName: p.name, IsModifiable: true, ApplyType: p.name === "log_lock_waits" || p.applyMethod === "pending-reboot" ? "static" : "dynamic" })),
      },
    });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:postgres.parameters.track_io_timing", "track_io_timing is not a parameter of the postgres15 family in us-east-1"]);
    expect(m).toContainEqual(["data-tier:postgres.parameters.log_lock_waits", expect.stringContaining('static in postgres15: RDS refuses applyMethod "immediate"')]);
  });

  it("a parameter value outside the family's range", async () => {
    rds.on(DescribeEngineDefaultParametersCommand).resolves({
      EngineDefaults: { Parameters: rdsParameters(settings).map((p) => ({ ParameterName: p.name, IsModifiable: true, ApplyType: p.applyMethod === "pending-reboot" ? "static" : "dynamic", AllowedValues: p.name === "max_connections" ? "6-800" : undefined })) },
    });
    expect(await mismatches()).toContainEqual(["data-tier:postgres.parameters.max_connections", "max_connections = 1000 is outside the allowed 6-800 (postgres15)"]);
  });

  it("cache engine version not offered, and node type not offered", async () => {
    ec.on(DescribeCacheEngineVersionsCommand).resolves({ CacheEngineVersions: [{ EngineVersion: "6.2", CacheParameterGroupFamily: "redis6.x" }] });
    ec.on(DescribeReservedCacheNodesOfferingsCommand).resolves({ ReservedCacheNodesOfferings: [] });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:redis.engineVersion", "redis 7.1 is not offered by ElastiCache in us-east-1 (offered: 6.2)"]);
    expect(m).toContainEqual(["data-tier:redis.nodeType", "cache.r7g.xlarge is not offered by ElastiCache in us-east-1"]);
  });

  it("a cache parameter not modifiable, and a value not allowed", async () => {
    ec.on(DescribeCacheParametersCommand).resolves({
      Parameters: elasticacheParameters(settings.redis).map((p) => ({ ParameterName: p.name, IsModifiable: p.name !== "latency-tracking", AllowedValues: p.name === "maxmemory-policy" ? "volatile-lru,noeviction" : undefined })),
    });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:redis (parameter latency-tracking)", "latency-tracking cannot be modified in an ElastiCache parameter group (redis7)"]);
    expect(m).toContainEqual(["data-tier:redis (parameter maxmemory-policy)", "maxmemory-policy = allkeys-lru is not one of volatile-lru,noeviction (redis7)"]);
  });

  it("a subnet missing, one in another zone, one in another VPC; the VPC missing", async () => {
    const [a, b, c] = settings.network.privateSubnets;
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: b.id, AvailabilityZone: "us-east-1d", VpcId: settings.network.vpcId }, { SubnetId: c.id, AvailabilityZone: c.availabilityZone, VpcId: "vpc-0ffffffffffffffff" }] });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:network.vpcId", `VPC ${settings.network.vpcId} does not exist in us-east-1`]);
    expect(m).toContainEqual(["data-tier:network.privateSubnets.0", `subnet ${a.id} does not exist in us-east-1`]);
    expect(m).toContainEqual(["data-tier:network.privateSubnets.1.availabilityZone", `subnet ${b.id} lies in us-east-1d, not us-east-1b`]);
    expect(m).toContainEqual(["data-tier:network.privateSubnets.2", `subnet ${c.id} lies in vpc-0ffffffffffffffff, not network.vpcId ${settings.network.vpcId}`]);
  });

  it("a security group missing, another in another VPC", async () => {
    const [app] = settings.network.appSecurityGroupIds;
    const [admin] = settings.network.adminSecurityGroupIds;
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: admin, VpcId: "vpc-0ffffffffffffffff" }] });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:network.appSecurityGroupIds.0", `security group ${app} does not exist in us-east-1`]);
    expect(m).toContainEqual(["data-tier:network.adminSecurityGroupIds.0", `security group ${admin} lies in vpc-0ffffffffffffffff, not network.vpcId ${settings.network.vpcId}`]);
  });

  it("no room in the RDS instance quota or the ElastiCache nodes-per-Region quota", async () => {
    rds.on(DescribeAccountAttributesCommand).resolves({ AccountQuotas: [{ AccountQuotaName: "DBInstances", Used: 39, Max: 40 }, { AccountQuotaName: "ReadReplicasPerMaster", Max: 1 }] });
    sq.on(ListServiceQuotasCommand).resolves({ Quotas: [{ QuotaName: "Nodes per Region", Value: 3 }] });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:postgres.replicas", "RDS DB instances quota: 39 of 40 used, this stack adds 3"]);
    expect(m).toContainEqual(["data-tier:postgres.replicas", "RDS read replicas per primary quota is 1; postgres.replicas is 2"]);
    expect(m).toContainEqual(["data-tier:redis.replicas", 'ElastiCache "Nodes per Region" quota is 3: 1 used by other clusters, this group needs 3']);
  });

  it("instances the stack already has do not count against the quota", async () => {
    rds.on(DescribeAccountAttributesCommand).resolves({ AccountQuotas: [{ AccountQuotaName: "DBInstances", Used: 40, Max: 40 }] });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: "data-tier-prod-pg" }, { DBInstanceIdentifier: "data-tier-prod-pg-replica-1" }, { DBInstanceIdentifier: "data-tier-prod-pg-replica-2" }] });
    const { code } = await run();
    expect(code).toBe(EXIT.ok);
  });

  it("a call AWS refuses is reported as unverified, and the other checks still run", async () => {
    ec2.on(DescribeSubnetsCommand).rejects(Object.assign(new Error("You are not authorized to perform this operation."), { name: "UnauthorizedOperation" }));
    ec.on(DescribeReservedCacheNodesOfferingsCommand).resolves({ ReservedCacheNodesOfferings: [] });
    const m = await mismatches();
    expect(m).toContainEqual(["data-tier:network", expect.stringMatching(/^could not verify: EC2 DescribeVpcs \/ DescribeSubnets \/ DescribeSecurityGroups failed: UnauthorizedOperation: You are not authorized/)]);
    expect(m).toContainEqual(["data-tier:redis.nodeType", expect.any(String)]);
  });

  it("several mismatches across services in one run", async () => {
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [] });
    ec.on(DescribeReservedCacheNodesOfferingsCommand).resolves({ ReservedCacheNodesOfferings: [] });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    sq.on(ListServiceQuotasCommand).resolves({ Quotas: [{ QuotaName: "Nodes per Region", Value: 1 }] });
    const keys = new Set((await mismatches()).map(([k]) => k));
    for (const k of ["data-tier:postgres.instanceClass", "data-tier:redis.nodeType", "data-tier:network.appSecurityGroupIds.0", "data-tier:network.adminSecurityGroupIds.0", "data-tier:redis.replicas"]) expect(keys).toContain(k);
  });

  it("no credentials: exit 2 with what to set, before any call", async () => {
    const { code, doc } = await run({ credentials: async () => Promise.reject(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" })) });
    expect(code).toBe(EXIT.usage);
    expect(doc.problems[0].message).toMatch(/^no AWS credentials: Could not load credentials from any providers \(set AWS_PROFILE, or AWS_ACCESS_KEY_ID/);
    expect(sentCommands()).toEqual([]);
  });

  it("a stack not on aws: exit 2", async () => {
    const { code, doc } = await run({ stack: "dev" });
    expect(code).toBe(EXIT.usage);
    expect(doc.problems[0].message).toContain('stack "dev" is on platform docker');
  });

  it("a stack file that does not exist: exit 2 naming it", async () => {
    const { code, doc } = await run({ stack: "nope" });
    expect(code).toBe(EXIT.usage);
    expect(doc.problems[0].message).toMatch(/Pulumi\.nope\.yaml: no such stack file/);
  });

  it("version matching: a major matches its minors, a minor only itself", () => {
    expect(matchesVersion("15", "15.8")).toBe(true);
    expect(matchesVersion("15", "150.1")).toBe(false);
    expect(matchesVersion("7.1", "7.1")).toBe(true);
    expect(matchesVersion("7.1", "7.10")).toBe(false);
  });
});
