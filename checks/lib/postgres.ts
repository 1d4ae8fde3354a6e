/**
 * Postgres connections for checks (direct or through PgBouncer): a short connect
 * timeout, client- and server-side query timeouts, closed when the check ends or is
 * aborted. Errors name the endpoint and database, never a password.
 */
import { Client, escapeIdentifier } from "pg";
import type { StackOutputs } from "../../components/contract/outputs";
import type { CheckContext } from "../types";
import { connectReason, errorText } from "./measure";
import { connectDeadlineMs, type Address } from "./redis";

export interface PgTarget extends Address {
  database: string;
  user: string;
  password: string;
  tls: boolean;
  /** e.g. "Postgres primary", "PgBouncer read-write pool". */
  label: string;
  /**
   * PgBouncer refuses startup parameters it does not know (statement_timeout among
   * them): through it, only the client-side query timeout applies.
   */
  viaPgBouncer?: boolean;
}

const END_TIMEOUT_MS = 1_000;

/** How the suite's sessions are named (pg_stat_activity, PgBouncer SHOW CLIENTS). */
export const APPLICATION_NAME = "datatier-smoke";

/** Opens a connection, runs `fn`, always closes it. */
export async function withPg<T>(ctx: CheckContext, t: PgTarget, fn: (client: Client) => Promise<T>): Promise<T> {
  const where = `${t.label} at ${t.host}:${t.port}/${t.database}`;
  const connectTimeout = connectDeadlineMs(ctx);
  const queryTimeout = Math.max(1, ctx.timeoutMs);
  const client = new Client({
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    password: t.password,
    // Verified TLS: on RDS, NODE_EXTRA_CA_CERTS must point at the RDS CA bundle.
    ssl: t.tls ? { rejectUnauthorized: true, servername: t.host } : false,
    connectionTimeoutMillis: connectTimeout,
    query_timeout: queryTimeout,
    ...(t.viaPgBouncer ? {} : { statement_timeout: queryTimeout, lock_timeout: Math.min(queryTimeout, 2_000) }),
    application_name: APPLICATION_NAME,
  });
  client.on("error", () => undefined);
  const close = () => Promise.race([client.end().catch(() => undefined), new Promise((r) => setTimeout(r, END_TIMEOUT_MS).unref())]);
  const onAbort = () => void close();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const connecting = ctx.begin?.(`connecting to ${where}`);
  try {
    ctx.step?.(`connecting to ${where}`);
    try {
      // connectionTimeoutMillis runs until ReadyForQuery: TCP, TLS, login and the first answer.
      await client.connect();
    } catch (e) {
      const text = errorText(e);
      if (/timeout/i.test(text)) throw new Error(`timed out after ${connectTimeout} ms connecting to ${where}`);
      throw new Error(`cannot connect to ${where} as ${t.user}: ${connectReason(e)}`);
    } finally {
      connecting?.();
    }
    const waiting = ctx.begin?.(`waiting for ${where}`);
    ctx.step?.(`waiting for ${where}`);
    try {
      return await fn(client);
    } catch (e) {
      throw new Error(`${where}: ${errorText(e)}`);
    } finally {
      waiting?.();
    }
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    await close();
  }
}

/** The monitoring role on a Postgres server, direct. */
export function monitorTarget(outputs: StackOutputs, at: Address, label: string): PgTarget {
  return { host: at.host, port: at.port, database: outputs.postgres.database, user: outputs.postgres.monitoringUser, password: outputs.credentials.postgresMonitoringPassword, tls: outputs.postgres.tls, label };
}

/** `schema.table` or `table`, each part quoted. */
export function qualified(name: string): string {
  return name.split(".").map((p) => escapeIdentifier(p)).join(".");
}

/** SQLSTATE of a driver error, if any. */
export function sqlState(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}
