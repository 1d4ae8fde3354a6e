/**
 * What the PgBouncer benchmark runs against: the sandbox (its outputs.json, in the
 * stack-output contract's shape) or, when no sandbox is up, a primary + PgBouncer it
 * starts itself from the same renderers in a temp dir. Loopback only, either way.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Client } from "pg";
import { startLocalPgBouncer } from "../../testing/pgbouncer";
import { PGBOUNCER_VERSION } from "../../components/pgbouncer/version";
import { parseStackOutputs } from "../../components/contract/outputs";
import { loadStackSettings } from "../../components/settings/stackFile";
import { assertLoopback } from "./pgbench";

export interface Login {
  user: string;
  password: string;
  /** Through PgBouncer, when it differs (the sandbox's application roles: issue 20). */
  pooledPassword?: string;
}

export interface BenchTarget {
  source: string;
  postgres: { host: string; port: number };
  pgbouncer: { host: string; port: number };
  /** Real database (direct runs) and PgBouncer's read-write pool (pooled runs). */
  database: string;
  readWriteDatabase: string;
  /** Role the bench runs as: must be able to create a schema in the database. */
  bench: Login;
  /** PgBouncer console login allowed SHOW CONFIG / SHOW POOLS. */
  console: Login;
  /** A direct connection to the primary that may read every row of pg_stat_activity. */
  sampler(): Promise<Client>;
  stop(): Promise<void>;
}

const TIMEOUTS = { connectionTimeoutMillis: 5000, query_timeout: 10_000 };

export function defaultOutputsFile(root: string): string {
  return join(root, ".sandbox", "dev", "outputs.json");
}

/**
 * The sandbox, from its outputs.json. The contract's credentials hold no role that may
 * create tables, so the bench role's password comes from BENCH_PGPASSWORD or from the
 * sandbox's state.json beside the outputs: `secrets.appServer` (the role's Postgres
 * password) for direct runs, `secrets.app` (PgBouncer's) for pooled ones.
 */
export function sandboxTarget(outputsPath: string): BenchTarget {
  const out = parseStackOutputs(JSON.parse(readFileSync(outputsPath, "utf8")), outputsPath);
  assertLoopback("postgres.primary.host", out.postgres.primary.host);
  assertLoopback("pgbouncer.endpoint.host", out.pgbouncer.endpoint.host);
  const statePath = join(dirname(outputsPath), "state.json");
  let benchPassword = process.env.BENCH_PGPASSWORD;
  let pooledPassword: string | undefined;
  if (!benchPassword && existsSync(statePath)) {
    const secrets = (JSON.parse(readFileSync(statePath, "utf8")) as { secrets?: { app?: string; appServer?: string } }).secrets;
    benchPassword = secrets?.appServer ?? secrets?.app;
    pooledPassword = secrets?.app;
  }
  if (!benchPassword) {
    throw new Error(`bench: no password for the bench role; set BENCH_PGPASSWORD (and BENCH_PGUSER) or keep the sandbox's state.json beside ${outputsPath}`);
  }
  const monitoring = { user: out.postgres.monitoringUser, password: out.credentials.postgresMonitoringPassword };
  return {
    source: `sandbox (${outputsPath})`,
    postgres: out.postgres.primary,
    pgbouncer: out.pgbouncer.endpoint,
    database: out.postgres.database,
    readWriteDatabase: out.pgbouncer.readWriteDatabase,
    bench: { user: process.env.BENCH_PGUSER ?? "app", password: benchPassword, ...(pooledPassword ? { pooledPassword } : {}) },
    console: { user: out.pgbouncer.statsUser, password: out.credentials.pgbouncerStatsPassword },
    async sampler() {
      const c = new Client({ host: out.postgres.primary.host, port: out.postgres.primary.port, database: out.postgres.database, ...monitoring, ...TIMEOUTS });
      c.on("error", () => undefined);
      await c.connect();
      return c;
    },
    stop: async () => undefined,
  };
}

/** A primary + PgBouncer of the dev settings, started here (temp dir, free ports). */
export async function localTarget(): Promise<BenchTarget> {
  const dev = loadStackSettings("dev");
  const rand = () => Math.random().toString(36).slice(2);
  const bench = { user: "app", password: `bench-${rand()}${rand()}` };
  const statsPassword = `stats-${rand()}${rand()}`;
  const local = await startLocalPgBouncer({
    settings: dev.pgbouncer,
    maxConnections: dev.postgres.maxConnections,
    database: dev.postgres.databaseName,
    appUser: { name: bench.user, password: bench.password },
    adminPassword: `admin-${rand()}${rand()}`,
    statsPassword,
  });
  return {
    source: `local primary + PgBouncer ${PGBOUNCER_VERSION} from the dev settings (${local.root})`,
    postgres: { host: "127.0.0.1", port: local.primaryPort },
    pgbouncer: { host: "127.0.0.1", port: local.pgbouncerPort },
    database: dev.postgres.databaseName,
    readWriteDatabase: dev.postgres.databaseName,
    bench,
    console: { user: dev.pgbouncer.statsUser, password: statsPassword },
    sampler: () => local.superuser(dev.postgres.databaseName),
    stop: () => local.stop(),
  };
}
