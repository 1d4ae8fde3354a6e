/**
 * Bring-up, reuse, tear-down and status of a sandbox in a data folder of its own.
 * A sandbox that already runs in the folder is reused (what is down is started again),
 * never started twice; a failed bring-up stops what it started and says which process
 * failed, with the tail of its log.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { isDeepStrictEqual } from "node:util";
import type { StackOutputs } from "../components/contract/outputs";
import type { Settings } from "../components/settings/schema";
import { loadStackSettings, PROJECT_ROOT } from "../components/settings/stackFile";
import { buildOutputs, writeOutputs } from "./outputs";
import { healPgBouncerFiles, PGBOUNCER_NAME, pgbouncerProblems, restartPgBouncer, startPgBouncer, waitPgBouncerHealthy } from "./pgbouncer";
import { withPg } from "../components/clients/postgres";
import { healPostgresConfs, pgRoot, postgresProblems, PRIMARY_NAME, refreshDemoRows, replicaHost, restartPostgresProcess, resumePausedReplay, startPostgres, superuserTarget, waitPostgresHealthy } from "./postgres";
import { freeOn, pickPorts } from "./ports";
import { statusProblems } from "./statusProblems";
import { healRouterConfig, readRouterState, restartReadRouter, routerProblems, routerWanted, startReadRouter } from "./readrouter";
import { findDaemonsUnder, portAnswers, postgresUser, recordAlive, stopProcess, type ProcessRecord, type StopResult } from "./procs";
import { restartRedisProcess, redisProblems, syncRedisMaster, waitRedisHealthy, startRedis, REDIS_HOST } from "./redis";
import { parseInfo, sentinelMaster, withRedis } from "../components/clients/redis";
import { operatorTarget } from "./redis";
import { acquireLock, outputsFile, PARTS, readState, STATE_VERSION, StateError, stateFile, writeState, type Part, type SandboxState, type Secrets } from "./state";

export const DEFAULT_STACK = "dev";
export const defaultDir = (stack = DEFAULT_STACK) => join(PROJECT_ROOT, ".sandbox", stack);

export interface StartOptions {
  /** Data folder. @default <repo>/.sandbox/<stack> */
  dir?: string;
  /** Stack whose settings are used when `settings` is not given. @default "dev" */
  stack?: string;
  /** @default loadStackSettings(stack) */
  settings?: Settings;
  /** Parts to run; pgbouncer needs postgres. @default all three */
  parts?: Part[];
  /** Bound for each part to become healthy, ms. @default 60000 */
  timeoutMs?: number;
}

export interface SandboxInfo {
  dir: string;
  stateFile: string;
  /** <dir>/outputs.json (0600), or null when a part was left out. */
  outputsFile: string | null;
  /** The outputs (with credentials), or null when a part was left out. */
  outputs: StackOutputs | null;
  /** True when a sandbox already ran there and was reused. */
  reused: boolean;
  /** Processes started by this call (fresh start, or restarts of what was down). */
  started: string[];
  /** Replicas whose paused WAL replay was resumed. */
  resumed: string[];
  /** Rendered files (pgbouncer.ini, userlist.txt, postgresql.conf, pg_hba.conf, the read router's config.json) rewritten because they differed from the settings. */
  rewritten: string[];
  /** Wall time of this call, ms. */
  ms: number;
  /** Time each part took to become healthy on a fresh start, ms (parts start concurrently). */
  timings: Partial<Record<Part, number>>;
  state: SandboxState;
}

const newSecret = () => randomBytes(24).toString("hex");

function newSecrets(): Secrets {
  return { redisPassword: newSecret(), redisReplication: newSecret(), redisSentinel: newSecret(), redisMonitoring: newSecret(), redisOperator: newSecret(), postgresSuperuser: newSecret(), replication: newSecret(), app: newSecret(), readonly: newSecret(), appServer: newSecret(), readonlyServer: newSecret(), monitoring: newSecret(), pgbouncerAdmin: newSecret(), pgbouncerStats: newSecret() };
}

