/**
 * The stack-output contract: what every realization (aws, docker, sandbox) exports,
 * in one shape, so the smoke suite reads the contract and nothing else.
 *
 * Secrets live in two outputs, both exported as Pulumi secrets (masked by
 * `pulumi stack output --json` unless `--show-secrets`): `credentials`, the operator's
 * (monitoring, PgBouncer admin and stats passwords: the smoke suite's, never an
 * application's), and `applicationCredentials`, the application roles' (read-write and
 * read-only through PgBouncer's pools, and the Redis AUTH password). Everything else is
 * plain and safe to print; `application` is the plain half an application stack reads
 * (connection details and, on AWS, the ARNs of the secrets and of the read policy).
 *
 * Version 2 (from 1): `credentials.redisPassword` moved to
 * `applicationCredentials.redisPassword`; `application`, `applicationCredentials` and
 * `checks` (the in-VPC checks task) are new.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { THRESHOLD_KEYS } from "../thresholds/thresholds";

export const CONTRACT_VERSION = 2;

/** A DNS name (RFC 1123 labels; "_" too, as container names use it), at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * Whether `s` names a host the suite may connect to: a host name, an IPv4 address or an
 * IPv6 address (bare). Never a URL, never userinfo (`user:password@`), never a path,
 * port, space or control character: the value is printed in reports and used to connect.
 */
export function isHostOrAddress(s: string): boolean {
  return HOST_NAME.test(s) || isIP(s) !== 0;
}

const host = z.string().refine(isHostOrAddress, { message: "expected a host name, an IPv4 or an IPv6 address (no URL, credentials, port, path, spaces or control characters)" });
export const endpoint = z.strictObject({
  host,
  port: z.int().min(1).max(65535),
});
export type Endpoint = z.infer<typeof endpoint>;

/** Most endpoints of one kind a stack exports (ElastiCache: 1 + 5 replicas per shard; RDS: 15 replicas): bounds the suite's work. */
export const MAX_ENDPOINTS = 64;
const endpointList = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_ENDPOINTS);
/** Names of nodes and replicas: ElastiCache / RDS ids and local process names. */
const endpointName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { message: "expected an id of letters, digits, \".\", \"_\", \":\" or \"-\" (at most 128)" });

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
  readers: endpointList(endpoint),
  /** Every data node, named (ElastiCache member cluster ids, or local node names). */
  nodes: endpointList(endpoint.extend({ name: endpointName })),
  /** Sentinels (local realizations); empty on AWS. */
  sentinels: endpointList(endpoint),
  /** Name Sentinel monitors the master under; null on AWS. */
  sentinelMasterName: z.string().nullable(),
  /** Replicas the topology is meant to have, per shard. */
  expectedReplicas: z.int().min(0),
  /**
   * Docker: "host:port" as Sentinel and the replicas announce a node inside the container
   * network -> the endpoint a client on the host reaches it at (ioredis natMap). Absent
   * where announced addresses are reachable as they are (aws, sandbox).
   */
  natMap: z.record(z.string().min(1), endpoint).optional(),
  tls: z.boolean(),
  /** Whether AUTH is required (the password is in `applicationCredentials.redisPassword`). */
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
  replicas: endpointList(endpoint.extend({ id: endpointName })),
  database: z.string().min(1),
  /** Role with pg_monitor used by the smoke suite (password in credentials). */
  monitoringUser: z.string().min(1),
  /** Whether the server demands TLS. */
  tls: z.boolean(),
  partitionPairs: z.array(z.strictObject({ legacy: z.string(), partitioned: z.string(), timestampColumn: z.string() })),
  /**
   * How the partition checks judge (components/settings/partitionChecks.ts): the window of
   * the gate's row parity, and the age past which a reconcile result is stale. Optional:
   * outputs written before it existed get the defaults.
   */
  partitionChecks: z.strictObject({ windowSeconds: z.int().min(1), reconcileMaxAgeSeconds: z.int().min(1) }).optional(),
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
      /**
       * Docker: "host:port" of a server as the pools name it inside the container network ->
       * where a client on the host reaches it. Absent where the pools' addresses are the host's.
       */
      natMap: z.record(z.string().min(1), endpoint).optional(),
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

