/**
 * Preflight: what the stack's settings ask of AWS, checked against the account and
 * region with read-only Describe/List/Get calls only. Each check returns every
 * mismatch it finds (never stops at the first); a call that fails (access denied,
 * throttled) is reported as a check that could not be made, naming the call.
 *
 * API references (docs.aws.amazon.com): RDS DescribeDBEngineVersions,
 * DescribeOrderableDBInstanceOptions, DescribeEngineDefaultParameters,
 * DescribeAccountAttributes, DescribeDBInstances; ElastiCache
 * DescribeCacheEngineVersions, DescribeReservedCacheNodesOfferings (node types offered
 * in the region), DescribeCacheParameters, DescribeCacheClusters; EC2 DescribeVpcs,
 * DescribeSubnets, DescribeSecurityGroups (filters, so a missing id is listed rather
 * than failing the call); Service Quotas ListServiceQuotas (ElastiCache node quotas).
 */
import {
  DescribeAccountAttributesCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  DescribeEngineDefaultParametersCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  type DBEngineVersion,
  type OrderableDBInstanceOption,
  type Parameter as RdsParameter,
  type RDSClient,
} from "@aws-sdk/client-rds";
import {
  DescribeCacheClustersCommand,
  DescribeCacheParametersCommand,
  DescribeReservedCacheNodesOfferingsCommand,
  type ElastiCacheClient,
  type Parameter as CacheParameter,
} from "@aws-sdk/client-elasticache";
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, type EC2Client } from "@aws-sdk/client-ec2";
import { ListServiceQuotasCommand, type ServiceQuota, type ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { parameterGroupFamily, primaryIdentifier } from "../../components/postgres/rds";
import { replicaIdentifier } from "../../components/postgres/replicas";
import { rdsParameters } from "../../components/postgres/render";
import { elasticacheParameterFamily, elasticacheParameters } from "../../components/redis/render";
import { replicationGroupId } from "../../components/settings/rules";
import { liveCacheEngineVersions } from "./catalogues";
import { pages } from "./paging";
import type { Settings } from "../../components/settings";

export interface PreflightClients {
  rds: Pick<RDSClient, "send">;
  elasticache: Pick<ElastiCacheClient, "send">;
  ec2: Pick<EC2Client, "send">;
  quotas: Pick<ServiceQuotasClient, "send">;
}

export interface Mismatch {
  /** Which check found it (e.g. "rds.instance-class"). */
  check: string;
  /** The settings key to change (namespaced, as in the stack file). */
  key: string;
  message: string;
}

export interface CheckResult {
  check: string;
  /** What was verified, when nothing is wrong. */
  ok?: string;
  mismatches: Mismatch[];
}

type Page = Record<string, unknown>;

/** A call's error as one line naming the call. */
function failure(what: string, e: unknown): string {
  const err = e as { name?: string; message?: string };
  return `${what} failed: ${err?.name && err.name !== "Error" ? `${err.name}: ` : ""}${err?.message ?? String(e)}`;
}

const P = "data-tier";

/** Versions matching a setting: "15" matches 15.x, "15.8" matches itself. */
export function matchesVersion(setting: string, actual: string | undefined): boolean {
  return actual !== undefined && (actual === setting || actual.startsWith(`${setting}.`));
}

async function guarded(check: string, key: string, what: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (e) {
    return { check, mismatches: [{ check, key, message: `could not verify: ${failure(what, e)}` }] };
  }
}

/** Engine version and instance classes of the RDS primary and replicas. */
export async function rdsInstances(c: PreflightClients, s: Settings): Promise<CheckResult> {
  const check = "rds.instance-class";
  const p = s.postgres;
  return guarded(check, `${P}:postgres.engineVersion`, "RDS DescribeDBEngineVersions / DescribeOrderableDBInstanceOptions", async () => {
    const family = parameterGroupFamily(p.engineVersion);
    const versions = await pages<DBEngineVersion>(c.rds, (Marker) => new DescribeDBEngineVersionsCommand({ Engine: "postgres", DBParameterGroupFamily: family, Marker }), (r) => r.DBEngineVersions);
    const matching = versions.filter((v) => matchesVersion(p.engineVersion, v.EngineVersion));
    if (matching.length === 0) {
      const offered = versions.map((v) => v.EngineVersion).filter(Boolean).join(", ") || "none";
      return { check, mismatches: [{ check, key: `${P}:postgres.engineVersion`, message: `PostgreSQL ${p.engineVersion} is not offered by RDS in ${s.region} (family ${family}: ${offered})` }] };
    }
    // A major-only setting: RDS creates its default minor; the newest listed stands in for it here.
    const version = matching[matching.length - 1].EngineVersion!;
    const zones = [...new Set(s.network.privateSubnets.map((n) => n.availabilityZone))];
    const mismatches: Mismatch[] = [];
    const classes: [string, string, boolean][] = [[`${P}:postgres.instanceClass`, p.instanceClass, false]];
    if (p.replicas > 0) classes.push([p.replicaInstanceClass ? `${P}:postgres.replicaInstanceClass` : `${P}:postgres.instanceClass`, p.replicaInstanceClass ?? p.instanceClass, true]);
    for (const [key, cls, replica] of classes) {
      const options = await pages<OrderableDBInstanceOption>(
        c.rds,
        (Marker) => new DescribeOrderableDBInstanceOptionsCommand({ Engine: "postgres", EngineVersion: version, DBInstanceClass: cls, Marker }),
        (r) => r.OrderableDBInstanceOptions,
      );
      const gp3 = options.filter((o) => o.StorageType === "gp3");
      if (options.length === 0) {
        mismatches.push({ check, key, message: `${cls} is not orderable for PostgreSQL ${version} in ${s.region}` });
        continue;
      }
      if (gp3.length === 0) mismatches.push({ check, key, message: `${cls} with PostgreSQL ${version} offers no gp3 storage in ${s.region} (storage types: ${[...new Set(options.map((o) => o.StorageType))].join(", ")})` });
      const usable = gp3.length > 0 ? gp3 : options;
      if (!replica && p.multiAz && !usable.some((o) => o.MultiAZCapable)) mismatches.push({ check, key, message: `${cls} with PostgreSQL ${version} is not Multi-AZ capable in ${s.region} (postgres.multiAz is true)` });
      if (replica && !usable.some((o) => o.ReadReplicaCapable)) mismatches.push({ check, key, message: `${cls} with PostgreSQL ${version} cannot be a read replica in ${s.region}` });
      const offeredZones = new Set(usable.flatMap((o) => (o.AvailabilityZones ?? []).map((z) => z.Name)));
      const missing = zones.filter((z) => !offeredZones.has(z));
      if (missing.length > 0) mismatches.push({ check, key, message: `${cls} with PostgreSQL ${version} is not orderable in ${missing.join(", ")} (network.privateSubnets zones; offered: ${[...offeredZones].sort().join(", ")})` });
    }
    return { check, ok: `PostgreSQL ${version} on ${classes.map(([, cls]) => cls).join(" / ")} orderable in ${zones.join(", ")}`, mismatches };
  });
}

/** The parameters the program sends, against the family's defaults (names, modifiable, apply type, ranges). */
export async function rdsParametersCheck(c: PreflightClients, s: Settings): Promise<CheckResult> {
  const check = "rds.parameters";
  const family = parameterGroupFamily(s.postgres.engineVersion);
  return guarded(check, `${P}:postgres.parameters`, `RDS DescribeEngineDefaultParameters(${family})`, async () => {
    const known = await pages<RdsParameter>(
      c.rds,
      (Marker) => new DescribeEngineDefaultParametersCommand({ DBParameterGroupFamily: family, Marker }),
      (r) => (r.EngineDefaults as Page | undefined)?.Parameters,
      (r) => (r.EngineDefaults as Page | undefined)?.Marker,
    );
    const byName = new Map(known.map((k) => [k.ParameterName?.toLowerCase(), k]));
    const mismatches: Mismatch[] = [];
    const sent = rdsParameters(s);
    for (const x of sent) {
      const key = `${P}:postgres.parameters.${x.name}`;
      const k = byName.get(x.name.toLowerCase());
      if (!k) {
        mismatches.push({ check, key, message: `${x.name} is not a parameter of the ${family} family in ${s.region}` });
        continue;
      }
      if (k.IsModifiable === false) mismatches.push({ check, key, message: `${x.name} cannot be modified in an RDS parameter group (${family})` });
      if (k.ApplyType === "static" && x.applyMethod === "immediate") mismatches.push({ check, key, message: `${x.name} is static in ${family}: RDS refuses applyMethod "immediate" (it takes "pending-reboot")` });
      const range = /^(-?\d+)-(\d+)$/.exec(k.AllowedValues ?? "");
      if (range && /^-?\d+$/.test(x.value) && (Number(x.value) < Number(range[1]) || Number(x.value) > Number(range[2]))) {
        mismatches.push({ check, key, message: `${x.name} = ${x.value} is outside the allowed ${k.AllowedValues} (${family})` });
      }
    }
    return { check, ok: `${sent.length} parameters valid for ${family}`, mismatches };
  });
}

/** ElastiCache engine version (and its parameter family) and the node type offered in the region. */
export async function elasticacheNodes(c: PreflightClients, s: Settings): Promise<CheckResult> {
  const check = "elasticache.node-type";
  const r = s.redis;
  return guarded(check, `${P}:redis.engineVersion`, "ElastiCache DescribeCacheEngineVersions / DescribeReservedCacheNodesOfferings", async () => {
    const mismatches: Mismatch[] = [];
    // The same call the catalogue refresh makes (catalogues.ts).
    const versions = await liveCacheEngineVersions(c, r.engine);
    const matching = versions.filter((v) => matchesVersion(r.engineVersion, v.EngineVersion));
    const family = elasticacheParameterFamily(r);
    if (matching.length === 0) {
      mismatches.push({ check, key: `${P}:redis.engineVersion`, message: `${r.engine} ${r.engineVersion} is not offered by ElastiCache in ${s.region} (offered: ${versions.map((v) => v.EngineVersion).join(", ") || "none"})` });
    } else if (!matching.some((v) => v.CacheParameterGroupFamily === family)) {
      mismatches.push({ check, key: `${P}:redis.engineVersion`, message: `${r.engine} ${r.engineVersion} belongs to parameter family ${matching[0].CacheParameterGroupFamily}, not ${family} as the program assumes` });
    }
    const offerings = await c.elasticache.send(new DescribeReservedCacheNodesOfferingsCommand({ CacheNodeType: r.nodeType, MaxRecords: 20 }));
    if ((offerings.ReservedCacheNodesOfferings ?? []).length === 0) mismatches.push({ check, key: `${P}:redis.nodeType`, message: `${r.nodeType} is not offered by ElastiCache in ${s.region}` });
    return { check, ok: `${r.engine} ${r.engineVersion} (${family}) on ${r.nodeType} offered`, mismatches };
  });
}

/** The ElastiCache parameters the program sends, against the family's default group. */
export async function elasticacheParametersCheck(c: PreflightClients, s: Settings): Promise<CheckResult> {
  const check = "elasticache.parameters";
  const family = elasticacheParameterFamily(s.redis);
  const group = `default.${family}`;
  return guarded(check, `${P}:redis`, `ElastiCache DescribeCacheParameters(${group})`, async () => {
    const known = await pages<CacheParameter>(c.elasticache, (Marker) => new DescribeCacheParametersCommand({ CacheParameterGroupName: group, Marker }), (x) => x.Parameters);
    const byName = new Map(known.map((k) => [k.ParameterName, k]));
    const mismatches: Mismatch[] = [];
    const sent = elasticacheParameters(s.redis);
    for (const x of sent) {
      const k = byName.get(x.name);
      const key = `${P}:redis (parameter ${x.name})`;
      if (!k) {
        mismatches.push({ check, key, message: `${x.name} is not a parameter of ${group} in ${s.region}` });
        continue;
      }
      if (k.IsModifiable === false) mismatches.push({ check, key, message: `${x.name} cannot be modified in an ElastiCache parameter group (${family})` });
      const allowed = k.AllowedValues ?? "";
      const range = /^(-?\d+)-(\d+)$/.exec(allowed);
      if (range && /^-?\d+$/.test(x.value) && (Number(x.value) < Number(range[1]) || Number(x.value) > Number(range[2]))) mismatches.push({ check, key, message: `${x.name} = ${x.value} is outside the allowed ${allowed} (${family})` });
      else if (!range && allowed.includes(",") && !allowed.split(",").map((v) => v.trim()).includes(x.value)) mismatches.push({ check, key, message: `${x.name} = ${x.value} is not one of ${allowed} (${family})` });
    }
    return { check, ok: `${sent.length} parameters valid for ${family}`, mismatches };
  });
}

/** The VPC, the private subnets (exist, in the named zone and the VPC) and the security groups (exist, in the VPC). */
export async function network(c: PreflightClients, s: Settings): Promise<CheckResult> {
  const check = "ec2.network";
  const n = s.network;
  return guarded(check, `${P}:network`, "EC2 DescribeVpcs / DescribeSubnets / DescribeSecurityGroups", async () => {
    const mismatches: Mismatch[] = [];
    const vpcs = await c.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: "vpc-id", Values: [n.vpcId ?? ""] }] }));
    if ((vpcs.Vpcs ?? []).length === 0) mismatches.push({ check, key: `${P}:network.vpcId`, message: `VPC ${n.vpcId} does not exist in ${s.region}` });
    const ids = n.privateSubnets.map((x) => x.id);
    const subnets = ids.length ? ((await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: "subnet-id", Values: ids }] }))).Subnets ?? []) : [];
    n.privateSubnets.forEach((want, i) => {
      const key = `${P}:network.privateSubnets.${i}`;
      const got = subnets.find((x) => x.SubnetId === want.id);
      if (!got) return void mismatches.push({ check, key, message: `subnet ${want.id} does not exist in ${s.region}` });
      if (got.AvailabilityZone !== want.availabilityZone) mismatches.push({ check, key: `${key}.availabilityZone`, message: `subnet ${want.id} lies in ${got.AvailabilityZone}, not ${want.availabilityZone}` });
      if (got.VpcId !== n.vpcId) mismatches.push({ check, key, message: `subnet ${want.id} lies in ${got.VpcId}, not network.vpcId ${n.vpcId}` });
    });
    const groups: [string, string][] = [
      ...n.appSecurityGroupIds.map((g, i) => [`${P}:network.appSecurityGroupIds.${i}`, g] as [string, string]),
      ...n.adminSecurityGroupIds.map((g, i) => [`${P}:network.adminSecurityGroupIds.${i}`, g] as [string, string]),
    ];
    const sgIds = [...new Set(groups.map(([, g]) => g))];
    const found = sgIds.length ? ((await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-id", Values: sgIds }] }))).SecurityGroups ?? []) : [];
    for (const [key, g] of groups) {
      const got = found.find((x) => x.GroupId === g);
      if (!got) mismatches.push({ check, key, message: `security group ${g} does not exist in ${s.region}` });
      else if (got.VpcId !== n.vpcId) mismatches.push({ check, key, message: `security group ${g} lies in ${got.VpcId}, not network.vpcId ${n.vpcId}` });
    }
    return { check, ok: `VPC ${n.vpcId}, ${ids.length} subnets and ${sgIds.length} security groups as named`, mismatches };
  });
}

