/**
 * The one schema for a stack's configuration. Raw config (from Pulumi config or a
 * stack file) is merged onto the environment profile (defaults.ts) and then parsed
 * here; every field is therefore required at this point and the parsed value is the
 * fully resolved `Settings` the whole program reads.
 *
 * Objects are strict: an unknown key (a typo such as `replica`) is an error, not a
 * silently ignored setting.
 */
import { z } from "zod";
import { THRESHOLD_KEYS, DOCUMENTED_THRESHOLDS, levelsOrdered } from "../thresholds/thresholds";

const hhmm = "([01]\\d|2[0-3]):[0-5]\\d";
const day = "(mon|tue|wed|thu|fri|sat|sun)";
/** ElastiCache/RDS daily window, e.g. "03:00-04:00". */
export const dailyWindow = z
  .string()
  .regex(new RegExp(`^${hhmm}-${hhmm}$`), { message: 'expected a UTC window "hh:mm-hh:mm", e.g. "03:00-04:00"' });
/** Weekly maintenance window, e.g. "sun:05:00-sun:06:00". */
export const weeklyWindow = z.string().regex(new RegExp(`^${day}:${hhmm}-${day}:${hhmm}$`), {
  message: 'expected a UTC window "ddd:hh:mm-ddd:hh:mm", e.g. "sun:05:00-sun:06:00"',
});

/**
 * A KMS key ARN. Not an alias ARN: the provider stores the key ARN the service reports,
 * so an alias would show as a change (a replacement, for RDS and ElastiCache) on every up.
 */
const kmsKeyArn = z.string().regex(/^arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/, {
  message: "expected a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>); an alias ARN is stored by the provider as the key ARN, so every later up would plan a replacement",
});

/** Largest integer every consumer reads as such (PgBouncer, Redis and Postgres parse C ints). */
export const INT32_MAX = 2_147_483_647;
/** Longest list a stack file may give anywhere: keeps the review fast on any input. */
export const MAX_LIST = 50;

const port = z.int().min(1024, { message: "expected a port from 1024 to 65535" }).max(65535, {
  message: "expected a port from 1024 to 65535",
});

const logRetentionDays = z.union(
  [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].map((n) =>
    z.literal(n),
  ),
  { message: "expected a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, ... days)" },
);

/** Redis commands Sentinel and the smoke suite rely on: they can never be disabled. */
export const REDIS_COMMANDS_REQUIRED_BY_SENTINEL = [
  "CONFIG",
  "REPLICAOF",
  "SLAVEOF",
  "INFO",
  "PING",
  "ROLE",
  "CLIENT",
  "PUBLISH",
  "SUBSCRIBE",
  "SCRIPT",
  "MULTI",
  "EXEC",
  "WAIT",
] as const;

export const network = z.strictObject({
  /** VPC the data tier lives in (AWS). */
  vpcId: z.string().regex(/^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/, { message: 'expected a VPC id "vpc-..."' }).optional(),
  /** Private subnets, with their availability zone so Multi-AZ can be checked before deploy. */
  privateSubnets: z
    .array(
      z.strictObject({
        id: z.string().regex(/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/, { message: 'expected a subnet id "subnet-..."' }),
        availabilityZone: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, {
          message: 'expected an availability zone such as "us-east-1a"',
        }),
      }),
    )
    .max(20, { message: "an RDS DB subnet group holds at most 20 subnets" })
    .default([]),
  /** Security groups of the application tier: the only clients of PgBouncer and Redis. */
  appSecurityGroupIds: z.array(z.string().regex(/^sg-([0-9a-f]{8}|[0-9a-f]{17})$/, { message: 'expected "sg-..."' })).max(20, { message: "at most 20 groups (each becomes ingress rules; a security group holds 60 inbound rules)" }).default([]),
  /** Security groups of operators / bastions, admitted to Postgres and Redis directly. */
  adminSecurityGroupIds: z.array(z.string().regex(/^sg-([0-9a-f]{8}|[0-9a-f]{17})$/, { message: 'expected "sg-..."' })).max(20, { message: "at most 20 groups (each becomes ingress rules; a security group holds 60 inbound rules)" }).default([]),
  /** Docker network name for the docker platform. */
  dockerNetworkName: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, { message: "expected a docker network name: 1-63 letters, digits, _ . -" }).optional(),
});