function normaliseParts(parts: Part[] | undefined): Part[] {
  const list = parts ?? [...PARTS];
  for (const p of list) if (!PARTS.includes(p)) throw new Error(`unknown sandbox part "${p}"; expected ${PARTS.join(", ")}`);
  if (list.includes("pgbouncer") && !list.includes("postgres")) throw new Error('sandbox part "pgbouncer" needs "postgres" too');
  return PARTS.filter((p) => list.includes(p));
}

function checkSettings(s: Settings): void {
  if (s.pgbouncer.tls.client !== "disable" || s.pgbouncer.tls.server === "verify-ca" || s.pgbouncer.tls.server === "verify-full") {
    throw new Error(`the sandbox has no TLS material: pgbouncer.tls must be client "disable" (stack ${s.environment} has client "${s.pgbouncer.tls.client}", server "${s.pgbouncer.tls.server}"); run the sandbox with a self-managed stack such as dev`);
  }
}

/** Order in which processes come up again (and the reverse is how they stop). */
const START_ORDER: ProcessRecord["kind"][] = ["redis", "sentinel", "postgres", "pgbouncer", "readrouter"];

/** Stop groups, each stopped concurrently: clients first, the master and primary last. */
export function stopGroups(state: Pick<SandboxState, "processes" | "redis">): ProcessRecord[][] {
  const ps = state.processes;
  const isMaster = (p: ProcessRecord) => p.name === state.redis?.master;
  return [
    ps.filter((p) => p.kind === "pgbouncer" || p.kind === "sentinel" || p.kind === "readrouter"),
    ps.filter((p) => (p.kind === "postgres" && p.name !== PRIMARY_NAME) || (p.kind === "redis" && !isMaster(p))),
    ps.filter((p) => p.name === PRIMARY_NAME || (p.kind === "redis" && isMaster(p))),
  ].filter((g) => g.length > 0);
}

async function stopAll(state: SandboxState): Promise<StopResult[]> {
  const results: StopResult[] = [];
  // With the folder: each pid is checked to still be our daemon (start time, executable, cwd) before a signal.
  for (const group of stopGroups(state)) results.push(...(await Promise.all(group.map((p) => stopProcess(p, undefined, state.dir)))));
  return results;
}

/** Stops every sandbox daemon running from `dir` (found in /proc by executable and cwd), PgBouncer and Sentinels first. */
async function stopUntracked(dir: string): Promise<StopResult[]> {
  const kindOf = (exe: string): ProcessRecord["kind"] => (/postgres$/.test(exe) ? "postgres" : /pgbouncer$/.test(exe) ? "pgbouncer" : "redis");
  const found = findDaemonsUnder(dir).map((f) => ({ name: `untracked pid ${f.pid} (${f.exe.split("/").pop()})`, pid: f.pid, startTicks: f.startTicks, kind: kindOf(f.exe) }));
  const first = found.filter((f) => f.kind !== "postgres");
  const results = await Promise.all(first.map((p) => stopProcess(p, undefined, dir)));
  results.push(...(await Promise.all(found.filter((f) => f.kind === "postgres").map((p) => stopProcess(p, undefined, dir)))));
  return results;
}

async function checkPostgresCanReach(dir: string): Promise<void> {
  const { uid, gid } = postgresUser();
  try {
    await promisify(execFile)("/usr/bin/test", ["-x", dir], { uid, gid, timeout: 5000 });
  } catch {
    throw new Error(`the postgres OS user cannot enter ${dir}: Postgres and PgBouncer run as postgres, so every parent folder needs the x bit for others (choose a --dir elsewhere, e.g. under /tmp)`);
  }
}

/**
 * Creates the data folder with mode 0711, also on the parents it creates (whatever the
 * umask): the postgres user must reach its folders below; state and outputs stay 0600.
 */
function prepareDir(dir: string): void {
  const created: string[] = [];
  for (let d = dir; !existsSync(d); d = dirname(d)) created.push(d);
  mkdirSync(dir, { recursive: true });
  for (const d of created) chmodSync(d, 0o711);
}

