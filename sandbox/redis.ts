/**
 * The sandbox's Redis part: a master, `redis.replicas` replicas and
 * `redis.sentinel.count` Sentinels on 127.0.0.1, each from the rendered config
 * (components/redis/render.ts) in a writable file of its own (Sentinel rewrites them).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REDIS_USERS, type RedisUserPasswords } from "../components/redis/acl";
import { renderRedisConf, renderSentinelConf } from "../components/redis/render";
import type { Settings } from "../components/settings/schema";
import { failingLogs, portAnswers, processLogs, recordAlive, startProcess, waitFor, type ProcessRecord } from "./procs";
import { currentMaster, parseInfo, withRedis, type RedisTarget } from "../components/clients/redis";
import { putProcess, type SandboxState } from "./state";

export const REDIS_HOST = "127.0.0.1";
export const REDIS_SERVER_BIN = "/usr/bin/redis-server";
export const REDIS_SENTINEL_BIN = "/usr/bin/redis-sentinel";

export const redisNodeNames = (s: Settings) => Array.from({ length: s.redis.replicas + 1 }, (_, i) => `redis-${i}`);
export const sentinelNames = (s: Settings) => Array.from({ length: s.redis.sentinel.count }, (_, i) => `sentinel-${i}`);

export function redisNodes(state: SandboxState): ProcessRecord[] {
  return state.processes.filter((p) => p.kind === "redis");
}
export function sentinels(state: SandboxState): ProcessRecord[] {
  return state.processes.filter((p) => p.kind === "sentinel");
}
/** Every ACL user's password (components/redis/acl.ts), from the state's secrets. */
export function redisPasswords(state: SandboxState): RedisUserPasswords {
  const x = state.secrets;
  return { application: x.redisPassword, replication: x.redisReplication, sentinel: x.redisSentinel, monitoring: x.redisMonitoring, operator: x.redisOperator };
}

/** A node or Sentinel as the operator: the sandbox's own health checks, drills and restarts. */
export const operatorTarget = (state: SandboxState, at: { host: string; port: number }): RedisTarget => ({ host: at.host, port: at.port, username: REDIS_USERS.operator, password: state.secrets.redisOperator });

export const sentinelTargets = (state: SandboxState): RedisTarget[] => sentinels(state).map((p) => operatorTarget(state, p));

function nodeDir(dir: string, name: string): string {
  const d = join(dir, "redis", name);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}

/**
 * Sandbox-only override on the command line, not in the rendered file: Redis 7 waits
 * 5 s (repl-diskless-sync-delay) before a full sync so more replicas can share it;
 * here it only delays the bring-up.
 */
export const SANDBOX_REDIS_ARGS = ["--repl-diskless-sync-delay", "0"];

function nodeSpec(dir: string, name: string, port: number, extraArgs: string[] = []) {
  const d = nodeDir(dir, name);
  return {
    name,
    kind: "redis" as const,
    host: REDIS_HOST,
    port,
    command: REDIS_SERVER_BIN,
    args: [join(d, "redis.conf"), ...SANDBOX_REDIS_ARGS, ...extraArgs],
    user: "root" as const,
    cwd: d,
    logFile: join(dir, "logs", `${name}.log`),
  };
}

function sentinelSpec(dir: string, name: string, port: number) {
  const d = nodeDir(dir, name);
  return { name, kind: "sentinel" as const, host: REDIS_HOST, port, command: REDIS_SENTINEL_BIN, args: [join(d, "sentinel.conf")], user: "root" as const, cwd: d, logFile: join(dir, "logs", `${name}.log`) };
}

