/**
 * The stack-output contract: what every realization (aws, docker, sandbox) exports,
 * in one shape, so the smoke suite reads the contract and nothing else.
 *
 * Secrets live in exactly one output, `credentials`, exported as a Pulumi secret
 * (masked by `pulumi stack output --json` unless `--show-secrets`); everything else
 * is plain and safe to print.
 */
import { z } from "zod";
import { THRESHOLD_KEYS } from "../thresholds/thresholds";

export const CONTRACT_VERSION = 1;

const host = z.string().min(1, { message: "expected a host name or address" });
export const endpoint = z.strictObject({
  host,
  port: z.int().min(1).max(65535),
});
export type Endpoint = z.infer<typeof endpoint>;

const thresholdOut = z.strictObject({
  warning: z.number(),
  critical: z.number(),
  unit: z.enum(["count", "percent", "seconds", "milliseconds"]),
  comparison: z.enum(["greaterThan", "lessThan"]),
});

export const redisOutputs = z.strictObject({
  /** Where writes go: ElastiCache primary endpoint, or the master at deploy time (Sentinel may move it). */
  primary: endpoint,
  /** Read endpoints: ElastiCache reader endpoint, or each replica node locally. */
  readers: z.array(endpoint),
  /** Every data node, named (ElastiCache member cluster ids, or local node names). */
  nodes: z.array(endpoint.extend({ name: z.string().min(1) })),
  /** Sentinels (local realizations); empty on AWS. */
  sentinels: z.array(endpoint),
  /** Name Sentinel monitors the master under; null on AWS. */
  sentinelMasterName: z.string().nullable(),
  /** Replicas the topology is meant to have, per shard. */
  expectedReplicas: z.int().min(0),
  tls: z.boolean(),
  /** Whether AUTH is required (the password is in `credentials.redisPassword`). */
  authRequired: z.boolean(),
  aws: z
    .strictObject({
      replicationGroupId: z.string().min(1),
      authTokenSecretArn: z.string().min(1),
    })
    .nullable(),
});

export const postgresOutputs = z.strictObject({
  primary: endpoint,
  replicas: z.array(endpoint.extend({ id: z.string().min(1) })),
  database: z.string().min(1),
  /** Role with pg_monitor used by the smoke suite (password in credentials). */
  monitoringUser: z.string().min(1),
  /** Whether the server demands TLS. */
  tls: z.boolean(),
  partitionPairs: z.array(z.strictObject({ legacy: z.string(), partitioned: z.string(), timestampColumn: z.string() })),
  aws: z
    .strictObject({
      primaryInstanceId: z.string().min(1),
      replicaInstanceIds: z.array(z.string().min(1)),
      masterSecretArn: z.string().min(1),
    })
    .nullable(),
});

export const pgbouncerOutputs = z.strictObject({
  endpoint,
  /** Pool that routes to the primary. */
  readWriteDatabase: z.string().min(1),
  /** Pool that routes to the read replicas. */
  readOnlyDatabase: z.string().min(1),
  adminUser: z.string().min(1),
  statsUser: z.string().min(1),
  /** Expected configuration, compared with SHOW CONFIG. */
  poolMode: z.enum(["session", "transaction", "statement"]),
  maxClientConn: z.int().min(1),
  defaultPoolSize: z.int().min(1),
  maxWaitingClients: z.int().min(0),
  /**
   * The read router beside PgBouncer (components/readrouting); null or absent when none
   * runs. Its state: a file locally, CloudWatch metrics in `metricNamespace` on AWS.
   */
  readRouting: z
    .strictObject({
      intervalMs: z.int().min(1),
      stateFile: z.string().min(1).nullable(),
      metricNamespace: z.string().min(1).nullable(),
    })
    .nullable()
    .optional(),
  aws: z
    .strictObject({
      clusterName: z.string().min(1),
      serviceName: z.string().min(1),
      targetGroupArn: z.string().min(1),
      loadBalancerArn: z.string().min(1),
      desiredCount: z.int().min(1),
    })
    .nullable(),
});

