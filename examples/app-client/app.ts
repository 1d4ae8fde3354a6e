/**
 * The example application: its own drivers (ioredis, pg), configured only from the
 * contract, the way an application team would write them. Deliberately NOT the project's
 * client wrapper (components/clients): that one never retries, an application must.
 *
 * Redis: Sentinel mode off AWS (the master is whatever the Sentinels name, re-asked on every
 * reconnect; +switch-master followed through failoverDetector), the primary endpoint on AWS.
 * Errors worth a retry: connection errors, READONLY (a demoted master: reconnect and ask
 * Sentinel again), NOREPLICAS (an isolated master refusing writes), LOADING, MasterNotFound
 * (no Sentinel names a master yet). A write counts as acknowledged only once `WAIT 1` says a
 * replica has it: that is the write a failover cannot lose.
 */
import Redis, { type RedisOptions } from "ioredis";
import pg from "pg";
import type { AppConfig, PgTarget } from "./config";

/** Errors a Redis client retries (docs/application.md): everything else is a bug to surface. */
export function retryableRedisError(message: string): boolean {
  return /READONLY|NOREPLICAS|LOADING|MASTERDOWN|TRYAGAIN|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Command timed out|All sentinels are unreachable|MasterNotFound|Failed to connect|Stream isn't writeable|max retries/i.test(message);
}

/** ioredis options from the contract: Sentinel mode where Sentinels exist. */
export function redisOptions(cfg: AppConfig["redis"]): RedisOptions {
  const common: RedisOptions = {
    username: cfg.username,
    password: cfg.password,
    tls: cfg.tls ? {} : undefined,
    connectTimeout: 1000,
    commandTimeout: 1000,
    // Queue commands while reconnecting, but give each one a bounded number of tries.
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * times, 500),
    // A demoted master answers READONLY: reconnect (re-resolving the master) and resend.
    reconnectOnError: (err) => (/READONLY/.test(err.message) ? 2 : false),
  };
  if (cfg.sentinels.length === 0) return { ...common, host: cfg.primary.host, port: cfg.primary.port };
  return {
    ...common,
    sentinels: cfg.sentinels,
    name: cfg.masterName!,
    // Sentinels require auth too: the application's user may only look the master up.
    sentinelUsername: cfg.username,
    sentinelPassword: cfg.password,
    enableTLSForSentinelMode: cfg.tls,
    sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
    failoverDetector: true,
    natMap: cfg.natMap,
    // Sentinels list their peers by in-network addresses: a client outside the network
    // (docker, from the host) keeps the contract's list instead of learning those.
    updateSentinels: cfg.natMap === undefined,
  };
}

export function openRedis(cfg: AppConfig["redis"]): Redis {
  const r = new Redis(redisOptions(cfg));
  // Failures surface through the commands; the event would otherwise crash the process.
  r.on("error", () => undefined);
  return r;
}

export function openPool(t: PgTarget, max = 4): pg.Pool {
  // Transaction pooling in PgBouncer: no session state, no named prepared statements.
  const p = new pg.Pool({ host: t.host, port: t.port, database: t.database, user: t.user, password: t.password, ssl: t.ssl ? { rejectUnauthorized: false } : undefined, max, connectionTimeoutMillis: 1000, query_timeout: 2000, idleTimeoutMillis: 5000 });
  p.on("error", () => undefined);
  return p;
}

/** A short name for an error, to count them: the server's error code, or what the driver said. */
export function errorKind(message: string): string {
  const known: [RegExp, string][] = [
    [/max retries per request/i, "gave up after retries (connection lost)"],
    [/Command timed out/i, "command timed out"],
    [/Connection is closed|ECONNRESET|EPIPE|Connection terminated/i, "connection closed"],
    [/ECONNREFUSED/i, "connection refused"],
    [/All sentinels are unreachable|MasterNotFound|failed to resolve master/i, "no master from Sentinel"],
    [/timeout exceeded when trying to connect|Connection terminated due to connection timeout/i, "connect timeout"],
  ];
  for (const [re, kind] of known) if (re.test(message)) return kind;
  return /^[A-Z]{4,}\b/.exec(message)?.[0] ?? message.replace(/[0-9.:]+/g, "#").slice(0, 60);
}

