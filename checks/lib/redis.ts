/**
 * Redis connections for checks: the one client wrapper (components/clients/redis.ts) with
 * the check's context on top: one connect deadline, each wait labelled, closed when the
 * check ends or is aborted. A dead node fails in milliseconds (refused); a silent one (no
 * TCP answer, or a listener that accepts and never replies, such as a frozen process
 * whose kernel still completes the handshake) fails at CONNECT_TIMEOUT_MS: the deadline
 * covers the TCP connect and the first reply (a PING), not only the former.
 */
import { randomBytes } from "node:crypto";
import type Redis from "ioredis";
import { addr, handshake, openRedis, parseInfo, type Address } from "../../components/clients/redis";
import type { StackOutputs } from "../../components/contract/outputs";
import type { CheckContext } from "../types";
import { errorText } from "./measure";

export { addr, parseInfo, type Address };

/** One deadline for every connection the suite opens (Redis, Sentinel, Postgres, PgBouncer): TCP connect plus first answer. */
export const CONNECT_TIMEOUT_MS = 2_000;

/** The connect deadline for a check with `timeoutMs` left. */
export function connectDeadlineMs(ctx: Pick<CheckContext, "timeoutMs">): number {
  return Math.max(1, Math.min(CONNECT_TIMEOUT_MS, ctx.timeoutMs));
}

export interface RedisConnectOptions {
  /** ACL user sent with AUTH; omitted: the `default` user (a single AUTH token). */
  username?: string;
  /** Sent with AUTH when set. */
  password?: string;
  tls: boolean;
  /** e.g. "Redis node redis-replica-1", "Sentinel"; used in messages. @default "Redis" */
  label?: string;
}

/** Opens a connection, runs `fn`, always disconnects. Errors name the endpoint. */
export async function withRedis<T>(ctx: CheckContext, at: Address, opts: RedisConnectOptions, fn: (client: Redis) => Promise<T>): Promise<T> {
  const where = `${opts.label ?? "Redis"} at ${addr(at)}`;
  const connectTimeout = connectDeadlineMs(ctx);
  // The ready check runs INFO before AUTH errors surface; checks ask for what they need.
  const client = openRedis(at, { username: opts.username, password: opts.password, tls: opts.tls, connectTimeoutMs: connectTimeout, commandTimeoutMs: Math.max(1, ctx.timeoutMs), readyCheck: false });
  const onAbort = () => client.disconnect();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const connecting = ctx.begin?.(`connecting to ${where}`);
  try {
    ctx.step?.(`connecting to ${where}`);
    await handshake(client, where, connectTimeout);
    connecting?.();
    const waiting = ctx.begin?.(`waiting for ${where}`);
    ctx.step?.(`waiting for ${where}`);
    try {
      return await fn(client);
    } catch (e) {
      const text = errorText(e);
      throw new Error(text.includes(addr(at)) ? text : `${where}: ${text}`);
    } finally {
      waiting?.();
    }
  } finally {
    connecting?.();
    ctx.signal.removeEventListener("abort", onAbort);
    client.disconnect();
  }
}

export async function info(client: Redis, section: string): Promise<Record<string, string>> {
  return parseInfo(await client.info(section));
}

/** Who logs in: the suite is the `monitoring` user, drills and admin actions the `operator`. */
export type RedisLogin = { username?: string; password?: string };

/**
 * The login of `role` (components/redis/acl.ts), or none when the stack says AUTH is off.
 * With `redis.users` null (a single AUTH token: ElastiCache before RBAC) there is no
 * user name and the password is the token.
 */
export function redisLogin(outputs: StackOutputs, role: "monitoring" | "operator"): RedisLogin {
  if (!outputs.redis.authRequired) return {};
  const password = role === "monitoring" ? outputs.credentials.redisMonitoringPassword : outputs.credentials.redisOperatorPassword;
  return { username: outputs.redis.users?.[role], password };
}

export function dataNodeOptions(outputs: StackOutputs, label: string): RedisConnectOptions {
  return { ...redisLogin(outputs, "monitoring"), tls: outputs.redis.tls, label };
}

/** Sentinels require the same ACL users as the nodes; with a single AUTH token (no users) they are not asked for one. */
export function sentinelOptions(outputs: StackOutputs): RedisConnectOptions {
  return { ...(outputs.redis.users ? redisLogin(outputs, "monitoring") : {}), tls: outputs.redis.tls, label: "Sentinel" };
}

/**
 * Where a client on this host reaches an address Sentinel or a replica announced: the
 * contract's natMap entry (docker: in-network name -> published port), else the address
 * itself.
 */
export function hostSide(outputs: StackOutputs, a: Address): Address {
  return outputs.redis.natMap?.[addr(a)] ?? a;
}

/** What one Sentinel says the master's address is (null when it does not know the name). */
export async function askSentinel(ctx: CheckContext, outputs: StackOutputs, sentinel: Address): Promise<Address | null> {
  const name = outputs.redis.sentinelMasterName;
  if (!name) throw new Error("outputs.redis.sentinelMasterName is null but Sentinels are listed");
  return withRedis(ctx, sentinel, sentinelOptions(outputs), async (c) => {
    const reply = (await c.call("SENTINEL", "get-master-addr-by-name", name)) as [string, string] | null;
    return reply ? { host: reply[0], port: Number(reply[1]) } : null;
  });
}

export interface MasterLocation {
  at: Address;
  /** Node name when the address is one of outputs.redis.nodes. */
  node?: string;
  /** How it was found, for messages. */
  via: string;
}

/**
 * Where writes go now. With Sentinels, ask them (clients follow Sentinel, and the
 * deploy-time primary may have been demoted); the first Sentinel to answer wins
 * (redis.sentinel-agreement checks that they all agree). Without, the primary endpoint.
 */
export async function locateMaster(ctx: CheckContext, outputs: StackOutputs): Promise<MasterLocation> {
  const r = outputs.redis;
  const nodeAt = (a: Address) => r.nodes.find((n) => n.host === a.host && n.port === a.port)?.name;
  if (r.sentinels.length === 0) return { at: r.primary, node: nodeAt(r.primary), via: "the primary endpoint" };
  try {
    const found = await Promise.any(
      r.sentinels.map(async (s) => {
        const a = await askSentinel(ctx, outputs, s);
        if (!a) throw new Error(`Sentinel at ${addr(s)} does not know master "${r.sentinelMasterName}"`);
        return { a, s };
      }),
    );
    const at = hostSide(outputs, found.a);
    return { at, node: nodeAt(at), via: `Sentinel at ${addr(found.s)}` };
  } catch {
    return { at: r.primary, node: nodeAt(r.primary), via: "the deploy-time primary (no Sentinel answered)" };
  }
}

/**
 * Lookups (GETs) this process sent, per node: the hit-rate check subtracts them so the
 * suite's own GETs never count as application traffic.
 */
const selfLookups = new Map<string, { hits: number; misses: number }>();

export function selfLookupsAt(at: Address): { hits: number; misses: number } {
  return { ...(selfLookups.get(addr(at)) ?? { hits: 0, misses: 0 }) };
}

/** GET that records itself as the suite's own lookup. */
export async function countedGet(client: Redis, at: Address, key: string): Promise<string | null> {
  const v = await client.get(key);
  const n = selfLookups.get(addr(at)) ?? { hits: 0, misses: 0 };
  if (v === null) n.misses += 1;
  else n.hits += 1;
  selfLookups.set(addr(at), n);
  return v;
}

/** A key only this run uses. */
export function smokeKey(purpose: string): string {
  return `datatier:smoke:${purpose}:${randomBytes(6).toString("hex")}`;
}