/**
 * The smoke suite as a task inside the VPC (AWS): what `npm run check -- --stack <s> --in-vpc`
 * starts with ECS RunTask, and what the schedule runs with --publish-metrics; null off AWS.
 */
export const checksOutputs = z.strictObject({
  aws: z
    .strictObject({
      clusterName: z.string().min(1),
      taskDefinitionArn: z.string().min(1),
      containerName: z.string().min(1),
      subnetIds: z.array(z.string().min(1)).min(1),
      securityGroupId: z.string().min(1),
      /** awslogs group and stream prefix: the stream is `<prefix>/<container>/<task id>`. */
      logGroupName: z.string().min(1),
      logStreamPrefix: z.string().min(1),
      /** EventBridge Scheduler schedule running the checks every `checks.scheduleMinutes`; null with `checks.scheduleEnabled: false`. */
      scheduleName: z.string().min(1).nullable(),
      /** Minutes between scheduled runs (the monitor alarm's period); null without a schedule. */
      scheduleMinutes: z.int().min(1).nullable(),
    })
    .nullable(),
});

/** Operator-only secrets: the smoke suite's logins. No application is given these. */
export const credentialsOutputs = z.strictObject({
  postgresMonitoringPassword: z.string().min(1),
  pgbouncerAdminPassword: z.string().min(1),
  pgbouncerStatsPassword: z.string().min(1),
});

/** How an application role connects: through PgBouncer's pool, never to PostgreSQL directly. */
const applicationConnection = z.strictObject({
  host,
  port: endpoint.shape.port,
  /** The PgBouncer pool: the database name the client asks for. */
  database: z.string().min(1),
  user: z.string().min(1),
  /** Whether PgBouncer offers TLS to clients (pgbouncer.tls.client is not "disable"). */
  tls: z.boolean(),
});

/**
 * Where an application reads the switchover flags (components/flags): the AppConfig
 * feature-flag document, from AppConfig on AWS, from a file locally; the same JSON either way.
 */
export const flagsOutputs = z.strictObject({
  /** The document's format: an AppConfig feature-flag profile. */
  profileType: z.literal("AWS.AppConfig.FeatureFlags"),
  /** Local (docker, sandbox): the document's absolute path; null on AWS. */
  file: z.string().min(1).nullable(),
  /** AWS: what an application's AppConfig Agent or GetLatestConfiguration names, and what the rollout deploys with; null locally. */
  appconfig: z
    .strictObject({
      applicationId: z.string().min(1),
      environmentId: z.string().min(1),
      configurationProfileId: z.string().min(1),
      /** Phase name (and "rollback") -> deployment strategy id. */
      deploymentStrategyIds: z.record(z.string().min(1), z.string().min(1)),
      /** The composite alarm (any critical alarm) the environment monitors. */
      monitorAlarmName: z.string().min(1),
    })
    .nullable(),
});
export type FlagsOutputs = z.infer<typeof flagsOutputs>;

/** The plain half of what an application needs; the passwords are in `applicationCredentials`. */
export const applicationOutputs = z.strictObject({
  /** The read-write role on the pool that routes to the primary. */
  readWrite: applicationConnection,
  /** The read-only role on the pool that routes over the replicas. */
  readOnly: applicationConnection,
  redis: z.strictObject({
    primary: endpoint,
    readers: z.array(endpoint),
    tls: z.boolean(),
    authRequired: z.boolean(),
  }),
  /** Where the switchover flags are read (components/flags). Optional: outputs written before it existed have none. */
  flags: flagsOutputs.optional(),
  /** Secrets Manager ARNs an application task reads its credentials from, and the policy that allows exactly that; null off AWS. */
  aws: z
    .strictObject({
      readWriteSecretArn: z.string().min(1),
      readOnlySecretArn: z.string().min(1),
      redisAuthTokenSecretArn: z.string().min(1),
      /** Managed IAM policy: secretsmanager:GetSecretValue on exactly the three secrets above (+ kms:Decrypt via Secrets Manager where a CMK encrypts them). */
      readPolicyArn: z.string().min(1),
    })
    .nullable(),
});