export const redis = z.strictObject({
  engine: z.enum(["redis", "valkey"]),
  /** Major.minor engine version; the policy pack holds the supported list. */
  engineVersion: z.string().regex(/^\d+\.\d+$/, { message: 'expected "major.minor", e.g. "7.1"' }),
  /** ElastiCache node type. */
  nodeType: z.string().regex(/^cache\.[a-z][a-z0-9]*\.[a-z0-9]+$/, { message: 'expected an ElastiCache node type such as "cache.r7g.large"' }),
  /** Replication group id; defaults to "<project>-<environment>-redis". */
  replicationGroupId: z.string().max(256).optional(),
  /** Replicas per shard (0-5). */
  replicas: z.int().min(0).max(5, { message: "ElastiCache allows at most 5 replicas per shard" }),
  clusterMode: z.strictObject({
    enabled: z.boolean(),
    shards: z.int().min(1).max(500),
  }),
  multiAz: z.boolean(),
  automaticFailover: z.boolean(),
  /**
   * min-replicas-to-write: the master refuses writes (NOREPLICAS) while fewer replicas
   * than this have acknowledged within minReplicasMaxLagSeconds. Derived when absent
   * (redisWriteSafety in defaults.ts): 1 with a replica, 0 without.
   */
  minReplicasToWrite: z.int().min(0).max(5).optional(),
  /** min-replicas-max-lag, seconds; derived when absent: Sentinel's down-after in whole seconds (at least 1). */
  minReplicasMaxLagSeconds: z.int().min(1).max(60).optional(),
  port,
  /** maxmemory for self-managed nodes (docker, sandbox); ElastiCache sizes by node type. */
  maxmemoryMb: z.int().min(16).max(1_048_576, { message: "expected at most 1048576 MB (1 TiB); larger values overflow Redis' byte count" }),
  maxmemoryPolicy: z.enum([
    "allkeys-lru",
    "volatile-lru",
    "allkeys-lfu",
    "volatile-lfu",
    "allkeys-random",
    "volatile-random",
    "volatile-ttl",
    "noeviction",
  ]),
  persistence: z.strictObject({ rdb: z.boolean(), aof: z.boolean() }),
  ioThreads: z.int().min(1).max(16),
  lazyFree: z.boolean(),
  slowlogLogSlowerThanUs: z.int().min(0).max(INT32_MAX),
  slowlogMaxLen: z.int().min(1).max(1_000_000, { message: "expected at most 1000000 entries (the slow log lives in memory)" }),
  latencyMonitorThresholdMs: z.int().min(0).max(INT32_MAX),
  /** Commands renamed away on self-managed nodes (ElastiCache already restricts them). */
  disabledCommands: z.array(z.string().regex(/^[A-Z][A-Z-]{0,39}$/, { message: "expected an upper-case command name" })).max(MAX_LIST),
  transitEncryption: z.boolean(),
  atRestEncryption: z.boolean(),
  kmsKeyArn: kmsKeyArn.optional(),
  snapshotRetentionDays: z.int().min(0).max(35),
  snapshotWindow: dailyWindow,
  maintenanceWindow: weeklyWindow,
  logRetentionDays,
  sentinel: z.strictObject({
    count: z.int().min(1).max(9, { message: "expected 1-9 Sentinels (an odd number of 3 or 5 is usual)" }),
    quorum: z.int().min(1).max(9),
    masterName: z.string().regex(/^[a-zA-Z0-9._-]{1,64}$/, { message: "expected 1-64 letters, digits, . _ -" }),
    downAfterMs: z.int().min(100).max(3_600_000, { message: "expected at most 3600000 ms (an hour)" }),
    failoverTimeoutMs: z.int().min(1000).max(86_400_000, { message: "expected at most 86400000 ms (a day)" }),
    port,
  }),
});

/** RDS instance classes we know; an unknown family is almost always a typo. */
export const RDS_INSTANCE_CLASS =
  /^db\.(t3|t4g|m5|m5d|m6g|m6gd|m6i|m6id|m6in|m7g|m7gd|m7i|m8g|r5|r5b|r5d|r6g|r6gd|r6i|r6id|r6in|r7g|r7gd|r7i|r8g|x2g|x2iedn)\.(micro|small|medium|large|xlarge|\d{1,2}xlarge)$/;

