/**
 * The project's one Postgres client wrapper: the sandbox, the dev stack, the catalogue
 * reader and the smoke suite (checks/lib/postgres.ts adds the check context, connection
 * slots and messages on top) all open their connections here, so every one has a connect
 * deadline and a client-side query timeout and is closed within a bound.
 * tools/imports.test.ts fails when `new Client(` appears in production code anywhere else.
 */
import { Client } from "pg";

export interface PgEndpoint {
  /** A host name or address, or a Unix socket folder. */
  host: string;
  port?: number;
  user: string;
  password?: string;
  database: string;
}

export interface PgClientOptions {
  /** pg's connectionTimeoutMillis, which runs until ReadyForQuery: TCP, TLS, login and the first answer. */
  connectTimeoutMs: number;
  /** Client-side bound on every query (the only one that applies through PgBouncer). */
  queryTimeoutMs?: number;
  /** Server-side statement_timeout / lock_timeout startup parameters; PgBouncer refuses them. */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
  /** Verified TLS when true (on RDS, NODE_EXTRA_CA_CERTS must point at the RDS CA bundle); the driver's default when omitted. */
  tls?: boolean;
  /** How the session shows in pg_stat_activity and PgBouncer's SHOW CLIENTS. */
  applicationName?: string;
}

/** How long closing a connection may take before it is left to the socket's own end. */
export const END_TIMEOUT_MS = 1_000;

/** An unconnected client: the only place the project constructs one. */
export function openPg(t: PgEndpoint, o: PgClientOptions): Client {
  const c = new Client({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    ...(o.tls === undefined ? {} : { ssl: o.tls ? { rejectUnauthorized: true, servername: t.host } : false }),
    connectionTimeoutMillis: o.connectTimeoutMs,
    ...(o.queryTimeoutMs === undefined ? {} : { query_timeout: o.queryTimeoutMs }),
    ...(o.statementTimeoutMs === undefined ? {} : { statement_timeout: o.statementTimeoutMs }),
    ...(o.lockTimeoutMs === undefined ? {} : { lock_timeout: o.lockTimeoutMs }),
    ...(o.applicationName === undefined ? {} : { application_name: o.applicationName }),
  });
  // Errors surface through the call that failed; an unhandled "error" event would crash the process.
  c.on("error", () => undefined);
  return c;
}

/** Ends the session, waiting at most `ms` (a dead server never answers the Terminate). */
export function closePg(c: Client, ms = END_TIMEOUT_MS): Promise<unknown> {
  return Promise.race([c.end().catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);
}

/** Connects, runs `fn`, always closes. Driver errors pass through unchanged (callers read their SQLSTATE). */
export async function withPgSession<T>(t: PgEndpoint, o: PgClientOptions, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = openPg(t, o);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await closePg(c);
  }
}

export interface PgTarget extends PgEndpoint {
  port: number;
  password: string;
}

/** The sandbox's short-lived sessions: connect (at most 5 s) and every query bounded by `timeoutMs`. */
export function withPg<T>(t: PgTarget, fn: (c: Client) => Promise<T>, timeoutMs = 5000): Promise<T> {
  return withPgSession(t, { connectTimeoutMs: Math.min(timeoutMs, 5000), queryTimeoutMs: timeoutMs, applicationName: "datatier-sandbox" }, fn);
}
