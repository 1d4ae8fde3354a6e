/**
 * What AWS (or the provider) would refuse at deploy, refused at review instead. Each rule
 * names the key, the value and AWS's rule; docs/settings-rules.md holds the table with
 * the source of every rule. Rules that only make sense on AWS apply on `platform: aws`;
 * platform-consistency rules (what the docker platform cannot do) apply on docker.
 */
import { elasticacheCatalogueProblems, rdsCatalogueProblems, rdsEngineVersionProblems } from "../aws/catalogue";
import { imageReferenceProblem } from "../docker/reference";
import { checkParameter } from "../postgres/catalogue";
import { databaseNameProblem } from "../postgres/catalogue/databaseNames";
import { engineLimitProblems } from "../postgres/catalogue/engineLimits";
import { roleNameProblem } from "../postgres/catalogue/roleNames";
import { walSenders } from "../postgres/render";
import { derivedTags } from "../tags";
import { dockerHostPortProblems } from "./dockerPorts";
import type { RuleContext } from "./ruleContext";
import type { Settings } from "./schema";
import { dailyInterval, dailyOverlapsWeekly, lengthMinutes, weeklyInterval } from "./windows";

/** Tags the program sets on single resources (alarms carry four); user tags may not use these keys. */
export const RESOURCE_TAG_KEYS = ["Name", "Role", "DataTier", "Severity", "AlarmKind", "Unit", "RunbookAnchor"] as const;
/** Most tags the program adds to one resource beyond the derived ones (an alarm: Severity, AlarmKind, Unit, RunbookAnchor). */
export const MAX_RESOURCE_TAGS = 4;
/** AWS: at most 50 user tags per resource (aws:-prefixed system tags do not count). */
export const AWS_TAG_LIMIT = 50;

/** Fargate task sizes: memory (MiB) allowed per CPU value (ECS RegisterTaskDefinition). */
export function fargateMemoryOptions(cpu: number): number[] {
  const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  switch (cpu) {
    case 256:
      return [512, 1024, 2048];
    case 512:
      return range(1024, 4096, 1024);
    case 1024:
      return range(2048, 8192, 1024);
    case 2048:
      return range(4096, 16384, 1024);
    case 4096:
      return range(8192, 30720, 1024);
    case 8192:
      return range(16384, 61440, 4096);
    case 16384:
      return range(32768, 122880, 8192);
    default:
      return [];
  }
}

/** Performance Insights retention: 7, 31 x months (1-23) or 731 days (RDS CreateDBInstance). */
export function performanceInsightsRetentionValid(days: number): boolean {
  return days === 7 || days === 731 || (days % 31 === 0 && days / 31 >= 1 && days / 31 <= 23);
}

/** CloudWatch PutMetricAlarm: Period x EvaluationPeriods at most one day below a one-hour period, seven days otherwise. */
export function alarmLookbackLimitSeconds(periodSeconds: number): number {
  return periodSeconds < 3600 ? 86_400 : 604_800;
}

/** The region of a KMS key ARN. */
function arnRegion(arn: string): string | undefined {
  return arn.split(":")[3];
}

/** Physical names built from project and environment, with AWS's length limit for each. */
export function derivedPhysicalNames(s: Pick<Settings, "project" | "environment">): { key: string; name: string; limit: number; what: string }[] {
  const prefix = `${s.project}-${s.environment}`;
  return [
    { key: "environment", name: `${prefix}-pgbouncer`, limit: 255, what: "ECS cluster name" },
    { key: "environment", name: `/ecs/${prefix}-pgbouncer`, limit: 512, what: "CloudWatch log group name" },
    // A name prefix (components/pgbouncer/ecs.ts): the provider appends a 26-character unique suffix.
    { key: "environment", name: `${prefix}-pgbouncer/userlist-`, limit: 512 - 26, what: "Secrets Manager secret name prefix" },
    { key: "environment", name: `${prefix}-pg-final`, limit: 255, what: "RDS final snapshot identifier" },
    { key: "environment", name: `${prefix}-alarms-warning`, limit: 256, what: "SNS topic name" },
    { key: "environment", name: `${prefix}-data-tier`, limit: 255, what: "CloudWatch dashboard name" },
  ];
}