export const partitionPair = z.strictObject({
  /** Legacy (unpartitioned) table. */
  legacy: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "expected a lower-case SQL identifier of at most 63 characters" }),
  /** Its partitioned twin, kept in step by dual-write triggers. */
  partitioned: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "expected a lower-case SQL identifier of at most 63 characters" }),
  /** Timestamp column used for "recent writes". */
  timestampColumn: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { message: "expected a lower-case SQL identifier of at most 63 characters" }).default("created_at"),
});

export const postgres = z.strictObject({
  engineVersion: z.string().regex(/^15(\.\d+)?$/, { message: 'expected PostgreSQL 15 ("15" or "15.<minor>")' }),
  instanceClass: z.string().regex(RDS_INSTANCE_CLASS, { message: 'expected an RDS instance class such as "db.r6g.large"' }),
  replicaInstanceClass: z.string().regex(RDS_INSTANCE_CLASS, { message: 'expected an RDS instance class such as "db.r6g.large"' }).optional(),
  /** Read replicas (0-15). */
  replicas: z.int().min(0).max(15, { message: "RDS PostgreSQL allows at most 15 read replicas" }),
  multiAz: z.boolean(),
  allocatedStorageGb: z.int().min(20).max(65536),
  maxAllocatedStorageGb: z.int().min(20).max(65536),
  port,
  databaseName: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { message: "expected a lower-case database name" }),
  masterUsername: z.string().regex(/^[a-z][a-z0-9_]{0,15}$/, { message: "expected 1-16 lower-case letters, digits, _" }),
  backupRetentionDays: z.int().min(0).max(35),
  backupWindow: dailyWindow,
  maintenanceWindow: weeklyWindow,
  deletionProtection: z.boolean(),
  performanceInsights: z.strictObject({ enabled: z.boolean(), retentionDays: z.int().min(7).max(731, { message: "RDS keeps Performance Insights data at most 731 days" }) }),
  monitoringIntervalSeconds: z.union([0, 1, 5, 10, 15, 30, 60].map((n) => z.literal(n)), {
    message: "expected one of 0, 1, 5, 10, 15, 30, 60",
  }),
  kmsKeyArn: kmsKeyArn.optional(),
  /** max_connections on the server; must leave room for PgBouncer's pools plus reserved slots. */
  maxConnections: z.int().min(10).max(262143),
  /** Superuser/maintenance slots kept out of PgBouncer's reach. */
  reservedConnections: z.int().min(3).max(1000),
  logMinDurationStatementMs: z.int().min(-1).max(INT32_MAX),
  /** Extra parameters for the parameter group / postgresql.conf, verbatim. */
  parameters: z.record(z.string().max(64, { message: "a parameter name is at most 64 characters" }), z.string().max(1024, { message: "a parameter value is at most 1024 characters" })),
  /** Manage application, read-only, monitoring and PgBouncer roles with @pulumi/postgresql. */
  manageRoles: z.boolean(),
  logRetentionDays,
  partitionPairs: z.array(partitionPair).max(MAX_LIST),
  /** How the partition checks judge at scale (components/settings/partitionChecks.ts). */
  partitionChecks: z.strictObject({
    /** Gate's exact row parity covers rows this recent: its cost follows the window, not the table. */
    windowSeconds: z.int().min(60).max(86_400, { message: "expected at most 86400 (one day): a longer window is the reconciliation's job" }),
    /** A reconcile result older than this makes partition.reconcile.* WARN. */
    reconcileMaxAgeSeconds: z.int().min(3_600),
  }),
});

