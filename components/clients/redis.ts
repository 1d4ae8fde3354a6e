/**
 * The project's one Redis client wrapper: the sandbox, the drills, the dev stack and the
 * smoke suite (checks/lib/redis.ts adds the check context on top) all open their
 * connections here, so every one has hard timeouts, no retries and no offline queue: a
 * dead node fails fast instead of hanging a probe, a drill or a check. tools/imports.test.ts
 * fails when `new Redis(` appears in production code anywhere else.
 */
import Redis from "ioredis";
import { connectReason, errorText } from "./errors";

export interface Address {
  host: string;
  port: number;
}

export const addr = (a: Address): string => `${a.host}:${a.port}`;

export interface RedisTarget extends Address {
  /** ACL user (components/redis/acl.ts); omitted with a single AUTH token (the `default` user). */
  username?: string;
  /** Sent with AUTH when set: data nodes and Sentinels both require one. */
  password?: string;
}

export interface RedisClientOptions {
  /** ACL user sent with AUTH (with `password`); omitted: the `default` user. */
  username?: string;
  /** Sent with AUTH when set. */
  password?: string;
  tls?: boolean;
  /** Bounds the TCP connect (ioredis' connectTimeout); `handshake` bounds connect plus first reply. */
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  /**
   * ioredis' ready check (INFO before the first command). The checks turn it off: it runs
   * before AUTH errors surface, and they ask for what they need. @default true
   */
  readyCheck?: boolean;
}

/** An unconnected client (lazyConnect): the only place the project constructs one. */
export function openRedis(at: Address | { path: string }, o: RedisClientOptions): Redis {
  const where = "path" in at ? { path: at.path } : { host: at.host, port: at.port };
  const c = new Redis({
    ...where,
    username: o.username,
    password: o.password,
    tls: o.tls && "host" in where ? { servername: where.host } : undefined,
    lazyConnect: true,
    connectTimeout: o.connectTimeoutMs,
    commandTimeout: o.commandTimeoutMs,
    retryStrategy: () => null,
    reconnectOnError: () => false,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableReadyCheck: o.readyCheck ?? true,
    // CLIENT SETINFO before "ready" would wait out the command timeout on a silent node.
    disableClientInfo: true,
  });
  // Errors surface through the command that failed; an unhandled "error" event would crash the process.
  c.on("error", () => undefined);
  return c;
}

/**
 * Connect and a first round trip (PING) within `ms`, whatever the way the node fails to
 * answer: refused (milliseconds), silent (no TCP answer) or a listener that accepts and
 * never replies, such as a frozen process whose kernel still completes the handshake.
 * Any reply counts as an answer, NOAUTH included (the auth check connects without a
 * password on purpose); a refused password is reported as such. `where` names the
 * endpoint in every message, e.g. "Sentinel at 127.0.0.1:26379".
 */
export async function handshake(client: Redis, where: string, ms: number): Promise<void> {
  let lastError: Error | undefined;
  const onError = (e: Error) => void (lastError = e);
  client.on("error", onError);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  const attempt = (async () => {
    try {
      await client.connect();
    } catch (e) {
      return { stage: "connect" as const, error: lastError ?? e };
    }
    try {
      await client.ping();
    } catch (e) {
      if (/^NOAUTH\b/.test(errorText(e))) return null;
      return { stage: "reply" as const, error: e };
    }
    return null;
  })();
  try {
    const outcome = await Promise.race([attempt, deadline]);
    if (outcome === "timeout") {
      client.disconnect();
      const accepted = client.status === "connect" || client.status === "ready" || client.status === "end";
      throw new Error(`timed out after ${ms} ms connecting to ${where}${accepted ? " (it accepts connections but does not answer)" : ""}`);
    }
    if (outcome === null) return;
    const text = errorText(outcome.error);
    if (/ETIMEDOUT/.test(text) || (outcome.error as { code?: string }).code === "ETIMEDOUT") throw new Error(`timed out after ${ms} ms connecting to ${where}`);
    if (outcome.stage === "connect") throw new Error(`cannot connect to ${where}: ${connectReason(outcome.error)}`);
    throw new Error(`${where} refused the connection: ${text}`);
  } finally {
    clearTimeout(timer);
    client.off("error", onError);
    attempt.catch(() => undefined);
  }
}

/** A client for the sandbox and the drills (they call connect() themselves): one timeout for connect and commands. */
export function redisClient(t: RedisTarget, timeoutMs = 1500): Redis {
  return openRedis(t, { username: t.username, password: t.password, connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs });
}

/** Connects (bounded by `handshake`), runs `fn`, always disconnects. `label` names the endpoint in errors ("Sentinel"). */
export async function withRedis<T>(t: RedisTarget, fn: (c: Redis) => Promise<T>, timeoutMs = 1500, label = "Redis"): Promise<T> {
  const c = redisClient(t, timeoutMs);
  try {
    await handshake(c, `${label} at ${addr(t)}`, timeoutMs);
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** Parses INFO output into key -> value. */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf(":");
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** What one Sentinel says the master is, or null when it cannot be asked. */
export async function sentinelMaster(t: RedisTarget, masterName: string, timeoutMs = 800): Promise<Address | null> {
  try {
    const r = (await withRedis(t, (c) => c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName), timeoutMs, "Sentinel")) as [string, string] | null;
    return r ? { host: r[0], port: Number(r[1]) } : null;
  } catch {
    return null;
  }
}

/** The master most Sentinels name (ties: the first asked), or null when none answers. */
export async function currentMaster(sentinels: RedisTarget[], masterName: string): Promise<Address | null> {
  const answers = (await Promise.all(sentinels.map((s) => sentinelMaster(s, masterName)))).filter((a): a is Address => a !== null);
  if (answers.length === 0) return null;
  const count = new Map<string, number>();
  for (const a of answers) count.set(addr(a), (count.get(addr(a)) ?? 0) + 1);
  const best = [...count.entries()].sort((a, b) => b[1] - a[1])[0][0];
  return answers.find((a) => addr(a) === best) ?? null;
}
