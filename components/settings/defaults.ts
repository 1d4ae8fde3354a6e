/**
 * Per-environment defaults, applied in one place: a stack's raw config is deep-merged
 * onto `profileFor(...)` before the schema parses it. The seed's promises (8 GB LRU
 * Redis with RDB + AOF, threaded I/O, lazy freeing; PgBouncer transaction pooling of
 * 1000 clients onto 100 server connections) are the base; production tightens it.
 */
import { DOCUMENTED_THRESHOLDS, THRESHOLD_KEYS } from "../thresholds/thresholds";
import { PARTITION_CHECK_DEFAULTS } from "./partitionChecks";
import type { SettingsInput } from "./schema";

type Profile = Omit<SettingsInput, "project" | "environment" | "production" | "platform" | "region">;

const thresholdDefaults = Object.fromEntries(
  THRESHOLD_KEYS.map((k) => [k, { warning: DOCUMENTED_THRESHOLDS[k].warning, critical: DOCUMENTED_THRESHOLDS[k].critical }]),
) as Profile["alarms"]["thresholds"];

export const BASE_PROFILE: Profile = {
  network: { privateSubnets: [], appSecurityGroupIds: [], adminSecurityGroupIds: [] },
  redis: {
    engine: "redis",
    engineVersion: "7.1",
    nodeType: "cache.r7g.large",
    replicas: 1,
    clusterMode: { enabled: false, shards: 1 },
    multiAz: false,
    automaticFailover: true,
    port: 6379,
    maxmemoryMb: 8192,
    maxmemoryPolicy: "allkeys-lru",
    persistence: { rdb: true, aof: true },
    ioThreads: 4,
    lazyFree: true,
    slowlogLogSlowerThanUs: 10_000,
    slowlogMaxLen: 128,
    latencyMonitorThresholdMs: 100,
    disabledCommands: ["FLUSHALL", "FLUSHDB", "KEYS", "DEBUG"],
    transitEncryption: true,
    atRestEncryption: true,
    snapshotRetentionDays: 1,
    snapshotWindow: "03:00-04:00",
    maintenanceWindow: "sun:05:00-sun:06:00",
    logRetentionDays: 30,
    sentinel: { count: 3, quorum: 2, masterName: "datatier", downAfterMs: 2000, failoverTimeoutMs: 5000, port: 26379 },
  },
  postgres: {
    engineVersion: "15",
    instanceClass: "db.r6g.large",
    replicas: 1,
    multiAz: false,
    allocatedStorageGb: 100,
    maxAllocatedStorageGb: 1000,
    port: 5432,
    databaseName: "app",
    masterUsername: "dbadmin",
    backupRetentionDays: 7,
    backupWindow: "02:00-03:00",
    maintenanceWindow: "sun:04:00-sun:05:00",
    deletionProtection: false,
    performanceInsights: { enabled: true, retentionDays: 7 },
    monitoringIntervalSeconds: 60,
    maxConnections: 250,
    reservedConnections: 10,
    logMinDurationStatementMs: 500,
    parameters: {},
    manageRoles: true,
    logRetentionDays: 30,
    partitionPairs: [
      { legacy: "revenue_transactions", partitioned: "revenue_transactions_partitioned", timestampColumn: "created_at" },
      { legacy: "expense_transactions", partitioned: "expense_transactions_partitioned", timestampColumn: "created_at" },
    ],
    partitionChecks: { ...PARTITION_CHECK_DEFAULTS },
  },
  pgbouncer: {
    baseImage: "edoburu/pgbouncer:v1.24.1-p1",
    port: 6432,
    poolMode: "transaction",
    maxClientConn: 1000,
    defaultPoolSize: 100,
    minPoolSize: 0,
    reservePoolSize: 5,
    reservePoolTimeoutSeconds: 3,
    serverIdleTimeoutSeconds: 600,
    queryWaitTimeoutSeconds: 120,
    clientIdleTimeoutSeconds: 0,
    serverCheckDelaySeconds: 30,
    // PgBouncer's 15 s default holds a pool on a dead server that long, even after the read
    // router's RELOAD points it elsewhere (measured: docs/read-routing.md); 1 s lets the
    // pool follow within one second of the RELOAD.
    serverLoginRetrySeconds: 1,
    authType: "scram-sha-256",
    // PgBouncer 1.22+'s own default, written out: 0 would break drivers' prepared statements.
    maxPreparedStatements: 200,
    adminUser: "pgbouncer_admin",
    statsUser: "pgbouncer_stats",
    maxWaitingClients: 0,
    tls: { client: "disable", server: "prefer" },
    desiredCount: 1,
    minCount: 1,
    maxCount: 2,
    cpu: 512,
    memoryMb: 1024,
    cpuTargetPercent: 60,
    logRetentionDays: 30,
  },
  // 2 s: a dead replica leaves the read pool within one interval plus the connect bound,
  // well inside PgBouncer's own 15 s server_login_retry; a round is 1 + replicas short
  // logins, negligible for the servers even with every PgBouncer task running one.
  readRouting: { enabled: true, intervalMs: 2000, connectTimeoutMs: 1000, baseImage: "node:22.12.0-alpine3.21" },
  alarms: {
    enabled: true,
    thresholds: thresholdDefaults,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    periodSeconds: 60,
    customMetricNamespace: "DataTier",
    notifications: { warningEmails: [], criticalEmails: [], httpsEndpoints: [] },
    baseline: {
      rdsCpuPercent: 80,
      rdsFreeableMemoryMb: 512,
      rdsFreeStorageGb: 10,
      rdsConnectionsPercentOfMax: 80,
      redisEngineCpuPercent: 80,
      redisEvictionsPerMinute: 100,
      redisCurrentConnections: 5000,
    },
    dashboard: true,
  },
  checks: {
    baseImage: "node:22.12.0-bookworm-slim",
    scheduleEnabled: true,
    scheduleMinutes: 5,
    cpu: 512,
    memoryMb: 1024,
    logRetentionDays: 30,
  },
  tags: {},
};

