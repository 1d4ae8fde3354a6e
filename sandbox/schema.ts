/**
 * SQL the sandbox runs on its primary, as pure functions: the roles, and a demo schema
 * in which each `postgres.partitionPairs` pair exists for real (a legacy table and its
 * partitioned-by-month twin, kept in step by dual-write triggers on the legacy table),
 * with rows spread over recent months so the partition checks judge real data.
 */
import { escapeIdentifier, escapeLiteral } from "pg";
import { APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS, APP_ROLE_STATEMENT_TIMEOUT_MS } from "../components/postgres/appRoleDefaults";
import { scramVerifier } from "../components/postgres/scram";
import type { Settings } from "../components/settings/schema";

/**
 * Role names, as in components/postgres/roles.ts DEFAULT_ROLE_NAMES (a unit test holds
 * them equal; importing that module would load the Pulumi SDK into every CLI call).
 */
export const SANDBOX_ROLES = {
  app: "app",
  readonly: "app_readonly",
  monitoring: "datatier_monitor",
  replication: "replicator",
} as const;

export interface RolePasswords {
  replication: string;
  app: string;
  readonly: string;
  monitoring: string;
  pgbouncerAdmin: string;
  pgbouncerStats: string;
}

const MAX_IDENT = 63;

function ident(name: string, what: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`${what}: "${name}" is not a lower-case SQL identifier`);
  if (name.length > MAX_IDENT) throw new Error(`${what}: "${name}" is longer than PostgreSQL's ${MAX_IDENT} characters`);
  return escapeIdentifier(name);
}

/**
 * Roles and the database. Each password travels as its SCRAM-SHA-256 verifier, computed
 * here: the plain text never reaches the server, so neither pg_stat_statements (which
 * the monitoring role reads) nor a statement log can hold it, whatever their settings.
 */
