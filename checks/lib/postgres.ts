/**
 * Postgres connections for checks (direct or through PgBouncer): the one client wrapper
 * (components/clients/postgres.ts) with a short connect timeout, client- and server-side
 * query timeouts, at most a few sessions per server, closed when the check ends or is
 * aborted. Errors name the endpoint and database, never a password.
 */
import { escapeIdentifier, type Client } from "pg";
import { closePg, openPg } from "../../components/clients/postgres";
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

/** How the suite's sessions are named (pg_stat_activity, PgBouncer SHOW CLIENTS). */
export const APPLICATION_NAME = "datatier-smoke";

/**
 * Connections the suite holds at once to one server. Checks multiply with the topology
 * (seven per partition pair, one heartbeat write on the primary per replica), and all
 * run concurrently: without a cap, 50 pairs would open 350 sessions on the primary and
 * crowd out the application. Waiting for a slot counts against the check's own timeout.
 */
export const MAX_CONNECTIONS_PER_SERVER = 6;
/**
 * The same cap for a PgBouncer endpoint: its client slots (max_client_conn, 1000) are not
 * what the application runs short of, and its server side is bounded by the pool anyway.
 * Every PgBouncer check must get a slot at once, or a silent PgBouncer makes the last ones
 * wait for a slot first and miss the connect deadline they are judged by.
 */
export const MAX_CONNECTIONS_PER_PGBOUNCER = 12;

const slots = new Map<string, { busy: number; waiting: (() => void)[] }>();

/** Takes one of the server's slots (or rejects when `signal` aborts first); resolves to its release. */
export async function acquireSlot(key: string, signal: AbortSignal, limit = MAX_CONNECTIONS_PER_SERVER): Promise<() => void> {
  let s = slots.get(key);
  if (!s) slots.set(key, (s = { busy: 0, waiting: [] }));
  const server = s;
  const release = () => {
    server.busy--;
    server.waiting.shift()?.();
  };
  if (server.busy < limit) {
    server.busy++;
    return release;
  }
  await new Promise<void>((resolve, reject) => {
    const go = () => {
      signal.removeEventListener("abort", onAbort);
      server.busy++;
      resolve();
    };
    const onAbort = () => {
      const i = server.waiting.indexOf(go);
      if (i >= 0) server.waiting.splice(i, 1);
      reject(new Error(`aborted while waiting for one of the ${limit} connection slots to ${key}`));
    };
    if (signal.aborted) return onAbort();
    server.waiting.push(go);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return release;
}

/**
 * Opens a connection, runs `fn`, always closes it. At most MAX_CONNECTIONS_PER_SERVER at once
 * per server, unless `o.uncapped`: a login that is judged by the connect deadline itself (a
 * refusal expected at once, a silent server at the deadline) must not first wait behind the
 * sessions a silent server holds, or its verdict follows the order the checks started in.
 */
export async function withPg<T>(ctx: CheckContext, t: PgTarget, fn: (client: Client) => Promise<T>, o: { uncapped?: boolean } = {}): Promise<T> {
  const where = `${t.label} at ${t.host}:${t.port}/${t.database}`;
  if (o.uncapped) return connectAndRun(ctx, t, where, fn);
  ctx.step?.(`waiting for a connection slot to ${where}`);
  const release = await acquireSlot(`${t.host}:${t.port}`, ctx.signal, t.viaPgBouncer ? MAX_CONNECTIONS_PER_PGBOUNCER : MAX_CONNECTIONS_PER_SERVER);
  try {
    return await connectAndRun(ctx, t, where, fn);
  } finally {
    release();
  }
}

async function connectAndRun<T>(ctx: CheckContext, t: PgTarget, where: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connectTimeout = connectDeadlineMs(ctx);
  const queryTimeout = Math.max(1, ctx.timeoutMs);
  const client = openPg(t, {
    tls: t.tls,
    connectTimeoutMs: connectTimeout,
    queryTimeoutMs: queryTimeout,
    ...(t.viaPgBouncer ? {} : { statementTimeoutMs: queryTimeout, lockTimeoutMs: Math.min(queryTimeout, 2_000) }),
    applicationName: APPLICATION_NAME,
  });
  const close = () => closePg(client);
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
