/**
 * Short-lived Redis / Sentinel connections with hard timeouts: no retries, no offline
 * queue, so a dead node fails fast instead of hanging a probe or a drill.
 */
import Redis from "ioredis";

export interface RedisTarget {
  host: string;
  port: number;
  /** Omitted for Sentinels (they have no password of their own here). */
  password?: string;
}

export function redisClient(t: RedisTarget, timeoutMs = 1500): Redis {
  const c = new Redis({
    host: t.host,
    port: t.port,
    password: t.password,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    reconnectOnError: () => false,
  });
  c.on("error", () => undefined);
  return c;
}

/** Connects, runs `fn`, always disconnects. */
export async function withRedis<T>(t: RedisTarget, fn: (c: Redis) => Promise<T>, timeoutMs = 1500): Promise<T> {
  const c = redisClient(t, timeoutMs);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    c.disconnect();
  }
}

/** INFO <section> as key/value pairs: the smoke suite's parser, one for both. */
export { parseInfo } from "../checks/lib/redis";

/** What one Sentinel says the master is, or null when it cannot be asked. */
export async function sentinelMaster(t: RedisTarget, masterName: string, timeoutMs = 800): Promise<{ host: string; port: number } | null> {
  try {
    const r = (await withRedis(t, (c) => c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName), timeoutMs)) as [string, string] | null;
    return r ? { host: r[0], port: Number(r[1]) } : null;
  } catch {
    return null;
  }
}

/** The master most Sentinels name (ties: the first asked), or null when none answers. */
export async function currentMaster(sentinels: RedisTarget[], masterName: string): Promise<{ host: string; port: number } | null> {
  const answers = (await Promise.all(sentinels.map((s) => sentinelMaster(s, masterName)))).filter((a): a is { host: string; port: number } => a !== null);
  if (answers.length === 0) return null;
  const count = new Map<string, number>();
  for (const a of answers) count.set(`${a.host}:${a.port}`, (count.get(`${a.host}:${a.port}`) ?? 0) + 1);
  const best = [...count.entries()].sort((a, b) => b[1] - a[1])[0][0];
  return answers.find((a) => `${a.host}:${a.port}` === best) ?? null;
}