async function freshStart(dir: string, stack: string, settings: Settings, parts: Part[], timeoutMs: number, timings: Partial<Record<Part, number>>): Promise<SandboxState> {
  chmodSync(dir, 0o711);
  mkdirSync(join(dir, "logs"), { recursive: true, mode: 0o700 });
  if (parts.includes("postgres")) await checkPostgresCanReach(dir);

  const redisCount = parts.includes("redis") ? settings.redis.replicas + 1 + settings.redis.sentinel.count : 0;
  const pgCount = parts.includes("postgres") ? 1 : 0;
  const bouncerCount = parts.includes("pgbouncer") ? 1 : 0;
  const ports = await pickPorts(redisCount + pgCount + bouncerCount, { isFree: freeOn([REDIS_HOST]) });
  const replicaHosts = Array.from({ length: settings.postgres.replicas }, (_, i) => replicaHost(i));
  const [replicaPort] = parts.includes("postgres") && replicaHosts.length ? await pickPorts(1, { isFree: freeOn(replicaHosts), exclude: ports }) : [0];

  const state: SandboxState = {
    version: STATE_VERSION,
    stack,
    dir,
    complete: false,
    createdAt: new Date().toISOString(),
    parts,
    settings,
    secrets: newSecrets(),
    redis: null,
    postgres: null,
    processes: [],
  };
  writeState(state);
  const take = (n: number) => ports.splice(0, n);
  const timed = async (part: Part, fn: () => Promise<void>) => {
    const t = performance.now();
    await fn();
    timings[part] = Math.round(performance.now() - t);
  };
  const redisPorts = take(redisCount);
  const [pgPort] = take(pgCount);
  const [bouncerPort] = take(bouncerCount);
  try {
    const tasks: Promise<void>[] = [];
    if (parts.includes("redis")) {
      const nodes = settings.redis.replicas + 1;
      tasks.push(timed("redis", () => startRedis(state, { nodes: redisPorts.slice(0, nodes), sentinels: redisPorts.slice(nodes) }, timeoutMs)).then(() => writeState(state)));
    }
    if (parts.includes("postgres")) {
      tasks.push(
        (async () => {
          await timed("postgres", () => startPostgres(state, { primary: pgPort, replicas: replicaPort }, timeoutMs));
          writeState(state);
          if (parts.includes("pgbouncer")) await timed("pgbouncer", () => startPgBouncer(state, bouncerPort, timeoutMs));
          if (routerWanted(state)) await startReadRouter(state, timeoutMs);
        })(),
      );
    }
    // Both parts come up together; the first failure is reported after the other settles.
    const settled = await Promise.allSettled(tasks);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  } catch (e) {
    writeState(state);
    await stopAll(state).catch(() => undefined);
    writeState(state);
    throw new Error(`sandbox bring-up in ${dir} failed; every process it started is stopped (logs in ${join(dir, "logs")}):\n${(e as Error).message}`);
  }
  state.complete = true;
  writeState(state);
  return state;
}

/**
 * Restarts what is down in a complete sandbox, rewrites rendered files that drifted, resumes
 * paused replay. `up` runs it under the folder's lock; a drill runs it under its own.
 */
export async function heal(state: SandboxState, timeoutMs: number): Promise<{ started: string[]; resumed: string[]; rewritten: string[] }> {
  const started: string[] = [];
  // Files first, so what starts again starts from what the settings render.
  const rewritten: string[] = state.parts.includes("postgres") ? healPostgresConfs(state) : [];
  // By kind; within a kind the Redis master and the Postgres primary first, so what starts after them has someone to follow.
  const leader = (p: ProcessRecord) => p.name === state.redis?.master || p.name === PRIMARY_NAME;
  const dead = state.processes
    .filter((p) => !recordAlive(p))
    .sort((a, b) => START_ORDER.indexOf(a.kind) - START_ORDER.indexOf(b.kind) || Number(leader(b)) - Number(leader(a)));
  for (const p of dead) {
    if (p.kind === "redis" || p.kind === "sentinel") await restartRedisProcess(state, p);
    else if (p.kind === "postgres") await restartPostgresProcess(state, p);
    else if (p.kind === "readrouter") await restartReadRouter(state);
    else {
      rewritten.push(...(await healPgBouncerFiles(state)));
      await restartPgBouncer(state, p);
    }
    started.push(p.name);
    writeState(state);
  }
  let resumed: string[] = [];
  if (state.parts.includes("redis")) {
    await syncRedisMaster(state);
    await waitRedisHealthy(state, timeoutMs);
    await syncRedisMaster(state);
  }
  if (state.parts.includes("postgres")) {
    resumed = await resumePausedReplay(state);
    await waitPostgresHealthy(state, timeoutMs);
  }
  if (state.parts.includes("pgbouncer")) {
    // A running PgBouncer reloads what was rewritten (SIGHUP), e.g. a damaged verifier in its userlist.
    for (const f of await healPgBouncerFiles(state)) if (!rewritten.includes(f)) rewritten.push(f);
    // A running read router's damaged configuration (a restarted one got a fresh file above).
    for (const f of healRouterConfig(state)) if (!rewritten.includes(f)) rewritten.push(f);
    // PgBouncer refuses a pool for server_login_retry (15 s) after its server was down.
    await waitPgBouncerHealthy(state, timeoutMs);
  }
  writeState(state);
  return { started, resumed, rewritten };
}