/** An application role's secret, in the JSON shape of an RDS secret (and of the Secrets Manager secret on AWS). */
export const applicationRoleSecret = z.strictObject({
  engine: z.literal("postgres"),
  host,
  port: endpoint.shape.port,
  /** The PgBouncer pool. */
  dbname: z.string().min(1),
  username: z.string().min(1),
  password: z.string().min(1),
});

/** Application secrets: what an application may hold, and nothing of the operator's. */
export const applicationCredentialsOutputs = z.strictObject({
  readWrite: applicationRoleSecret,
  readOnly: applicationRoleSecret,
  /** Redis AUTH password (the ElastiCache auth token on AWS). */
  redisPassword: z.string().min(1),
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
  /** What an application reads (plain). */
  application: applicationOutputs,
  /** The in-VPC checks task and its schedule (plain). */
  checks: checksOutputs,
  /** Secret output: the operator's passwords. */
  credentials: credentialsOutputs,
  /** Secret output: the application roles' and the Redis AUTH password. */
  applicationCredentials: applicationCredentialsOutputs,
});

export type StackOutputs = z.infer<typeof stackOutputs>;
export type RedisOutputs = z.infer<typeof redisOutputs>;
export type PostgresOutputs = z.infer<typeof postgresOutputs>;
export type PgBouncerOutputs = z.infer<typeof pgbouncerOutputs>;
export type AlarmOutputs = z.infer<typeof alarmOutputs>;
export type Credentials = z.infer<typeof credentialsOutputs>;
export type ApplicationOutputs = z.infer<typeof applicationOutputs>;
export type ChecksOutputs = z.infer<typeof checksOutputs>;
export type ApplicationRoleSecret = z.infer<typeof applicationRoleSecret>;
export type ApplicationCredentials = z.infer<typeof applicationCredentialsOutputs>;

/** Names of outputs that must be exported as Pulumi secrets. */
export const SECRET_OUTPUT_KEYS = ["credentials", "applicationCredentials"] as const;

/** Every password in the secret outputs (what a redactor removes); host names and users stay readable. */
export function secretValues(outputs: Pick<StackOutputs, "credentials" | "applicationCredentials">): string[] {
  const a = outputs.applicationCredentials;
  return [...Object.values(outputs.credentials), a.redisPassword, a.readWrite.password, a.readOnly.password];
}

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
  const masked = (value === "[secret]" ? [...SECRET_OUTPUT_KEYS] : SECRET_OUTPUT_KEYS.filter((k) => typeof value === "object" && value !== null && (value as Record<string, unknown>)[k] === "[secret]"));
  if (masked.length > 0) {
    throw new ContractError(masked.map((field) => ({ field, message: 'is masked as "[secret]"; read outputs with `pulumi stack output --json --show-secrets`' })), source);
  }
  // Another version's document differs in many fields; the one problem worth naming is the version.
  const version = typeof value === "object" && value !== null ? (value as Record<string, unknown>).contractVersion : undefined;
  if (version !== undefined && version !== CONTRACT_VERSION) {
    const got = typeof version === "number" ? `version ${version}` : `a ${typeof version}`;
    throw new ContractError([{ field: "contractVersion", message: `is ${got}; this code reads contract version ${CONTRACT_VERSION} (README, "The stack-output contract", lists what changed)` }], source);
  }
  return parseWith(stackOutputs, value, source);
}

/** The part of the outputs an application stack reads: plain only (it takes its secrets by ARN). */
export const applicationView = stackOutputs.pick({ contractVersion: true, environment: true, platform: true, region: true, application: true });
export type ApplicationView = z.infer<typeof applicationView>;

/** Validates what an application reads from the tier (a StackReference's outputs), with the contract's messages. */
export function parseApplicationView(value: unknown, source: string): ApplicationView {
  const version = typeof value === "object" && value !== null ? (value as Record<string, unknown>).contractVersion : undefined;
  if (version !== CONTRACT_VERSION) {
    const got = version === undefined ? "missing" : typeof version === "number" ? `version ${version}` : `a ${typeof version}`;
    throw new ContractError([{ field: "contractVersion", message: `is ${got}; this code reads contract version ${CONTRACT_VERSION} (README, "The stack-output contract", lists what changed)` }], source);
  }
  return parseWith(applicationView, value, source);
}

function parseWith<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const r = schema.safeParse(value);
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
