/**
 * Cross-field rules: what one field cannot say alone. Each rule reports through
 * `ctx.issue(path, message)` so every problem in a stack surfaces in one run.
 */
import { DOCUMENTED_THRESHOLDS, THRESHOLD_KEYS, formatLevel, levelsOrdered } from "../thresholds/thresholds";
import { REQUIRED_TAG_KEYS } from "../tags";
import { REDIS_COMMANDS_REQUIRED_BY_SENTINEL, type Settings } from "./schema";
import { checkAwsRules } from "./awsRules";
import type { RuleContext } from "./ruleContext";
import { pgbouncerPinProblems } from "../pgbouncer/version";

export type { RuleContext } from "./ruleContext";

/** ElastiCache: 1-40 characters, lower-case letters, digits and hyphens, starting with a letter. */
export function replicationGroupIdProblem(id: string): string | undefined {
  if (id.length > 40) return `is ${id.length} characters; an ElastiCache replication group id is at most 40`;
  if (!/^[a-z][a-z0-9-]*$/.test(id)) return "must start with a lower-case letter and hold only lower-case letters, digits and hyphens";
  if (id.includes("--") || id.endsWith("-")) return "must not contain two consecutive hyphens or end with a hyphen";
  return undefined;
}

/** Replication group id the program will use (explicit or derived). */
export function replicationGroupId(s: Pick<Settings, "project" | "environment" | "redis">): string {
  return s.redis.replicationGroupId ?? `${s.project}-${s.environment}-redis`;
}

/** RDS identifiers: 1-63 letters, digits, hyphens, starting with a letter. Replicas add "-replica-N". */
export function dbInstanceIdentifierProblem(id: string): string | undefined {
  if (id.length > 63) return `is ${id.length} characters; an RDS identifier is at most 63`;
  if (!/^[a-z][a-z0-9-]*$/.test(id) || id.includes("--") || id.endsWith("-")) {
    return "must start with a letter and hold only lower-case letters, digits and single hyphens";
  }
  return undefined;
}

/** Server connections PgBouncer can open to the primary across all its instances. */
export function pgbouncerPrimaryConnections(s: Pick<Settings, "platform" | "pgbouncer">): number {
  const instances = s.platform === "aws" ? s.pgbouncer.maxCount : 1;
  return instances * (s.pgbouncer.defaultPoolSize + s.pgbouncer.reservePoolSize);
}