/** Service quotas with room: RDS instances and replicas per primary, ElastiCache nodes per Region and per shard. */
export async function quotas(c: PreflightClients, s: Settings, prefix: string): Promise<CheckResult> {
  const check = "quotas";
  return guarded(check, `${P}:postgres.replicas`, "RDS DescribeAccountAttributes / ElastiCache DescribeCacheClusters / Service Quotas ListServiceQuotas", async () => {
    const mismatches: Mismatch[] = [];
    const p = s.postgres;
    const r = s.redis;
    // RDS: instances this stack adds beyond those it already has.
    const ours = [primaryIdentifier(prefix), ...Array.from({ length: p.replicas }, (_, i) => replicaIdentifier(prefix, i + 1))];
    const existing = (await c.rds.send(new DescribeDBInstancesCommand({ Filters: [{ Name: "db-instance-id", Values: ours }] }))).DBInstances ?? [];
    const attrs = (await c.rds.send(new DescribeAccountAttributesCommand({}))).AccountQuotas ?? [];
    const quota = (name: string) => attrs.find((q: { AccountQuotaName?: string }) => q.AccountQuotaName === name) as { Used?: number; Max?: number } | undefined;
    const instances = quota("DBInstances");
    const adding = ours.length - existing.length;
    if (instances?.Max !== undefined && (instances.Used ?? 0) + adding > instances.Max) {
      mismatches.push({ check, key: `${P}:postgres.replicas`, message: `RDS DB instances quota: ${instances.Used} of ${instances.Max} used, this stack adds ${adding}` });
    }
    const perMaster = quota("ReadReplicasPerMaster");
    if (perMaster?.Max !== undefined && p.replicas > perMaster.Max) mismatches.push({ check, key: `${P}:postgres.replicas`, message: `RDS read replicas per primary quota is ${perMaster.Max}; postgres.replicas is ${p.replicas}` });

    // ElastiCache: nodes per Region (used by other groups) and nodes per shard.
    const rg = replicationGroupId(s);
    const clusters = await pages<{ ReplicationGroupId?: string; NumCacheNodes?: number }>(c.elasticache, (Marker) => new DescribeCacheClustersCommand({ Marker }), (x) => x.CacheClusters);
    const usedByOthers = clusters.filter((x) => x.ReplicationGroupId !== rg).reduce((n, x) => n + (x.NumCacheNodes ?? 1), 0);
    const shards = r.clusterMode.enabled ? r.clusterMode.shards : 1;
    const nodes = (1 + r.replicas) * shards;
    const listed = await pages<ServiceQuota>(c.quotas, (NextToken) => new ListServiceQuotasCommand({ ServiceCode: "elasticache", NextToken }), (x) => x.Quotas, (x) => x.NextToken);
    const named = (re: RegExp) => listed.find((q) => re.test(q.QuotaName ?? ""));
    const perRegion = named(/^nodes per region$/i);
    if (perRegion?.Value !== undefined && usedByOthers + nodes > perRegion.Value) {
      mismatches.push({ check, key: `${P}:redis.replicas`, message: `ElastiCache "${perRegion.QuotaName}" quota is ${perRegion.Value}: ${usedByOthers} used by other clusters, this group needs ${nodes}` });
    }
    const perShard = named(/^nodes per (shard|node group)/i);
    if (perShard?.Value !== undefined && 1 + r.replicas > perShard.Value) mismatches.push({ check, key: `${P}:redis.replicas`, message: `ElastiCache "${perShard.QuotaName}" quota is ${perShard.Value}; a shard here has ${1 + r.replicas} nodes` });
    const unknown = [!instances && "RDS DBInstances", !perRegion && "ElastiCache nodes per Region"].filter(Boolean);
    return { check, ok: `room for ${adding} RDS instance(s) and ${nodes} ElastiCache node(s)${unknown.length ? ` (not listed by AWS, unchecked: ${unknown.join(", ")})` : ""}`, mismatches };
  });
}

/** Every check, concurrently; every mismatch of every check. */
export async function runPreflight(c: PreflightClients, s: Settings, prefix: string): Promise<CheckResult[]> {
  return Promise.all([rdsInstances(c, s), rdsParametersCheck(c, s), elasticacheNodes(c, s), elasticacheParametersCheck(c, s), network(c, s), quotas(c, s, prefix)]);
}