/** Starts a sandbox in `dir`, or reuses the one running there (starting again what is down). */
export async function startSandbox(o: StartOptions = {}): Promise<SandboxInfo> {
  const t0 = performance.now();
  const stack = o.stack ?? DEFAULT_STACK;
  const dir = resolve(o.dir ?? defaultDir(stack));
  const settings = o.settings ?? loadStackSettings(stack);
  const parts = normaliseParts(o.parts);
  const timeoutMs = o.timeoutMs ?? 60_000;
  checkSettings(settings);
  postgresUser();
  prepareDir(dir);
  const release = acquireLock(dir, "up");
  try {
    let state = readState(dir);
    let reused = false;
    let started: string[] = [];
    let resumed: string[] = [];
    let rewritten: string[] = [];
    const timings: Partial<Record<Part, number>> = {};
    if (state && !state.complete) {
      // A bring-up that never finished: stop what it recorded and build afresh.
      await stopAll(state);
      for (const sub of ["redis", "postgres", "pgbouncer", "logs", "outputs.json", "state.json"]) rmSync(join(dir, sub), { recursive: true, force: true });
      state = null;
    }
    if (state) {
      if (!isDeepStrictEqual(state.parts, parts) || !isDeepStrictEqual(JSON.parse(JSON.stringify(settings)), state.settings)) {
        throw new Error(`${dir} holds a sandbox built from other settings or parts (stack ${state.stack}, parts ${state.parts.join(", ")}); use another --dir, or remove it with \`npm run sandbox -- down --purge --dir ${dir}\``);
      }
      reused = true;
      ({ started, resumed, rewritten } = await heal(state, timeoutMs));
      // The bring-up's demo rows age out of the recent-writes window: write fresh ones.
      if (state.parts.includes("postgres")) await refreshDemoRows(state);
    } else {
      state = await freshStart(dir, stack, settings, parts, timeoutMs, timings);
      started = state.processes.map((p) => p.name);
    }
    const ms = Math.round(performance.now() - t0);
    if (started.length || rewritten.length) {
      state.lastUpMs = ms;
      writeState(state);
    }
    const outputsPath = writeOutputs(state);
    return { dir, stateFile: stateFile(dir), outputsFile: outputsPath, outputs: buildOutputs(state), reused, started, resumed, rewritten, ms, timings, state };
  } finally {
    release();
  }
}

export interface StopReport {
  dir: string;
  /** False when the folder held no sandbox. */
  found: boolean;
  results: StopResult[];
  purged: boolean;
  ms: number;
}

/** Stops every process the sandbox in `dir` started (by recorded pid), and only those. */
export async function stopSandbox(dir: string, o: { purge?: boolean } = {}): Promise<StopReport> {
  const t0 = performance.now();
  const abs = resolve(dir);
  if (!existsSync(abs)) return { dir: abs, found: false, results: [], purged: false, ms: 0 };
  const release = acquireLock(abs, "down");
  let results: StopResult[] = [];
  let found = false;
  try {
    let state: SandboxState | null = null;
    try {
      state = readState(abs);
    } catch (e) {
      if (!(e instanceof StateError)) throw e;
      // A damaged state file must not orphan the daemons: find them by their folders.
      found = true;
      results = await stopUntracked(abs);
    }
    if (state) {
      found = true;
      results = await stopAll(state);
      // Anything still running from this folder that the state does not name (a record lost or forged).
      results.push(...(await stopUntracked(abs)));
    }
  } finally {
    release();
  }
  const ms = Math.round(performance.now() - t0);
  let purged = false;
  if (o.purge && found) {
    rmSync(abs, { recursive: true, force: true });
    purged = true;
  }
  return { dir: abs, found, results, purged, ms };
}