export const pgbouncer = z.strictObject({
  /** Image to run; default built from `baseImage` and pushed to ECR. */
  image: z.string().regex(/^[^\s]{1,255}$/, { message: "expected an image reference of 1-255 characters without spaces" }).optional(),
  /** Pinned base image (tag or digest) the ECR image is built from. */
  baseImage: z.string().regex(/^[^\s:]+(:[^\s:]+|@sha256:[0-9a-f]{64})$/, {
    message: "expected a pinned image reference (name:tag or name@sha256:...)",
  }),
  port,
  poolMode: z.enum(["session", "transaction", "statement"]),
  maxClientConn: z.int().min(1).max(1_000_000, { message: "expected at most 1000000 clients (each holds a file descriptor)" }),
  defaultPoolSize: z.int().min(1).max(10_000),
  minPoolSize: z.int().min(0).max(10_000),
  reservePoolSize: z.int().min(0).max(10_000),
  reservePoolTimeoutSeconds: z.int().min(0).max(86_400),
  serverIdleTimeoutSeconds: z.int().min(0).max(86_400),
  queryWaitTimeoutSeconds: z.int().min(0).max(86_400),
  clientIdleTimeoutSeconds: z.int().min(0).max(86_400),
  serverCheckDelaySeconds: z.int().min(0).max(86_400),
  /** Wait before connecting again to a server after a failed attempt (server_login_retry). */
  serverLoginRetrySeconds: z.int().min(1).max(3_600),
  authType: z.enum(["scram-sha-256", "md5"]),
  /**
   * Protocol-level prepared statements PgBouncer tracks per server connection
   * (max_prepared_statements, 1.21+), so drivers' named statements survive transaction
   * pooling; 0 turns the tracking off.
   */
  maxPreparedStatements: z.int().min(0).max(100_000),
  adminUser: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { message: "expected a lower-case role name of at most 63 characters" }),
  statsUser: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, { message: "expected a lower-case role name of at most 63 characters" }),
  /** Clients queued in SHOW POOLS above this make the check fail. */
  maxWaitingClients: z.int().min(0).max(1_000_000),
  tls: z.strictObject({
    client: z.enum(["disable", "allow", "prefer", "require"]),
    server: z.enum(["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
  }),
  /** ECS Fargate sizing (AWS). */
  desiredCount: z.int().min(1).max(1000),
  minCount: z.int().min(1).max(1000),
  maxCount: z.int().min(1).max(1000, { message: "expected at most 1000 tasks" }),
  cpu: z.union([256, 512, 1024, 2048, 4096, 8192, 16384].map((n) => z.literal(n)), { message: "expected Fargate CPU 256, 512, 1024, 2048, 4096, 8192 or 16384" }),
  memoryMb: z.int().min(512).max(122_880, { message: "expected at most 122880 MiB (Fargate with 16 vCPU)" }),
  cpuTargetPercent: z.int().min(10).max(95),
  logRetentionDays,
});

/** The read router beside PgBouncer (components/readrouting): which replicas the read-only pool points at. */
export const readRouting = z.strictObject({
  enabled: z.boolean(),
  /** Time between two rounds of measurements, ms. */
  intervalMs: z.int().min(200, { message: "expected at least 200 ms" }).max(60_000, { message: "expected at most 60000 ms" }),
  /** Bound on connecting to (and querying) one server in a round, ms; below intervalMs. */
  connectTimeoutMs: z.int().min(50, { message: "expected at least 50 ms" }).max(30_000, { message: "expected at most 30000 ms" }),
  /** Pinned Node image the sidecar (AWS) and container (docker) are built from. */
  baseImage: z.string().regex(/^[^\s:]+(:[^\s:]+|@sha256:[0-9a-f]{64})$/, {
    message: "expected a pinned image reference (name:tag or name@sha256:...)",
  }),
});

const level = z.number().min(-1e12).max(1e12, { message: "expected a finite threshold within +-1e12" });
const levels = z.strictObject({ warning: level, critical: level });