/** Starts every Redis process for a new sandbox; records them in `state` as they start. */
export async function startRedis(state: SandboxState, ports: { nodes: number[]; sentinels: number[] }, timeoutMs: number): Promise<void> {
  const s = state.settings;
  const passwords = redisPasswords(state);
  const names = redisNodeNames(s);
  const masterPort = ports.nodes[0];
  for (const [i, name] of names.entries()) {
    const d = nodeDir(state.dir, name);
    const conf = renderRedisConf(s.redis, {
      bind: REDIS_HOST,
      port: ports.nodes[i],
      dir: d,
      passwords,
      replicaOf: i === 0 ? undefined : { host: REDIS_HOST, port: masterPort },
    });
    writeFileSync(join(d, "redis.conf"), conf, { mode: 0o600 });
    putProcess(state, await startProcess(nodeSpec(state.dir, name, ports.nodes[i])));
  }
  // Sentinels learn the replicas from the master's INFO, polled every 10 s: start them
  // once the replicas are linked so the first INFO already lists every one.
  await waitFor(
    `Redis: ${s.redis.replicas} replica(s) linked to ${names[0]}`,
    async () => {
      const info = parseInfo(await withRedis(operatorTarget(state, { host: REDIS_HOST, port: masterPort }), (c) => c.info("replication")));
      return Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes("state=online")).length >= s.redis.replicas;
    },
    timeoutMs,
    100,
  ).catch((e: Error) => {
    throw new Error(`${e.message}${redisNodes(state).map((p) => `\n${p.name}:${processLogs(p)}`).join("")}`);
  });
  for (const [i, name] of sentinelNames(s).entries()) {
    const d = nodeDir(state.dir, name);
    // A fresh file per Sentinel: each one rewrites its own with what it learns.
    const conf = renderSentinelConf(s.redis, { bind: REDIS_HOST, port: ports.sentinels[i], dir: d, masterHost: REDIS_HOST, masterPort, passwords });
    writeFileSync(join(d, "sentinel.conf"), conf, { mode: 0o600 });
    putProcess(state, await startProcess(sentinelSpec(state.dir, name, ports.sentinels[i])));
  }
  state.redis = { masterName: s.redis.sentinel.masterName, master: names[0] };
  await waitRedisHealthy(state, timeoutMs);
}

/** Health of the Redis part, as a list of problems (empty when healthy). */
export async function redisProblems(state: SandboxState): Promise<string[]> {
  const s = state.settings;
  const problems: string[] = [];
  const master = state.processes.find((p) => p.name === state.redis?.master);
  if (!master) return ["no master recorded"];
  for (const p of [...redisNodes(state), ...sentinels(state)]) if (!recordAlive(p)) problems.push(`${p.name} (pid ${p.pid}) is not running`);
  const expected = s.redis.replicas;
  try {
    const info = parseInfo(await withRedis(operatorTarget(state, master), (c) => c.info("replication")));
    if (info.role !== "master") problems.push(`${master.name} is not a master (role ${info.role})`);
    const online = Object.entries(info).filter(([k, v]) => /^slave\d+$/.test(k) && v.includes("state=online")).length;
    if (online < expected) problems.push(`${master.name} has ${online}/${expected} replicas online`);
  } catch (e) {
    problems.push(`${master.name} (${master.host}:${master.port}) does not answer: ${(e as Error).message}`);
  }
  for (const r of redisNodes(state).filter((p) => p.name !== master.name)) {
    try {
      const info = parseInfo(await withRedis(operatorTarget(state, r), (c) => c.info("replication")));
      if (info.role !== "slave" || info.master_link_status !== "up") problems.push(`${r.name} is not a linked replica (role ${info.role}, link ${info.master_link_status ?? "-"})`);
    } catch (e) {
      problems.push(`${r.name} (${r.host}:${r.port}) does not answer: ${(e as Error).message}`);
    }
  }
  const name = s.redis.sentinel.masterName;
  const named = new Set<string>();
  for (const sp of sentinels(state)) {
    try {
      await withRedis(operatorTarget(state, sp), async (c) => {
        // NOQUORUM comes back as an error reply.
        const quorum = String(await c.call("SENTINEL", "CKQUORUM", name).catch((e: Error) => e.message));
        const peers = (await c.call("SENTINEL", "SENTINELS", name)) as unknown[];
        const replicas = (await c.call("SENTINEL", "REPLICAS", name)) as unknown[];
        const fields = (await c.call("SENTINEL", "MASTER", name)) as string[];
        const view = Object.fromEntries(fields.flatMap((v, i) => (i % 2 === 0 ? [[v, fields[i + 1]]] : []))) as Record<string, string>;
        named.add(`${view.ip}:${view.port}`);
        if (!quorum.startsWith("OK")) problems.push(`${sp.name}: CKQUORUM says ${quorum}`);
        if (peers.length < s.redis.sentinel.count - 1) problems.push(`${sp.name} sees ${peers.length}/${s.redis.sentinel.count - 1} other Sentinels`);
        if (replicas.length < expected) problems.push(`${sp.name} knows ${replicas.length}/${expected} replicas`);
        if (String(view.flags).includes("failover_in_progress")) problems.push(`${sp.name}: a failover is in progress`);
        if (view.ip !== master.host || Number(view.port) !== master.port) problems.push(`${sp.name} names ${view.ip}:${view.port} as the master, not ${master.name}`);
      }, 1500, "Sentinel");
    } catch (e) {
      problems.push(`${sp.name} (${sp.host}:${sp.port}) does not answer: ${(e as Error).message}`);
    }
  }
  if (named.size > 1) problems.push(`the Sentinels disagree on the master (${[...named].join(", ")})`);
  return problems;
}