export interface ProcessStatus {
  name: string;
  kind: ProcessRecord["kind"];
  pid: number;
  host: string;
  port: number;
  alive: boolean;
  answering: boolean;
  /** What the process says it is: master / replica / sentinel / primary / pooler. */
  role: string;
}

export interface SandboxStatus {
  dir: string;
  found: boolean;
  healthy: boolean;
  processes: ProcessStatus[];
  /** Topology problems (replicas not linked, Sentinels not in quorum, replay paused...). */
  problems: string[];
  outputsFile: string | null;
}

async function roleOf(state: SandboxState, p: ProcessRecord): Promise<string> {
  try {
    if (p.kind === "redis") {
      const info = parseInfo(await withRedis(operatorTarget(state, p), (c) => c.info("replication"), 1000));
      return info.role === "master" ? `master (${info.connected_slaves ?? 0} replicas)` : `replica (link ${info.master_link_status})`;
    }
    if (p.kind === "sentinel") {
      const m = await sentinelMaster({ host: p.host, port: p.port }, state.settings.redis.sentinel.masterName, 1000);
      return m ? `sentinel (master ${m.host}:${m.port})` : "sentinel (no answer)";
    }
    if (p.kind === "postgres") {
      return await withPg(superuserTarget(state, p), async (c) => {
        const r = (await c.query("select pg_is_in_recovery() as rec, case when pg_is_in_recovery() then pg_is_wal_replay_paused() else false end as paused")).rows[0];
        return r.rec ? (r.paused ? "replica (replay paused)" : "replica") : "primary";
      }, 1500);
    }
    if (p.kind === "readrouter") {
      const st = readRouterState(state.dir);
      return st ? `router (reads on ${st.route === "primary-fallback" ? "the primary" : st.healthy.join(", ")})` : "router (no state yet)";
    }
    return "pooler";
  } catch (e) {
    return `unknown (${(e as Error).message})`;
  }
}

/** Status of each recorded process (pid alive, port answering, role) and of the topology. */
export async function sandboxStatus(dir: string): Promise<SandboxStatus> {
  const abs = resolve(dir);
  const state = existsSync(abs) ? readState(abs) : null;
  if (!state) return { dir: abs, found: false, healthy: false, processes: [], problems: ["no sandbox in this folder"], outputsFile: null };
  const processes = await Promise.all(
    state.processes.map(async (p): Promise<ProcessStatus> => {
      const alive = recordAlive(p);
      // The router listens nowhere: it answers when its state file shows a recent round.
      const answering = alive && (p.kind === "readrouter" ? routerProblems(state).length === 0 : await portAnswers(p.host, p.port, 1000));
      return { name: p.name, kind: p.kind, pid: p.pid, host: p.host, port: p.port, alive, answering, role: answering ? await roleOf(state, p) : "down" };
    }),
  );
  const problems: string[] = [];
  if (!state.complete) problems.push("the last bring-up did not finish; run up again");
  if (state.parts.includes("redis")) {
    await syncRedisMaster(state);
    problems.push(...(await redisProblems(state)));
  }
  if (state.parts.includes("postgres")) problems.push(...(await postgresProblems(state)));
  if (state.parts.includes("pgbouncer") && processes.find((p) => p.name === PGBOUNCER_NAME)?.answering) problems.push(...(await pgbouncerProblems(state)));
  problems.push(...routerProblems(state));
  const healthy = processes.every((p) => p.alive && p.answering) && problems.length === 0;
  return { dir: abs, found: true, healthy, processes, problems: statusProblems(processes, problems), outputsFile: existsSync(outputsFile(abs)) ? outputsFile(abs) : null };
}

export { pgRoot };