export function checkRules(s: Settings, ctx: RuleContext): void {
  // Thresholds: critical must be strictly worse than warning.
  for (const key of THRESHOLD_KEYS) {
    const def = DOCUMENTED_THRESHOLDS[key];
    const lv = s.alarms.thresholds[key];
    if (!levelsOrdered(def, lv)) {
      const worse = def.comparison === "greaterThan" ? "greater" : "lower";
      ctx.issue(
        ["alarms", "thresholds", key],
        `warning ${lv.warning} and critical ${lv.critical} are not ordered: for "${def.label}" (alarm when ${formatLevel(def, lv.warning)}) critical must be ${worse} than warning`,
      );
    }
  }
  if (s.alarms.datapointsToAlarm > s.alarms.evaluationPeriods) {
    ctx.issue(["alarms", "datapointsToAlarm"], `is ${s.alarms.datapointsToAlarm}, more than evaluationPeriods (${s.alarms.evaluationPeriods})`);
  }

  // Redis topology.
  const r = s.redis;
  if (r.automaticFailover && r.replicas < 1) {
    ctx.issue(["redis", "replicas"], "automatic failover needs at least one replica to promote");
  }
  if (r.minReplicasToWrite !== undefined && r.minReplicasToWrite > r.replicas) {
    ctx.issue(["redis", "minReplicasToWrite"], `is ${r.minReplicasToWrite}, more than the ${r.replicas} replica(s): the master would refuse every write (NOREPLICAS)`);
  }
  if (r.multiAz && !r.automaticFailover) {
    ctx.issue(["redis", "multiAz"], "Multi-AZ needs redis.automaticFailover: true");
  }
  if (r.sentinel.quorum > r.sentinel.count) {
    ctx.issue(["redis", "sentinel", "quorum"], `is ${r.sentinel.quorum}, more than the ${r.sentinel.count} Sentinels that could agree`);
  }
  const blocked = r.disabledCommands.filter((c) => (REDIS_COMMANDS_REQUIRED_BY_SENTINEL as readonly string[]).includes(c));
  if (blocked.length > 0) {
    ctx.issue(["redis", "disabledCommands"], `${blocked.join(", ")} cannot be disabled: Sentinel failover and the smoke suite need them`);
  }
  const rgProblem = replicationGroupIdProblem(replicationGroupId(s));
  if (rgProblem) {
    ctx.issue(
      ["redis", "replicationGroupId"],
      `"${replicationGroupId(s)}" ${rgProblem}${r.replicationGroupId ? "" : " (derived from project and environment; set redis.replicationGroupId)"}`,
    );
  }
  if (r.clusterMode.enabled && s.platform === "docker") {
    ctx.issue(["redis", "clusterMode", "enabled"], "cluster mode is AWS-only; the docker platform runs one primary with Sentinel");
  }
  if (r.kmsKeyArn && !r.atRestEncryption) {
    ctx.issue(["redis", "kmsKeyArn"], "a KMS key needs redis.atRestEncryption: true");
  }

  // Postgres.
  const p = s.postgres;
  const dbId = `${s.project}-${s.environment}-pg-replica-${Math.max(p.replicas, 1)}`;
  const dbProblem = dbInstanceIdentifierProblem(dbId);
  if (dbProblem) ctx.issue(["environment"], `gives RDS identifiers such as "${dbId}", which ${dbProblem}`);
  if (p.maxAllocatedStorageGb < p.allocatedStorageGb) {
    ctx.issue(["postgres", "maxAllocatedStorageGb"], `is ${p.maxAllocatedStorageGb}, below allocatedStorageGb (${p.allocatedStorageGb}); storage autoscaling needs a higher ceiling`);
  }
  // Performance Insights retention and the other AWS rules: awsRules.ts.
  const names = new Set<string>();
  p.partitionPairs.forEach((pair, i) => {
    if (pair.legacy === pair.partitioned) ctx.issue(["postgres", "partitionPairs", i, "partitioned"], "must differ from legacy");
    for (const t of [pair.legacy, pair.partitioned]) {
      if (names.has(t)) ctx.issue(["postgres", "partitionPairs", i], `table "${t}" appears in more than one pair`);
      names.add(t);
    }
  });

  // PgBouncer against the database it pools.
  const b = s.pgbouncer;
  const needed = pgbouncerPrimaryConnections(s) + p.reservedConnections;
  if (needed > p.maxConnections) {
    ctx.issue(
      ["pgbouncer", "defaultPoolSize"],
      `pool too large for the database: ${s.platform === "aws" ? `${b.maxCount} tasks x ` : ""}(defaultPoolSize ${b.defaultPoolSize} + reservePoolSize ${b.reservePoolSize}) + postgres.reservedConnections ${p.reservedConnections} = ${needed} exceeds postgres.maxConnections ${p.maxConnections}`,
    );
  }
  if (b.minPoolSize > b.defaultPoolSize) ctx.issue(["pgbouncer", "minPoolSize"], `is ${b.minPoolSize}, above defaultPoolSize ${b.defaultPoolSize}`);
  if (b.maxClientConn < b.defaultPoolSize) ctx.issue(["pgbouncer", "maxClientConn"], `is ${b.maxClientConn}, below defaultPoolSize ${b.defaultPoolSize}`);
  // A round measures each server within connectTimeoutMs; it must end before the next begins.
  if (s.readRouting.connectTimeoutMs >= s.readRouting.intervalMs) {
    ctx.issue(["readRouting", "connectTimeoutMs"], `is ${s.readRouting.connectTimeoutMs}, not below readRouting.intervalMs ${s.readRouting.intervalMs}: a round of checks would overrun the next`);
  }
  if (!(b.minCount <= b.desiredCount && b.desiredCount <= b.maxCount)) {
    ctx.issue(["pgbouncer", "desiredCount"], `expected minCount (${b.minCount}) <= desiredCount (${b.desiredCount}) <= maxCount (${b.maxCount})`);
  }
  if (b.adminUser === b.statsUser) ctx.issue(["pgbouncer", "statsUser"], "must differ from adminUser");
  // The AWS image must run the PgBouncer the sandbox and the dev stack run (version.env).
  for (const problem of pgbouncerPinProblems(b.baseImage)) ctx.issue(["pgbouncer", "baseImage"], problem);
  if (b.poolMode === "transaction" && b.maxPreparedStatements === 0) {
    ctx.issue(["pgbouncer", "maxPreparedStatements"], "is 0 under transaction pooling: drivers' named prepared statements (node-postgres `name`, pgbench -M prepared, JDBC, asyncpg) then fail with \"does not exist\" / \"already exists\"; expected at least 1 (default 200)");
  }

  // Production minimums.
  if (s.production) {
    const need = (path: (string | number)[], ok: boolean, why: string) => ok || ctx.issue(path, why);
    need(["redis", "replicas"], r.replicas >= 1, "production needs at least one Redis replica for automatic failover");
    need(["redis", "multiAz"], r.multiAz, "production needs Redis Multi-AZ");
    need(["redis", "automaticFailover"], r.automaticFailover, "production needs Redis automatic failover");
    need(["redis", "snapshotRetentionDays"], r.snapshotRetentionDays >= 1, "production needs Redis snapshots (at least 1 day)");
    need(["postgres", "replicas"], p.replicas >= 1, "production needs at least one PostgreSQL read replica");
    need(["postgres", "multiAz"], p.multiAz, "production needs a Multi-AZ PostgreSQL primary");
    need(["postgres", "backupRetentionDays"], p.backupRetentionDays >= 7, `is ${p.backupRetentionDays}; production keeps backups for at least 7 days`);
    need(["postgres", "deletionProtection"], p.deletionProtection, "production needs deletion protection on the primary");
    need(["pgbouncer", "minCount"], b.minCount >= 2, `is ${b.minCount}; production runs at least two PgBouncer tasks across zones`);
  }

  // Platform requirements.
  if (s.platform === "aws") {
    const n = s.network;
    if (!s.region) ctx.issue(["region"], "the aws platform needs aws:region");
    if (!n.vpcId) ctx.issue(["network", "vpcId"], "the aws platform needs the VPC id");
    if (n.privateSubnets.length === 0) ctx.issue(["network", "privateSubnets"], "the aws platform needs private subnets");
    if (n.appSecurityGroupIds.length === 0) {
      ctx.issue(["network", "appSecurityGroupIds"], "the aws platform needs the application's security groups (the only clients admitted)");
    }
    const zones = new Set(n.privateSubnets.map((x) => x.availabilityZone));
    if ((r.multiAz || p.multiAz) && n.privateSubnets.length > 0 && zones.size < 2) {
      ctx.issue(["network", "privateSubnets"], `Multi-AZ needs subnets in at least two availability zones; got ${[...zones].join(", ") || "none"}`);
    }
    if (s.region) {
      n.privateSubnets.forEach((sn, i) => {
        if (!sn.availabilityZone.startsWith(s.region!)) {
          ctx.issue(["network", "privateSubnets", i, "availabilityZone"], `"${sn.availabilityZone}" is not in region ${s.region}`);
        }
      });
    }
  }

  // Tags.
  for (const key of REQUIRED_TAG_KEYS) {
    if (key === "Owner" && !s.tags[key]) ctx.issue(["tags", key], "every stack names an Owner tag (team or on-call rotation)");
  }

  checkAwsRules(s, ctx);
}