export const alarmOutputs = z.strictObject({
  /** Namespace of the custom metrics (partition delta, invalidation failures, client GET time). */
  customMetricNamespace: z.string().min(1),
  warningTopicArn: z.string().nullable(),
  criticalTopicArn: z.string().nullable(),
  /** Every alarm the stack created (empty off AWS). */
  alarmNames: z.array(z.string()),
});

export const credentialsOutputs = z.strictObject({
  redisPassword: z.string().min(1),
  postgresMonitoringPassword: z.string().min(1),
  pgbouncerAdminPassword: z.string().min(1),
  pgbouncerStatsPassword: z.string().min(1),
});

export const stackOutputs = z.strictObject({
  contractVersion: z.literal(CONTRACT_VERSION),
  environment: z.string().min(1),
  production: z.boolean(),
  platform: z.enum(["aws", "docker", "sandbox"]),
  region: z.string().nullable(),
  /** Effective thresholds (documented table plus the stack's overrides). */
  thresholds: z.strictObject(Object.fromEntries(THRESHOLD_KEYS.map((k) => [k, thresholdOut])) as Record<(typeof THRESHOLD_KEYS)[number], typeof thresholdOut>),
  redis: redisOutputs,
  postgres: postgresOutputs,
  pgbouncer: pgbouncerOutputs,
  alarms: alarmOutputs,
  /** The only secret output. */
  credentials: credentialsOutputs,
});

export type StackOutputs = z.infer<typeof stackOutputs>;
export type RedisOutputs = z.infer<typeof redisOutputs>;
export type PostgresOutputs = z.infer<typeof postgresOutputs>;
export type PgBouncerOutputs = z.infer<typeof pgbouncerOutputs>;
export type AlarmOutputs = z.infer<typeof alarmOutputs>;
export type Credentials = z.infer<typeof credentialsOutputs>;

/** Names of outputs that must be exported as Pulumi secrets. */
export const SECRET_OUTPUT_KEYS = ["credentials"] as const;

export class ContractError extends Error {
  constructor(
    readonly problems: { field: string; message: string }[],
    readonly source: string,
  ) {
    super(`Stack outputs from ${source} do not match the contract (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join("\n")}`);
    this.name = "ContractError";
  }
}

/**
 * Validates outputs against the contract. Messages name the field but never echo
 * a value: a malformed credentials block must not leak into a CI log.
 */
export function parseStackOutputs(value: unknown, source: string): StackOutputs {
  if (value === "[secret]" || (typeof value === "object" && value !== null && (value as Record<string, unknown>).credentials === "[secret]")) {
    throw new ContractError([{ field: "credentials", message: 'is masked as "[secret]"; read outputs with `pulumi stack output --json --show-secrets`' }], source);
  }
  const r = stackOutputs.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({
    field: i.path.map((p, n) => (typeof p === "number" ? `[${p}]` : `${n ? "." : ""}${String(p)}`)).join("") || "(root)",
    message: i.code === "invalid_type" && (i as { input?: unknown }).input === undefined ? `is missing (expected ${i.expected})` : i.code === "unrecognized_keys" ? `unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.join(", ")}` : i.message,
  }));
  throw new ContractError(problems, source);
}

/** Effective thresholds in the contract's shape, from resolved settings. */
export function thresholdsForOutputs(
  resolved: Record<(typeof THRESHOLD_KEYS)[number], { warning: number; critical: number; unit: string; comparison: string }>,
): StackOutputs["thresholds"] {
  return Object.fromEntries(
    THRESHOLD_KEYS.map((k) => [k, { warning: resolved[k].warning, critical: resolved[k].critical, unit: resolved[k].unit, comparison: resolved[k].comparison }]),
  ) as StackOutputs["thresholds"];
}