/** One loop's record: successes and failures on one clock, and what was acknowledged. */
export class Timeline {
  readonly events: { at: number; ok: boolean; error?: string }[] = [];
  readonly acknowledged: string[] = [];
  readonly errors = new Map<string, number>();
  /** Times the loop reconnected a client the driver had given up on. */
  reconnects = 0;
  ok(at: number): void {
    this.events.push({ at, ok: true });
  }
  fail(at: number, message: string): void {
    this.events.push({ at, ok: false, error: message });
    const kind = errorKind(message);
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }
  get failures(): number {
    return this.events.filter((e) => !e.ok).length;
  }
}

/**
 * The longest time the loop could not succeed: for each run of failures, from the last
 * success before it to the first success after it (or to the end). Pure.
 */
export function failureWindowMs(events: readonly { at: number; ok: boolean }[]): number {
  let worst = 0;
  let lastOk: number | null = null;
  let failing = false;
  for (const e of events) {
    if (!e.ok) failing = true;
    else {
      if (failing && lastOk !== null) worst = Math.max(worst, e.at - lastOk);
      failing = false;
      lastOk = e.at;
    }
  }
  if (failing && lastOk !== null && events.length) worst = Math.max(worst, events[events.length - 1].at - lastOk);
  return Math.round(worst);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Loop {
  timeline: Timeline;
  stop: () => Promise<void>;
}

/** Writes keys acknowledged by `SET` then `WAIT 1 500` until stopped. */
export function redisWriteLoop(r: Redis, prefix: string, paceMs = 5): Loop {
  const t = new Timeline();
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      const key = `${prefix}${i}`;
      try {
        await r.set(key, String(i), "EX", 3600);
        const replicas = Number(await r.call("WAIT", "1", "500"));
        if (replicas >= 1) {
          t.acknowledged.push(key);
          t.ok(performance.now());
        } else t.fail(performance.now(), "WAIT 0: no replica acknowledged");
      } catch (e) {
        t.fail(performance.now(), (e as Error).message);
        // ioredis can end up closed for good ("end") after a failover it did not follow
        // (seen once on the dev stack): an application reconnects rather than fail forever.
        if (r.status === "end") {
          t.reconnects++;
          await r.connect().catch(() => undefined);
        }
        await sleep(20);
      }
      await sleep(paceMs);
    }
  })();
  return { timeline: t, stop: async () => ((running = false), await done) };
}

/** How many acknowledged keys the master the client reaches now does not hold. */
export async function redisLost(r: Redis, keys: string[]): Promise<number> {
  if (r.status === "end") await r.connect();
  let present = 0;
  for (let i = 0; i < keys.length; i += 500) present += await r.exists(...keys.slice(i, i + 500));
  for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500)).catch(() => undefined);
  return keys.length - present;
}

export const PG_TABLE = "app_client_writes";

export async function ensurePgTable(p: pg.Pool): Promise<void> {
  await p.query(`CREATE TABLE IF NOT EXISTS ${PG_TABLE} (run text NOT NULL, i integer NOT NULL, PRIMARY KEY (run, i))`);
}

/** Inserts rows through the read-write pool until stopped; a committed INSERT is acknowledged. */
export function pgWriteLoop(p: pg.Pool, run: string, paceMs = 10): Loop {
  const t = new Timeline();
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i++) {
      try {
        await p.query(`INSERT INTO ${PG_TABLE} (run, i) VALUES ($1, $2)`, [run, i]);
        t.acknowledged.push(String(i));
        t.ok(performance.now());
      } catch (e) {
        t.fail(performance.now(), (e as Error).message);
        await sleep(20);
      }
      await sleep(paceMs);
    }
  })();
  return { timeline: t, stop: async () => ((running = false), await done) };
}

/** Reads through the read-only pool (replicas: may lag the primary, see docs/application.md) until stopped. */
export function pgReadLoop(p: pg.Pool, paceMs = 10): Loop {
  const t = new Timeline();
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        await p.query("SELECT 1");
        t.ok(performance.now());
      } catch (e) {
        t.fail(performance.now(), (e as Error).message);
        await sleep(20);
      }
      await sleep(paceMs);
    }
  })();
  return { timeline: t, stop: async () => ((running = false), await done) };
}

/** Committed rows of `run` missing from the primary (read through the read-write pool: read-your-writes). */
export async function pgLost(p: pg.Pool, run: string, acknowledged: string[]): Promise<number> {
  const got = await p.query<{ n: string }>(`SELECT count(*) AS n FROM ${PG_TABLE} WHERE run = $1 AND i = ANY($2::int[])`, [run, acknowledged.map(Number)]);
  await p.query(`DELETE FROM ${PG_TABLE} WHERE run = $1`, [run]).catch(() => undefined);
  return acknowledged.length - Number(got.rows[0].n);
}