/** What production changes from the base: the rules in rules.ts demand these too. */
export const PRODUCTION_OVERRIDES = {
  redis: { replicas: 2, multiAz: true, automaticFailover: true, snapshotRetentionDays: 7 },
  postgres: { replicas: 2, multiAz: true, backupRetentionDays: 14, deletionProtection: true, maxConnections: 1000 },
  pgbouncer: { desiredCount: 2, minCount: 2, maxCount: 4, tls: { client: "require", server: "require" } },
} as const;

/** Self-managed nodes (docker, sandbox) have no TLS material or at-rest encryption of their own. */
export const DOCKER_OVERRIDES = {
  redis: { transitEncryption: false, atRestEncryption: false },
  pgbouncer: { tls: { client: "disable", server: "disable" } },
} as const;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Keys that are JavaScript object machinery, never settings. */
export const UNSAFE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Deep merge where arrays and scalars from `over` replace, objects merge. */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    // `__proto__` and friends would rewrite the prototype instead of adding a key; load.ts reports them.
    if (UNSAFE_KEYS.has(k)) continue;
    out[k] = Object.prototype.hasOwnProperty.call(out, k) ? deepMerge(out[k], v) : v;
  }
  return out as T;
}

/** The defaults for one environment and platform, before the stack's own values. */
export function profileFor(opts: { production: boolean; platform: unknown }): Profile {
  let p: Profile = structuredClone(BASE_PROFILE);
  if (opts.platform === "docker") p = deepMerge(p, DOCKER_OVERRIDES);
  if (opts.production) p = deepMerge(p, PRODUCTION_OVERRIDES);
  return p;
}

/**
 * How an isolated Redis master bounds the writes it accepts (min-replicas-to-write /
 * min-replicas-max-lag), explicit or derived. Derived: one replica must have acknowledged
 * within Sentinel's down-after (in whole seconds, at least 1), so a master cut off from
 * its replicas stops taking writes by the time Sentinel may promote another node, and a
 * stack without replicas (nothing to wait for) keeps taking writes. docs/redis.md has the
 * guarantee as measured by the `redis-master-freeze` drill.
 */
export function redisWriteSafety(r: {
  replicas: number;
  minReplicasToWrite?: number;
  minReplicasMaxLagSeconds?: number;
  sentinel: { downAfterMs: number };
}): { minReplicasToWrite: number; maxLagSeconds: number } {
  return {
    minReplicasToWrite: r.minReplicasToWrite ?? Math.min(1, r.replicas),
    maxLagSeconds: r.minReplicasMaxLagSeconds ?? Math.max(1, Math.floor(r.sentinel.downAfterMs / 1000)),
  };
}