export async function waitRedisHealthy(state: SandboxState, timeoutMs: number): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor(
      "Redis: replicas linked and every Sentinel seeing the others (SENTINEL CKQUORUM)",
      async () => {
        // Sentinel may still move the master while we wait: follow it.
        await syncRedisMaster(state);
        last = await redisProblems(state);
        return last.length === 0;
      },
      timeoutMs,
      200,
    );
  } catch (e) {
    const logs = failingLogs([...redisNodes(state), ...sentinels(state)], last);
    throw new Error(`${(e as Error).message}\nstill wrong: ${last.join("; ")}${logs}`);
  }
}

/**
 * Starts a Redis process that is down again. A data node comes back as a replica of
 * the master the Sentinels name (a returning old master would otherwise serve stale
 * data as a second master for a moment); Sentinels come back from their rewritten files.
 */
export async function restartRedisProcess(state: SandboxState, p: ProcessRecord): Promise<void> {
  if (p.kind === "sentinel") {
    const spec = sentinelSpec(state.dir, p.name, p.port);
    const started = await startProcess(spec);
    putProcess(state, started);
    // Its file is not re-rendered (it holds the Sentinel's myid and what it learned): when it
    // refuses the file, say so now, with its log, rather than wait out the health timeout.
    await waitFor(`${p.name} to listen or exit`, async () => !recordAlive(started) || (await portAnswers(started.host, started.port, 300)), 3_000, 50).catch(() => undefined);
    if (!recordAlive(started)) {
      throw new Error(`${p.name} exited at start: it refuses its ${spec.args[0]} (Sentinel's own file, with its myid and the replicas and Sentinels it learned, so \`up\` does not rewrite it; correct or remove the line its log names):${processLogs(started)}`);
    }
    return;
  }
  const master = await currentMaster(sentinelTargets(state), state.settings.redis.sentinel.masterName);
  const recordedMaster = state.processes.find((x) => x.name === state.redis?.master);
  const masterAddr = master ?? (recordedMaster ? { host: recordedMaster.host, port: recordedMaster.port } : null);
  const isMaster = masterAddr !== null && masterAddr.host === p.host && masterAddr.port === p.port;
  const extra = isMaster || !masterAddr ? [] : ["--replicaof", masterAddr.host, String(masterAddr.port)];
  // A damaged file would keep it down: it starts from what the settings render (whom it follows is on the command line).
  const d = nodeDir(state.dir, p.name);
  const conf = renderRedisConf(state.settings.redis, { bind: REDIS_HOST, port: p.port, dir: d, passwords: redisPasswords(state) });
  writeFileSync(join(d, "redis.conf"), conf, { mode: 0o600 });
  putProcess(state, await startProcess(nodeSpec(state.dir, p.name, p.port, extra)));
}

/** Points state.redis.master at the node the Sentinels name. */
export async function syncRedisMaster(state: SandboxState): Promise<ProcessRecord | null> {
  const m = await currentMaster(sentinelTargets(state), state.settings.redis.sentinel.masterName);
  if (!m || !state.redis) return null;
  const node = redisNodes(state).find((p) => p.host === m.host && p.port === m.port);
  if (node) state.redis.master = node.name;
  return node ?? null;
}