export function rolesSql(s: Settings, pw: RolePasswords): string[] {
  const r = SANDBOX_ROLES;
  const db = ident(s.postgres.databaseName, "postgres.databaseName");
  const role = (name: string, password: string, extra: string) => `CREATE ROLE ${ident(name, "role")} ${extra} PASSWORD ${escapeLiteral(scramVerifier(password))}`;
  return [
    role(r.replication, pw.replication, "LOGIN REPLICATION"),
    role(r.app, pw.app, "LOGIN"),
    role(r.readonly, pw.readonly, "LOGIN"),
    // pg_monitor for the pg_stat_* views; the read-only role for the partition row counts.
    role(r.monitoring, pw.monitoring, `LOGIN IN ROLE pg_monitor, ${ident(r.readonly, "role")}`),
    // PgBouncer's console users exist in Postgres only to hold the SCRAM verifier its userlist copies.
    role(s.pgbouncer.adminUser, pw.pgbouncerAdmin, "NOLOGIN"),
    role(s.pgbouncer.statsUser, pw.pgbouncerStats, "NOLOGIN"),
    ...[r.app, r.readonly].flatMap((name) => [
      `ALTER ROLE ${ident(name, "role")} SET statement_timeout = ${APP_ROLE_STATEMENT_TIMEOUT_MS}`,
      `ALTER ROLE ${ident(name, "role")} SET idle_in_transaction_session_timeout = ${APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
    ]),
    // Owned by the superuser, as on docker (POSTGRES_DB) and RDS (the master user): an owner
    // `app` could ALTER DATABASE for every role (statement_timeout = 1ms, CONNECTION LIMIT 0),
    // shown with the contract's credentials through the pool (issue 20).
    `CREATE DATABASE ${db}`,
  ];
}

/**
 * The application's privileges on its database, run in that database as the superuser:
 * what components/postgres/roles.ts grants on docker and AWS (CONNECT per role, TEMPORARY
 * and schema public's CREATE for `app`, which owns its tables).
 */
export function databaseGrantsSql(s: Settings): string[] {
  const r = SANDBOX_ROLES;
  const db = ident(s.postgres.databaseName, "postgres.databaseName");
  const [app, ro, mon] = [r.app, r.readonly, r.monitoring].map((n) => ident(n, "role"));
  return [`GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${app}`, `GRANT CONNECT ON DATABASE ${db} TO ${ro}, ${mon}`, `GRANT USAGE, CREATE ON SCHEMA public TO ${app}`];
}

/** First day (UTC) of the month `offset` months from `now`'s month. */
export function monthStart(now: Date, offset: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Monthly partitions from `back` months ago to `ahead` months ahead, inclusive. */
export function monthlyPartitions(partitioned: string, now: Date, back = 6, ahead = 2): { name: string; from: string; to: string }[] {
  const out = [];
  for (let m = -back; m <= ahead; m++) {
    const from = monthStart(now, m);
    const to = monthStart(now, m + 1);
    const name = `${partitioned}_y${from.getUTCFullYear()}m${String(from.getUTCMonth() + 1).padStart(2, "0")}`;
    out.push({ name, from: day(from), to: day(to) });
  }
  return out;
}

/**
 * The timestamp indexes the partition checks rely on (partition.indexes.* verifies
 * them): one on the legacy table, one on the partitioned twin, which PostgreSQL creates
 * on every partition, present and future.
 */
export function timestampIndexSql(pair: Settings["postgres"]["partitionPairs"][number]): string[] {
  const ts = ident(pair.timestampColumn, "postgres.partitionPairs.timestampColumn");
  return [
    `CREATE INDEX IF NOT EXISTS ${ident(`${pair.legacy}_${pair.timestampColumn}_idx`.slice(0, MAX_IDENT), "index name")} ON ${ident(pair.legacy, "postgres.partitionPairs.legacy")} (${ts})`,
    `CREATE INDEX IF NOT EXISTS ${ident(`${pair.partitioned}_${pair.timestampColumn}_idx`.slice(0, MAX_IDENT), "index name")} ON ${ident(pair.partitioned, "postgres.partitionPairs.partitioned")} (${ts})`,
  ];
}

export interface DemoSchemaOptions {
  /** Reference time for the partitions and the seed rows. */
  now: Date;
  /** Rows per pair, spread over the last months. @default 600 */
  rows?: number;
}

/**
 * The demo schema, run on the application database as the application role (so it
 * owns the tables), then the read-only grants.
 */
export function demoSchemaSql(s: Settings, o: DemoSchemaOptions): string[] {
  const rows = o.rows ?? 600;
  const out: string[] = [];
  for (const pair of s.postgres.partitionPairs) {
    const legacy = ident(pair.legacy, "postgres.partitionPairs.legacy");
    const part = ident(pair.partitioned, "postgres.partitionPairs.partitioned");
    const ts = ident(pair.timestampColumn, "postgres.partitionPairs.timestampColumn");
    const fn = ident(`${pair.legacy}_dual_write`, "dual-write function name");
    const columns = `organization_id bigint NOT NULL, amount_cents bigint NOT NULL, currency char(3) NOT NULL DEFAULT 'USD', description text, ${ts} timestamptz NOT NULL DEFAULT now()`;
    out.push(`CREATE TABLE ${legacy} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ${columns})`);
    // The partition key must be part of the primary key of a partitioned table.
    out.push(`CREATE TABLE ${part} (id bigint NOT NULL, ${columns}, PRIMARY KEY (id, ${ts})) PARTITION BY RANGE (${ts})`);
    for (const p of monthlyPartitions(pair.partitioned, o.now)) {
      out.push(`CREATE TABLE ${ident(p.name, "partition name")} PARTITION OF ${part} FOR VALUES FROM (${escapeLiteral(p.from)}) TO (${escapeLiteral(p.to)})`);
    }
    out.push(`CREATE TABLE ${ident(`${pair.partitioned}_default`, "partition name")} PARTITION OF ${part} DEFAULT`);
    out.push(...timestampIndexSql(pair));
    // Dual write: every change to the legacy table is mirrored in the same transaction.
    out.push(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO ${part} (id, organization_id, amount_cents, currency, description, ${ts})
    VALUES (NEW.id, NEW.organization_id, NEW.amount_cents, NEW.currency, NEW.description, NEW.${ts});
  ELSIF TG_OP = 'UPDATE' THEN
    UPDATE ${part} SET id = NEW.id, organization_id = NEW.organization_id, amount_cents = NEW.amount_cents,
      currency = NEW.currency, description = NEW.description, ${ts} = NEW.${ts}
    WHERE id = OLD.id AND ${ts} = OLD.${ts};
  ELSE
    DELETE FROM ${part} WHERE id = OLD.id AND ${ts} = OLD.${ts};
  END IF;
  RETURN NULL;
END
$fn$`);
    out.push(`CREATE TRIGGER ${fn} AFTER INSERT OR UPDATE OR DELETE ON ${legacy} FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    // Rows over the last ~5 months, the newest a few seconds old, so "recent writes" has data.
    out.push(
      `INSERT INTO ${legacy} (organization_id, amount_cents, currency, description, ${ts}) ` +
        `SELECT 1 + (i % 50), 100 + (i * 37) % 100000, (ARRAY['USD','EUR','GBP'])[1 + i % 3], 'demo row ' || i, ` +
        `now() - make_interval(secs => i * ${Math.max(1, Math.floor((150 * 86_400) / rows))}) FROM generate_series(0, ${rows - 1}) AS i`,
    );
    // Planner statistics from the start: partition.size-estimate.* judges reltuples.
    out.push(`ANALYZE ${legacy}`, `ANALYZE ${part}`);
  }
  const ro = ident(SANDBOX_ROLES.readonly, "role");
  out.push(`GRANT USAGE ON SCHEMA public TO ${ro}`);
  out.push(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${ro}`);
  out.push(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${ro}`);
  // Sequences as components/postgres/roles.ts grants them (ALL TABLES does not cover them).
  out.push(`GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${ro}`);
  out.push(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO ${ro}`);
  return out;
}

/**
 * One fresh demo row per partition pair, written to the legacy table so the dual-write
 * trigger mirrors it: `up` on a reused sandbox runs this, so recent-writes judges a
 * row seconds old rather than the bring-up's (which ages past the window in an hour).
 */
export function freshDemoRowsSql(s: Settings): string[] {
  return s.postgres.partitionPairs.map((pair) => {
    const legacy = ident(pair.legacy, "postgres.partitionPairs.legacy");
    const ts = ident(pair.timestampColumn, "postgres.partitionPairs.timestampColumn");
    return `INSERT INTO ${legacy} (organization_id, amount_cents, currency, description, ${ts}) VALUES (1, 100, 'USD', 'demo row (sandbox up)', now())`;
  });
}
