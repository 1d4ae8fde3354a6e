/**
 * What the example application reads from the data tier: the `application` output and its
 * secret `applicationCredentials` (contract version 3), nothing of the operator's. Pure:
 * a stack-outputs document in, driver options out.
 */
import { z } from "zod";
import { applicationCredentialsOutputs, applicationOutputs, CONTRACT_VERSION } from "../../components/contract/outputs";

const appDocument = z.object({
  contractVersion: z.literal(CONTRACT_VERSION),
  platform: z.enum(["aws", "docker", "sandbox"]),
  application: applicationOutputs,
  applicationCredentials: applicationCredentialsOutputs,
});

export interface PgTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  ssl: boolean;
}

export interface AppConfig {
  platform: "aws" | "docker" | "sandbox";
  redis: {
    /** Sentinel mode (docker, sandbox): ask these for the master, never trust a fixed address. */
    sentinels: { host: string; port: number }[];
    masterName: string | null;
    /** AWS: the primary endpoint follows failover (DNS); the reader endpoint spreads reads. */
    primary: { host: string; port: number };
    natMap?: Record<string, { host: string; port: number }>;
    username?: string;
    password: string;
    tls: boolean;
  };
  readWrite: PgTarget;
  readOnly: PgTarget;
}

/** Problems with the document, each naming the field and what was expected (never a value). */
export class AppConfigError extends Error {}

export function appConfig(doc: unknown, source: string): AppConfig {
  const version = typeof doc === "object" && doc !== null ? (doc as Record<string, unknown>).contractVersion : undefined;
  if (version !== CONTRACT_VERSION) throw new AppConfigError(`${source}: contractVersion is ${version === undefined ? "missing" : JSON.stringify(version)}; this application reads contract version ${CONTRACT_VERSION}`);
  const r = appDocument.safeParse(doc);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.code === "invalid_type" ? `expected ${i.expected}` : i.message}`);
    throw new AppConfigError(`${source} is not what this application needs (${lines.length} problem${lines.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
  }
  const { application: a, applicationCredentials: c, platform } = r.data;
  if (a.redis.sentinels.length > 0 && !a.redis.sentinelMasterName) throw new AppConfigError(`${source}: application.redis.sentinels are listed but application.redis.sentinelMasterName is null; expected the name Sentinel monitors the master under`);
  const pg = (conn: typeof a.readWrite, secret: typeof c.readWrite): PgTarget => ({ host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: secret.password, ssl: conn.tls });
  return {
    platform,
    redis: {
      sentinels: a.redis.sentinels,
      masterName: a.redis.sentinelMasterName,
      primary: a.redis.primary,
      natMap: a.redis.natMap,
      username: a.redis.user ?? undefined,
      password: c.redisPassword,
      tls: a.redis.tls,
    },
    readWrite: pg(a.readWrite, c.readWrite),
    readOnly: pg(a.readOnly, c.readOnly),
  };
}