export function checkAwsRules(s: Settings, ctx: RuleContext): void {
  const r = s.redis;
  const p = s.postgres;
  const b = s.pgbouncer;
  const a = s.alarms;
  const aws = s.platform === "aws";

  // Windows: RDS backup >= 30 min, maintenance >= 30 min, no overlap; ElastiCache snapshot and maintenance >= 60 min, no overlap.
  const len = (path: string[], w: string, min: number, what: string, interval: (w: string) => readonly [number, number]) => {
    const m = lengthMinutes(interval(w));
    if (m < min) ctx.issue(path, `"${w}" is ${m} minutes; ${what} must be at least ${min} minutes`);
  };
  len(["postgres", "backupWindow"], p.backupWindow, 30, "an RDS backup window (PreferredBackupWindow)", dailyInterval);
  len(["postgres", "maintenanceWindow"], p.maintenanceWindow, 30, "an RDS maintenance window (PreferredMaintenanceWindow)", weeklyInterval);
  if (dailyOverlapsWeekly(p.backupWindow, p.maintenanceWindow)) {
    ctx.issue(["postgres", "backupWindow"], `"${p.backupWindow}" overlaps postgres.maintenanceWindow "${p.maintenanceWindow}"; RDS requires the backup window not to conflict with the maintenance window`);
  }
  len(["redis", "snapshotWindow"], r.snapshotWindow, 60, "an ElastiCache snapshot window", dailyInterval);
  len(["redis", "maintenanceWindow"], r.maintenanceWindow, 60, "an ElastiCache maintenance window", weeklyInterval);
  if (dailyOverlapsWeekly(r.snapshotWindow, r.maintenanceWindow)) {
    ctx.issue(["redis", "snapshotWindow"], `"${r.snapshotWindow}" overlaps redis.maintenanceWindow "${r.maintenanceWindow}"; ElastiCache requires the snapshot window and the maintenance window not to overlap`);
  }

  // RDS.
  if (aws && p.port < 1150) ctx.issue(["postgres", "port"], `is ${p.port}; RDS accepts a DB port from 1150 to 65535`);
  if (p.replicas > 0 && p.backupRetentionDays === 0) {
    ctx.issue(["postgres", "backupRetentionDays"], `is 0 with postgres.replicas ${p.replicas}; a read replica's source must have automated backups (retention 1-35 days)`);
  }
  if (p.maxAllocatedStorageGb > p.allocatedStorageGb && p.maxAllocatedStorageGb < Math.ceil(p.allocatedStorageGb * 1.1)) {
    ctx.issue(["postgres", "maxAllocatedStorageGb"], `is ${p.maxAllocatedStorageGb}; RDS storage autoscaling needs a maximum at least 10% above allocatedStorageGb (${p.allocatedStorageGb}), i.e. ${Math.ceil(p.allocatedStorageGb * 1.1)} or more`);
  }
  if (p.performanceInsights.enabled && !performanceInsightsRetentionValid(p.performanceInsights.retentionDays)) {
    ctx.issue(["postgres", "performanceInsights", "retentionDays"], `is ${p.performanceInsights.retentionDays}; RDS accepts 7, 31 x months (31, 62, ... 713) or 731 days`);
  }
  if (p.reservedConnections >= p.maxConnections) {
    ctx.issue(["postgres", "reservedConnections"], `is ${p.reservedConnections}; PostgreSQL needs superuser_reserved_connections below max_connections (${p.maxConnections})`);
  }
  // Role names: the engine's reserved key words and prefixes, and RDS's reservations (roleNames.ts).
  const masterProblem = roleNameProblem(p.masterUsername, { master: true, platform: aws ? "aws" : "docker" });
  if (masterProblem) ctx.issue(["postgres", "masterUsername"], masterProblem);
  for (const key of ["adminUser", "statsUser"] as const) {
    const why = roleNameProblem(b[key], { master: false, platform: aws ? "aws" : "docker" });
    if (why) ctx.issue(["pgbouncer", key], why);
  }
  if (aws) for (const x of rdsCatalogueProblems(p)) ctx.issue(x.path, x.message);
  // Docker runs the image's PostgreSQL 15 whatever minor is named (postgres/docker.ts pins it), so only RDS's names bind.
  if (aws) for (const x of rdsEngineVersionProblems(p.engineVersion)) ctx.issue(x.path, x.message);
  const dbNameProblem = databaseNameProblem(p.databaseName, aws ? "aws" : "docker");
  if (dbNameProblem) ctx.issue(["postgres", "databaseName"], dbNameProblem);
  for (const [key, arn] of [["redis", r.kmsKeyArn], ["postgres", p.kmsKeyArn], ["alarms", a.kmsKeyArn]] as const) {
    if (aws && arn && s.region && arnRegion(arn) !== s.region) {
      ctx.issue([key, "kmsKeyArn"], `is in region ${arnRegion(arn)}; the key must be in the stack's region ${s.region} (KMS keys are regional)`);
    }
  }

  // Postgres parameters: the allow list built from a real PostgreSQL 15 (postgres/catalogue).
  const seen = new Map<string, string>();
  for (const [name, value] of Object.entries(p.parameters)) {
    const c = checkParameter(name, value, s.platform);
    if (!c.ok) {
      // eslint-disable-next-line no-control-regex
      ctx.issue(["postgres", "parameters", name], c.problem, { hideValue: typeof value === "string" && /[\x00-\x1f\x7f]/.test(value) });
      continue;
    }
    const first = seen.get(c.name);
    if (first !== undefined) ctx.issue(["postgres", "parameters", name], `is "${first}" again (parameter names are case-insensitive); give it once`);
    seen.set(c.name, name);
  }
  // What PostgreSQL checks across parameters at start (engineLimits.ts).
  for (const x of engineLimitProblems({ platform: aws ? "aws" : "docker", maxConnections: p.maxConnections, walSenders: walSenders(s), parameters: p.parameters })) ctx.issue(x.path, x.message);

  // ElastiCache.
  if (aws && r.clusterMode.enabled && !r.automaticFailover) {
    ctx.issue(["redis", "automaticFailover"], "is false with redis.clusterMode.enabled; ElastiCache requires automatic failover for cluster mode enabled");
  }
  const nodes = (r.clusterMode.enabled ? r.clusterMode.shards : 1) * (r.replicas + 1);
  if (aws && nodes > 500) ctx.issue(["redis", "clusterMode", "shards"], `gives ${nodes} nodes (shards x (replicas + 1)); an ElastiCache cluster holds at most 500`);
  if (aws && !r.transitEncryption) {
    ctx.issue(["redis", "transitEncryption"], "is false on aws; ElastiCache accepts an AUTH token (which this stack always sets) only with in-transit encryption");
  }
  if (aws) {
    // ElastiCache's own names for versions, node types and what each node type supports (aws/catalogue).
    for (const x of elasticacheCatalogueProblems(r)) ctx.issue(x.path, x.message);
  } else {
    const [major, minor] = r.engineVersion.split(".").map(Number);
    if (r.engine === "valkey" && (major < 7 || (major === 7 && minor < 2))) ctx.issue(["redis", "engineVersion"], `is ${r.engineVersion}; ElastiCache Valkey starts at 7.2`);
    if (r.engine === "valkey" && major > 8) ctx.issue(["redis", "engineVersion"], `is ${r.engineVersion}; ElastiCache Valkey offers 7.2 to 8.x (parameter group families valkey7, valkey8)`);
    if (r.engine === "redis" && (major < 4 || major > 7 || (major === 7 && minor > 1))) {
      ctx.issue(["redis", "engineVersion"], `is ${r.engineVersion}; ElastiCache Redis OSS offers 4.0 to 7.1 (later versions are Valkey)`);
    }
  }

  // Fargate.
  const memory = fargateMemoryOptions(b.cpu);
  if (aws && !memory.includes(b.memoryMb)) {
    ctx.issue(["pgbouncer", "memoryMb"], `is ${b.memoryMb} with pgbouncer.cpu ${b.cpu}; Fargate accepts ${memory.length <= 4 ? memory.join(", ") : `${memory[0]} to ${memory[memory.length - 1]} in steps of ${memory[1] - memory[0]}`} MiB for that CPU`);
  }

  const cm = fargateMemoryOptions(s.checks.cpu);
  if (aws && !cm.includes(s.checks.memoryMb)) {
    ctx.issue(["checks", "memoryMb"], `is ${s.checks.memoryMb} with checks.cpu ${s.checks.cpu}; Fargate accepts ${cm.length <= 4 ? cm.join(", ") : `${cm[0]} to ${cm[cm.length - 1]} in steps of ${cm[1] - cm[0]}`} MiB for that CPU`);
  }

  // CloudWatch alarms.
  const lookback = a.periodSeconds * a.evaluationPeriods;
  const limit = alarmLookbackLimitSeconds(a.periodSeconds);
  if (lookback > limit) {
    ctx.issue(["alarms", "evaluationPeriods"], `is ${a.evaluationPeriods} with alarms.periodSeconds ${a.periodSeconds} (${lookback} s); CloudWatch allows Period x EvaluationPeriods up to ${limit} s (${limit === 86_400 ? "one day below a one-hour period" : "seven days"})`);
  }
  const longestTable = p.partitionPairs.reduce((m, x) => Math.max(m, x.legacy.length), 0);
  // The alarm id is `partition-row-delta-<table, hyphenated>-<severity>` (alarms/catalogue.ts).
  const longestAlarm = `${s.project}-${s.environment}-partition-row-delta-${"x".repeat(longestTable)}-critical`.length;
  if (longestTable > 0 && longestAlarm > 255) {
    ctx.issue(["postgres", "partitionPairs"], `give alarm names of ${longestAlarm} characters; a CloudWatch alarm name is at most 255`);
  }

  // Subnets: an RDS DB subnet group and an ElastiCache subnet group span two zones whatever Multi-AZ says.
  const n = s.network;
  if (aws && !(r.multiAz || p.multiAz) && n.privateSubnets.length > 0 && new Set(n.privateSubnets.map((x) => x.availabilityZone)).size < 2) {
    ctx.issue(["network", "privateSubnets"], `lie in one availability zone (${n.privateSubnets[0].availabilityZone}); an RDS DB subnet group must cover at least two zones, Multi-AZ or not`);
  }
  // The PgBouncer NLB takes every private subnet, and ELBv2 accepts one subnet per zone (CreateLoadBalancer Subnets).
  if (aws) {
    const byZone = new Map<string, string[]>();
    for (const x of n.privateSubnets) byZone.set(x.availabilityZone, [...(byZone.get(x.availabilityZone) ?? []), x.id]);
    for (const [zone, inZone] of byZone) {
      if (inZone.length > 1) ctx.issue(["network", "privateSubnets"], `name ${inZone.length} subnets in ${zone} (${inZone.join(", ")}); the PgBouncer network load balancer takes every private subnet and AWS accepts one subnet per availability zone: keep one per zone`);
    }
  }
  const ids = n.privateSubnets.map((x) => x.id);
  if (new Set(ids).size !== ids.length) ctx.issue(["network", "privateSubnets"], "name a subnet twice; each subnet once");
  for (const key of ["appSecurityGroupIds", "adminSecurityGroupIds"] as const) {
    if (new Set(n[key]).size !== n[key].length) ctx.issue(["network", key], "name a security group twice; each group once");
  }

  // Names built from project and environment.
  for (const d of derivedPhysicalNames(s)) {
    if (d.name.length > d.limit) ctx.issue([d.key], `gives the ${d.what} "${d.name.slice(0, 40)}..." of ${d.name.length} characters; AWS allows ${d.limit}`);
  }

  // Tags: AWS tag rules, and the keys the program owns.
  // Own properties only (a key named "toString" is not derived), compared without case: IAM
  // treats tag keys case-insensitively, so "project" next to the derived "Project" is a duplicate.
  const derived = derivedTags(s.project, s.environment);
  const derivedLower = new Map(Object.keys(derived).map((k) => [k.toLowerCase(), k]));
  const resourceLower = new Map(RESOURCE_TAG_KEYS.map((k) => [k.toLowerCase(), k]));
  const userLower = new Map<string, string>();
  for (const [key, value] of Object.entries(s.tags)) {
    const lower = key.toLowerCase();
    const d = derivedLower.get(lower);
    if (d === key) ctx.issue(["tags", key], `is derived by the program (${Object.keys(derived).join(", ")}); remove it from tags`);
    else if (d !== undefined) ctx.issue(["tags", key], `differs only in case from the derived tag "${d}"; IAM treats tag keys case-insensitively and refuses duplicates: remove it`);
    const rk = resourceLower.get(lower);
    if (rk === key) ctx.issue(["tags", key], "is set per resource by the program and would be overwritten; choose another key");
    else if (rk !== undefined) ctx.issue(["tags", key], `differs only in case from the per-resource tag "${rk}"; IAM treats tag keys case-insensitively and refuses duplicates: choose another key`);
    const twin = userLower.get(lower);
    if (twin !== undefined) ctx.issue(["tags", key], `differs only in case from the tag "${twin}"; IAM treats tag keys case-insensitively and refuses duplicates: keep one`);
    userLower.set(lower, key);
    if (/^aws:/i.test(key)) ctx.issue(["tags", key], 'starts with "aws:", which AWS reserves for its own tags');
    if (/^aws:/i.test(value)) ctx.issue(["tags", key], 'has a value starting with "aws:", which AWS reserves');
  }
  const userTags = Object.keys(s.tags).filter((k) => !Object.hasOwn(derived, k)).length;
  const most = Object.keys(derived).length + userTags + MAX_RESOURCE_TAGS;
  if (most > AWS_TAG_LIMIT) {
    ctx.issue(["tags"], `${userTags} tags give up to ${most} on one resource (${Object.keys(derived).length} derived + ${MAX_RESOURCE_TAGS} per-resource on an alarm); AWS allows ${AWS_TAG_LIMIT} per resource, so at most ${AWS_TAG_LIMIT - Object.keys(derived).length - MAX_RESOURCE_TAGS} here`);
  }

  // Image references, by docker's own grammar (docker/reference.ts): the docker platform pulls them, ECR builds from them.
  const images: [string[], string | undefined][] = [
    [["pgbouncer", "image"], b.image],
    [["pgbouncer", "baseImage"], b.baseImage],
    [["checks", "image"], s.checks.image],
    [["checks", "baseImage"], s.checks.baseImage],
    [["readRouting", "baseImage"], s.readRouting.baseImage],
  ];
  for (const [path, ref] of images) {
    const why = ref === undefined ? undefined : imageReferenceProblem(ref);
    if (why) ctx.issue(path, why);
  }

  // Roles: PgBouncer's admin and stats users are their own roles.
  const appRoles = ["app", "app_readonly", "datatier_monitor", p.masterUsername];
  for (const key of ["adminUser", "statsUser"] as const) {
    if (appRoles.includes(b[key])) {
      ctx.issue(["pgbouncer", key], `"${b[key]}" is an application, monitoring or master role (${appRoles.join(", ")}); PgBouncer's ${key === "adminUser" ? "admin" : "stats"} user must be a role of its own`);
    }
  }

  // What the docker platform cannot do (the components would refuse at run time).
  if (s.platform === "docker") {
    for (const x of dockerHostPortProblems(s)) ctx.issue(x.path, x.message);
    if (s.production) ctx.issue(["production"], "is true on platform docker; production rules (Multi-AZ, TLS, managed backups) need platform aws");
    if (b.tls.client !== "disable") ctx.issue(["pgbouncer", "tls", "client"], `is "${b.tls.client}"; the docker platform has no certificate for PgBouncer's clients; use "disable"`);
    // PostgreSQL on docker has no certificate (ssl off): it answers PgBouncer's SSLRequest "N", and a mode that demands TLS drops the connection.
    if (b.tls.server === "require") ctx.issue(["pgbouncer", "tls", "server"], `is "require"; PostgreSQL on docker runs without TLS, so PgBouncer drops every server connection ("server refused SSL"); use "disable", "allow" or "prefer"`);
    if (r.transitEncryption) ctx.issue(["redis", "transitEncryption"], "is true; self-managed Redis on docker has no TLS material; set it false (ElastiCache encrypts on aws)");
    if (r.atRestEncryption) ctx.issue(["redis", "atRestEncryption"], "is true; docker volumes are not encrypted by the platform; set it false");
  }
  if (b.tls.server === "verify-ca" || b.tls.server === "verify-full") {
    ctx.issue(["pgbouncer", "tls", "server"], `is "${b.tls.server}"; the PgBouncer image ships no CA bundle to verify the server with; use "require"`);
  }
}