export const alarms = z.strictObject({
  enabled: z.boolean(),
  /** Per-stack overrides of the documented thresholds; defaults come from thresholds.ts. */
  thresholds: z.strictObject(Object.fromEntries(THRESHOLD_KEYS.map((k) => [k, levels])) as Record<(typeof THRESHOLD_KEYS)[number], typeof levels>),
  evaluationPeriods: z.int().min(1).max(10_080, { message: "expected at most 10080 periods (see the one-day / seven-day rule)" }),
  datapointsToAlarm: z.int().min(1).max(10_080),
  periodSeconds: z.union([60, 300, 900, 3600].map((n) => z.literal(n)), { message: "expected 60, 300, 900 or 3600" }),
  /** Namespace of the custom metrics the application and the smoke suite publish. */
  customMetricNamespace: z
    .string()
    .regex(/^[A-Za-z0-9./#:_-]{1,255}$/, { message: "expected 1-255 letters, digits and . / # : _ -" })
    .refine((v) => !/^AWS\//i.test(v), { message: 'a custom namespace cannot start with "AWS/" (reserved for AWS services)' }),
  notifications: z.strictObject({
    warningEmails: z.array(z.email({ message: "expected an e-mail address" }).max(254)).max(MAX_LIST),
    criticalEmails: z.array(z.email({ message: "expected an e-mail address" }).max(254)).max(MAX_LIST),
    httpsEndpoints: z.array(z.url({ protocol: /^https$/, message: "expected an https:// URL" }).max(2048)).max(MAX_LIST),
  }),
  /** Baseline health alarm limits; see components/alarms. */
  baseline: z.strictObject({
    rdsCpuPercent: z.number().min(1).max(100),
    rdsFreeableMemoryMb: z.number().min(1).max(4_194_304),
    rdsFreeStorageGb: z.number().min(1).max(65_536),
    rdsConnectionsPercentOfMax: z.number().min(1).max(100),
    redisEngineCpuPercent: z.number().min(1).max(100),
    redisEvictionsPerMinute: z.number().min(0).max(1e9),
    redisCurrentConnections: z.number().min(1).max(65_000, { message: "ElastiCache nodes accept at most 65000 client connections" }),
  }),
  dashboard: z.boolean(),
  kmsKeyArn: kmsKeyArn.optional(),
});

/** The smoke suite as a Fargate task inside the VPC, and its schedule (AWS). */
export const checks = z.strictObject({
  /** Image to run; default built from `baseImage` (the suite bundled by esbuild) and pushed to ECR. */
  image: z.string().regex(/^[^\s]{1,255}$/, { message: "expected an image reference of 1-255 characters without spaces" }).optional(),
  /** Pinned Node.js base image (tag or digest) the checks image is built on. */
  baseImage: z.string().regex(/^[^\s:]+(:[^\s:]+|@sha256:[0-9a-f]{64})$/, {
    message: "expected a pinned image reference (name:tag or name@sha256:...)",
  }),
  /** Run the in-VPC checks with --publish-metrics on an EventBridge Scheduler schedule. */
  scheduleEnabled: z.boolean(),
  /** Minutes between scheduled runs; the custom-metric alarms and the monitor alarm use it as their period. */
  scheduleMinutes: z.int().min(1).max(60),
  cpu: z.union([256, 512, 1024, 2048, 4096].map((n) => z.literal(n)), { message: "expected Fargate CPU 256, 512, 1024, 2048 or 4096" }),
  memoryMb: z.int().min(512).max(30720, { message: "expected at most 30720 MiB (Fargate with 4 vCPU)" }),
  // A CloudWatch Logs retention (retentionInDays takes only the listed values).
  logRetentionDays,
});

/** AWS tag rules: keys 1-128, values 0-256 characters of letters, digits, spaces and _ . : / = + - @. */
export const tags = z.record(
  z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u, { message: "expected a tag key of 1-128 letters, digits, spaces and _ . : / = + - @" }),
  z.string().regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u, { message: "expected a tag value of at most 256 letters, digits, spaces and _ . : / = + - @ (AWS tag rules)" }),
);

export const settingsShape = z.strictObject({
  /** Project name from Pulumi.yaml (prefix of every physical name). */
  project: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, { message: "expected a lower-case project name of at most 40 characters" }),
  /** Environment name; defaults to the stack name. */
  environment: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, { message: "expected 1-16 lower-case letters, digits, -" }),
  /** Production rules apply (defaults to environment === "prod"). */
  production: z.boolean(),
  platform: z.enum(["aws", "docker"], { message: 'expected "aws" or "docker"' }),
  /** AWS region (from `aws:region`); required on aws. */
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected an AWS region such as "us-east-1"' }).optional(),
  network,
  redis,
  postgres,
  pgbouncer,
  readRouting,
  alarms,
  checks,
  tags,
});

export type SettingsInput = z.input<typeof settingsShape>;
export type Settings = z.output<typeof settingsShape>;
export type RedisSettings = Settings["redis"];
export type PostgresSettings = Settings["postgres"];
export type PgBouncerSettings = Settings["pgbouncer"];
export type AlarmSettings = Settings["alarms"];
export type ReadRoutingSettings = Settings["readRouting"];
export type NetworkSettings = Settings["network"];
export type ChecksSettings = Settings["checks"];

export { DOCUMENTED_THRESHOLDS, levelsOrdered };
