/**
 * The read router's Postgres sessions (primary, replicas, the PgBouncer console): the one
 * client wrapper (components/clients/postgres.ts) with the router's connect timeout and a
 * bound on every query, closed when done; errors name the server and never a password.
 * It lives in components/ (not checks/lib, which the smoke suite's sessions use) because
 * the package ships components/ only: the library imports nothing it does not ship.
 */
import type { Client } from "pg";
import { connectReason, errorText } from "../clients/errors";
import { closePg, openPg, type PgEndpoint } from "../clients/postgres";

export interface RouterTarget extends PgEndpoint {
  port: number;
  password: string;
  tls: boolean;
  /** e.g. "primary", a replica's name, "PgBouncer console". */
  label: string;
  /** PgBouncer refuses startup parameters it does not know (statement_timeout among them). */
  viaPgBouncer?: boolean;
}

/** How the router's sessions show in pg_stat_activity and SHOW CLIENTS. */
export const ROUTER_APPLICATION_NAME = "datatier-readrouter";

/** Connects within `connectTimeoutMs`, runs `fn` (each query within `queryTimeoutMs`), always closes. */
export async function withRouterPg<T>(t: RouterTarget, timeouts: { connectTimeoutMs: number; queryTimeoutMs: number }, fn: (c: Client) => Promise<T>): Promise<T> {
  const where = `${t.label} at ${t.host}:${t.port}/${t.database}`;
  const { connectTimeoutMs, queryTimeoutMs } = timeouts;
  const client = openPg(t, { tls: t.tls, connectTimeoutMs, queryTimeoutMs, ...(t.viaPgBouncer ? {} : { statementTimeoutMs: queryTimeoutMs }), applicationName: ROUTER_APPLICATION_NAME });
  try {
    try {
      await client.connect();
    } catch (e) {
      if (/timeout/i.test(errorText(e))) throw new Error(`timed out after ${connectTimeoutMs} ms connecting to ${where}`);
      throw new Error(`cannot connect to ${where} as ${t.user}: ${connectReason(e)}`);
    }
    try {
      return await fn(client);
    } catch (e) {
      throw new Error(`${where}: ${errorText(e)}`);
    }
  } finally {
    await closePg(client);
  }
}
