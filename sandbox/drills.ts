/**
 * Drills: break one thing in a running sandbox on purpose and measure what follows.
 * Each prints what it did and what it measured; runDrill then heals what is still broken,
 * waits until the suite's checks for the parts it touched are healthy (convergence.ts) and
 * prints one verdict line (verdict.ts).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type Redis from "ioredis";
import { readOnlyDatabaseName, readWriteDatabaseName } from "../components/pgbouncer/render";
import { resolveThresholds } from "../components/thresholds/thresholds";
import { PGBOUNCER_NAME } from "./pgbouncer";
import { withPg } from "../components/clients/postgres";
import { PRIMARY_NAME, restartPostgresProcess, superuserTarget, waitPostgresHealthy } from "./postgres";
import { killHard, portAnswers, recordAlive, sleep, stopProcess, type ProcessRecord } from "./procs";
import { restartRedisProcess, sentinelTargets, syncRedisMaster, waitRedisHealthy } from "./redis";
import { currentMaster, redisClient, type RedisTarget } from "../components/clients/redis";
import { REDIS_USERS } from "../components/redis/acl";
import { measureRouting, routerRuns, routingBroken, routingLost, routingMeasured, sandboxProbe } from "./readRoutingDrill";
import { SANDBOX_ROLES } from "./schema";
import { ms, proc, readyForRedisFailover, requireState, type DrillResult, type Log } from "./drillKit";
import { redisMasterFreeze, redisMasterPartition, type FreezeOptions } from "./freezeDrill";
import { acquireLock, readState, writeState, type SandboxState } from "./state";
import { heal } from "./lifecycle";
import { buildOutputs, writeOutputs } from "./outputs";
import { convergedLine, HEALED_WITHIN_MS, heldOpen, promises, timedHook, verdictInput, waitConverged } from "./convergence";
import { formatVerdict, judgeDrill, seconds } from "./verdict";

export type { DrillResult, Log } from "./drillKit";

// ---------------------------------------------------------------- redis-failover

interface WriterStats {
  attempted: number;
  acked: string[];
  ackedAfterKill: number;
  failures: number;
  firstAckAfterKillAt: number | null;
}

/**
 * Writes keys acknowledged by `WAIT 1 <ms>` (at least one replica has it) until stopped,
 * following the master the Sentinels name when a write fails.
 */
function startWriter(first: RedisTarget, sentinels: RedisTarget[], masterName: string, prefix: string, killedAt: () => number | null) {
  const stats: WriterStats = { attempted: 0, acked: [], ackedAfterKill: 0, failures: 0, firstAckAfterKillAt: null };
  let stop = false;
  const done = (async () => {
    let target = first;
    let client: Redis | null = null;
    let i = 0;
    while (!stop) {
      try {
        if (!client) {
          client = redisClient(target, 500);
          await client.connect();
        }
        const key = `${prefix}${i++}`;
        stats.attempted++;
        // Only a write begun after the kill shows that writes work again.
        const begunAfterKill = killedAt() !== null;
        await client.set(key, "1");
        const replicas = Number(await client.call("WAIT", "1", "1000"));
        if (replicas >= 1) {
          stats.acked.push(key);
          if (begunAfterKill) {
            stats.ackedAfterKill++;
            if (stats.firstAckAfterKillAt === null) stats.firstAckAfterKillAt = performance.now();
          }
        }
        // A steady, modest rate: the drill measures the failover, not how hard one client can push.
        await sleep(2);
      } catch {
        stats.failures++;
        client?.disconnect();
        client = null;
        const m = await currentMaster(sentinels, masterName);
        if (m) target = { ...first, host: m.host, port: m.port };
        await sleep(50);
      }
    }
    client?.disconnect();
  })();
  return { stats, stop: async () => ((stop = true), await done) };
}

async function redisFailover(dir: string, log: Log): Promise<DrillResult> {
  const state = requireState(dir, "redis");
  const s = state.settings.redis;
  const masterName = s.sentinel.masterName;
  await readyForRedisFailover(state, log);
  const old = proc(state, state.redis!.master);
  const sentinels = sentinelTargets(state);
  // The writer is an application: its own ACL user (set, WAIT, exists), not the operator.
  const app = { username: REDIS_USERS.application, password: state.secrets.redisPassword };
  const prefix = `sandbox:drill:failover:${randomBytes(4).toString("hex")}:`;
  let killedAt: number | null = null;
  const writer = startWriter({ host: old.host, port: old.port, ...app }, sentinels, masterName, prefix, () => killedAt);
  await sleep(1000);
  const ackedBefore = writer.stats.acked.length;
  log(`writer: ${ackedBefore} writes acknowledged by WAIT 1 on ${old.name} (${old.host}:${old.port}) before the kill`);

  log(`kill -9 ${old.name} (pid ${old.pid})`);
  killedAt = performance.now();
  await killHard(old);
  const t0 = killedAt;
  const seen = new Map<number, number>();
  let newMaster: { host: string; port: number } | null = null;
  // One connection per Sentinel for the whole watch, asked every 50 ms.
  const watchers = sentinels.map((t) => redisClient(t, 400));
  await Promise.all(watchers.map((w) => w.connect().catch(() => undefined)));
  const deadline = Date.now() + 30_000;
  try {
    while (Date.now() < deadline) {
      const answers = await Promise.all(watchers.map((w) => (w.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName) as Promise<[string, string] | null>).catch(() => null)));
      answers.forEach((a, i) => {
        if (a && !(a[0] === old.host && Number(a[1]) === old.port) && !seen.has(i)) {
          seen.set(i, ms(t0));
          newMaster = { host: a[0], port: Number(a[1]) };
        }
      });
      if (seen.size === sentinels.length && writer.stats.firstAckAfterKillAt !== null && performance.now() - writer.stats.firstAckAfterKillAt > 1000) break;
      await sleep(50);
    }
  } finally {
    watchers.forEach((w) => w.disconnect());
  }
  await writer.stop();
  const firstSentinelMs = seen.size ? Math.min(...seen.values()) : null;
  const allSentinelsMs = seen.size === sentinels.length ? Math.max(...seen.values()) : null;
  const writesBackMs = writer.stats.firstAckAfterKillAt !== null ? Math.round(writer.stats.firstAckAfterKillAt - t0) : null;
  if (!newMaster) throw new Error(`no Sentinel named a new master within 30 s of the kill; ${old.name} stays down (run \`npm run sandbox -- up\`)`);
  const nm = newMaster as { host: string; port: number };
  const newName = state.processes.find((p) => p.kind === "redis" && p.host === nm.host && p.port === nm.port)?.name ?? `${nm.host}:${nm.port}`;
  log(`new master ${newName} (${nm.host}:${nm.port}): first Sentinel named it after ${firstSentinelMs} ms, all ${sentinels.length} after ${allSentinelsMs ?? "-"} ms`);
  log(`writes acknowledged again ${writesBackMs ?? "-"} ms after the kill (${writer.stats.failures} failed attempts in between)`);

  // Read every acknowledged key back from the master the Sentinels name now.
  const readFrom = (await currentMaster(sentinels, masterName)) ?? nm;
  const reader = redisClient({ ...readFrom, ...app }, 3000);
  let lost = 0;
  try {
    await reader.connect();
    const keys = writer.stats.acked;
    for (let i = 0; i < keys.length; i += 500) {
      const batch = keys.slice(i, i + 500);
      const present = await reader.exists(...batch);
      lost += batch.length - present;
    }
    // Tidy up; best effort (the node may have become a replica meanwhile).
    for (let i = 0; i < keys.length; i += 500) await reader.del(...keys.slice(i, i + 500)).catch(() => undefined);
  } finally {
    reader.disconnect();
  }
  log(`acknowledged writes: ${writer.stats.acked.length} (${ackedBefore} before the kill, ${writer.stats.ackedAfterKill} after it); lost: ${lost}`);

  // The old master comes back as a replica of the new one; state and outputs follow.
  const tBack = performance.now();
  await restartRedisProcess(state, old);
  await syncRedisMaster(state);
  await waitRedisHealthy(state, 30_000);
  state.lastRedisFailoverAt = new Date().toISOString();
  writeState(state);
  const outputs = writeOutputs(state);
  log(`${old.name} is back as a replica of ${state.redis!.master} after ${ms(tBack)} ms; state${outputs ? ` and ${outputs}` : ""} name ${state.redis!.master} as the master`);
  const movedAgain = state.redis!.master !== newName;
  if (movedAgain) log(`note: the Sentinels moved the master a second time (${newName} -> ${state.redis!.master}) after the failover; see the Sentinel logs in ${dir}/logs`);
  return {
    name: "redis-failover",
    ok: lost === 0 && allSentinelsMs !== null && writesBackMs !== null,
    outcome: {
      broke: `kill -9 of the Redis master ${old.name}`,
      brokeAt: t0,
      serviceWhat: "a write begun after the kill acknowledged by a replica (WAIT 1)",
      serviceBackMs: writesBackMs,
      lost: { what: "acknowledged writes", count: lost, of: writer.stats.acked.length },
      broken: allSentinelsMs === null ? [`not every Sentinel named the new master within 30 s`] : [],
      parts: ["redis"],
      promise: promises.redis(),
    },
    measured: { oldMaster: old.name, promoted: newName, newMaster: state.redis!.master, movedAgain, firstSentinelMs, allSentinelsMs, writesBackMs, acked: writer.stats.acked.length, ackedBeforeKill: ackedBefore, lost, failedAttempts: writer.stats.failures },
  };
}

// ---------------------------------------------------------------- postgres drills

function firstReplica(state: SandboxState): ProcessRecord {
  const r = state.postgres?.replicas[0];
  if (!r) throw new Error("the sandbox has no Postgres replica (postgres.replicas is 0)");
  return proc(state, r.name);
}

async function tryQuery(label: string, fn: () => Promise<string>): Promise<string> {
  const t0 = performance.now();
  try {
    return `${label}: ok in ${ms(t0)} ms (${await fn()})`;
  } catch (e) {
    return `${label}: fails after ${ms(t0)} ms (${(e as Error).message})`;
  }
}

/** Waits until the primary sees the replica's slot inactive; ms, or null after 10 s. */
async function slotInactiveAfter(state: SandboxState, slot: string): Promise<number | null> {
  const primary = proc(state, PRIMARY_NAME);
  const t0 = performance.now();
  while (performance.now() - t0 < 10_000) {
    const active = await withPg(superuserTarget(state, primary), async (c) => (await c.query("select active from pg_replication_slots where slot_name = $1", [slot])).rows[0]?.active, 2000);
    if (active === false) return ms(t0);
    await sleep(50);
  }
  return null;
}

/** Starts the replicas again and waits until every one streams (the drill repairs what it broke when the router runs). */
async function restartReplicas(state: SandboxState, names: string[], log: Log): Promise<void> {
  const t0 = performance.now();
  for (const n of names) await restartPostgresProcess(state, proc(state, n));
  writeState(state);
  log(`started ${names.join(", ")} again: accepting connections after ${ms(t0)} ms`);
  await waitPostgresHealthy(state, 30_000);
}

/**
 * Stops `replicas` by pid. With the read router running, a read loop runs through the
 * read-only pool across the stop and the restart (the drill repairs what it broke);
 * without it, the replicas stay down until `up`.
 */
async function stopReplicasDrill(name: "postgres-replica-down" | "postgres-all-replicas-down", dir: string, log: Log, all: boolean, o: DrillOptions): Promise<DrillResult> {
  const state = requireState(dir, "postgres");
  const replicas = all ? (state.postgres?.replicas ?? []).map((r) => proc(state, r.name)) : [firstReplica(state)];
  if (!replicas.length) throw new Error("the sandbox has no Postgres replica (postgres.replicas is 0)");
  for (const r of replicas) if (!recordAlive(r)) throw new Error(`${r.name} is already down: run \`npm run sandbox -- up\` first`);
  const slots = replicas.map((r) => state.postgres!.replicas.find((x) => x.name === r.name)!.slot);
  const measured: DrillResult["measured"] = { replicas: replicas.map((r) => r.name).join(", ") };
  let stopped = true;
  let brokeAt = performance.now();
  const breakIt = async () => {
    brokeAt = performance.now();
    log(`stopping ${replicas.map((r) => `${r.name} (pid ${r.pid})`).join(", ")} by pid`);
    const stops = await Promise.all(replicas.map((r) => stopProcess(r)));
    for (const st of stops) log(`${st.name} ${st.outcome} in ${st.ms} ms`);
    stopped = stops.every((st) => st.outcome !== "not-running");
    measured.stopMs = Math.max(...stops.map((st) => st.ms));
    const inactive = await Promise.all(slots.map((slot) => slotInactiveAfter(state, slot)));
    measured.slotInactiveMs = inactive.some((x) => x === null) ? null : Math.max(...(inactive as number[]));
    log(`primary sees slot(s) ${slots.join(", ")} inactive after ${measured.slotInactiveMs ?? "more than 10000"} ms`);
    if (state.parts.includes("pgbouncer")) {
      const pb = proc(state, PGBOUNCER_NAME);
      const db = state.settings.postgres.databaseName;
      const viaPool = (pool: string) => () =>
        withPg({ host: pb.host, port: pb.port, user: SANDBOX_ROLES.monitoring, password: state.secrets.monitoring, database: pool }, async (c) => `in recovery: ${(await c.query("select pg_is_in_recovery() as r")).rows[0].r}`, 4000);
      const rw = await tryQuery(`read-write pool "${readWriteDatabaseName(db)}"`, viaPool(readWriteDatabaseName(db)));
      log(rw);
      measured.readWritePool = rw;
      if (!routerRuns(state)) {
        const ro = await tryQuery(`read-only pool "${readOnlyDatabaseName(db)}"`, viaPool(readOnlyDatabaseName(db)));
        log(ro);
        measured.readOnlyPool = ro;
      }
    }
  };
  const broke = `stopped ${all ? "every Postgres replica:" : "the Postgres replica"} ${replicas.map((r) => r.name).join(", ")}`;
  const notStopped = stopped ? [] : ["a replica was not running when stopped"];
  if (routerRuns(state)) {
    const onPrimary = replicas.length === state.postgres!.replicas.length;
    const interval = state.settings.readRouting.intervalMs;
    const f = await measureRouting(sandboxProbe(state), log, { names: replicas.map((r) => r.name), onPrimary, breakIt, whileBroken: o.whileBroken, repair: () => restartReplicas(state, replicas.map((r) => r.name), log) });
    Object.assign(measured, routingMeasured(f));
    return {
      name,
      ok: stopped && f.failedAfterBound === 0 && f.outMs !== null && f.inMs !== null,
      measured,
      outcome: { broke, brokeAt: f.brokeAt, serviceWhat: `reads through the read-only pool served by ${onPrimary ? "the primary" : "the remaining replicas"}`, serviceBackMs: f.rerouteMs, lost: routingLost(interval, f), broken: [...notStopped, ...routingBroken(f)], parts: ["postgres", "pgbouncer"], promise: promises.reads(interval) },
    };
  }
  await breakIt();
  await o.whileBroken?.();
  log("no read router: nothing moves the read-only pool, so reads come back with the replica (the heal below starts it; it catches up from its slot)");
  return {
    name,
    ok: stopped,
    measured: { ...measured, replica: replicas[0].name },
    outcome: { broke, brokeAt, serviceWhat: "the read-only pool answers again, from the restarted replica", serviceBackMs: "at-heal", lost: { what: "acknowledged writes", note: "the primary took every write; the replica catches up from its slot", count: 0 }, broken: notStopped, parts: ["postgres", "pgbouncer"], promise: promises.restart() },
  };
}


const postgresReplicaDown = (dir: string, log: Log, o: DrillOptions = {}) => stopReplicasDrill("postgres-replica-down", dir, log, false, o);
const postgresAllReplicasDown = (dir: string, log: Log, o: DrillOptions = {}) => stopReplicasDrill("postgres-all-replicas-down", dir, log, true, o);

async function pgbouncerDown(dir: string, log: Log, o: DrillOptions = {}): Promise<DrillResult> {
  const state = requireState(dir, "pgbouncer");
  const pb = proc(state, PGBOUNCER_NAME);
  if (!recordAlive(pb)) throw new Error("pgbouncer is already down: run `npm run sandbox -- up` first");
  log(`stopping pgbouncer (pid ${pb.pid}) by pid`);
  const brokeAt = performance.now();
  const stop = await stopProcess(pb);
  log(`pgbouncer ${stop.outcome} in ${stop.ms} ms`);
  const refused = !(await portAnswers(pb.host, pb.port, 1000));
  log(`port ${pb.host}:${pb.port} ${refused ? "refuses connections: clients of the pools fail at once" : "still answers (unexpected)"}`);
  const primary = proc(state, PRIMARY_NAME);
  const direct = await tryQuery("the primary, direct", () => withPg(superuserTarget(state, primary), async (c) => `in recovery: ${(await c.query("select pg_is_in_recovery() as r")).rows[0].r}`, 3000));
  log(direct);
  await o.whileBroken?.();
  const broken = [...(stop.outcome === "not-running" ? ["PgBouncer was not running"] : []), ...(refused ? [] : [`PgBouncer's port still answered after the stop`])];
  return {
    name: "pgbouncer-down",
    ok: stop.outcome !== "not-running" && refused,
    measured: { stopMs: stop.ms, portRefused: refused, primaryDirect: direct },
    outcome: {
      broke: `stopped PgBouncer (pid ${pb.pid})`,
      brokeAt,
      serviceWhat: "PgBouncer restarted by the heal, both pools answering",
      serviceBackMs: "at-heal",
      // PgBouncer holds no data; what it must not cost is the primary, which answered directly throughout.
      lost: { what: "acknowledged writes", note: "PgBouncer holds none; the primary answered directly while it was down", count: /: ok in/.test(direct) ? 0 : null },
      broken,
      parts: ["pgbouncer"],
      promise: promises.restart(),
    },
  };
}

async function postgresReplicaLag(dir: string, log: Log, o: DrillOptions = {}): Promise<DrillResult> {
  const state = requireState(dir, "postgres");
  const replica = firstReplica(state);
  const primary = proc(state, PRIMARY_NAME);
  const critical = resolveThresholds(state.settings.alarms.thresholds).replicaLag.critical;
  const boundMs = critical * 1000 + 30_000;
  const rep = superuserTarget(state, replica, state.settings.postgres.databaseName);
  const pri = superuserTarget(state, primary, state.settings.postgres.databaseName);
  const writeHeartbeat = (c: import("pg").Client) =>
    c.query("INSERT INTO datatier_smoke.heartbeat (id, token, written_at) VALUES ('sandbox-lag-drill', md5(random()::text), clock_timestamp()) ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, written_at = EXCLUDED.written_at");
  const measured: DrillResult["measured"] = { replica: replica.name, criticalSeconds: critical };
  const lagBroke = `paused WAL replay on ${replica.name} until its lag passed ${critical} s (the critical replica-lag level)`;
  let brokeAt = performance.now();
  const holdPastCritical = async () => {
    brokeAt = performance.now();
    // A fresh write first, so the replay timestamp is "now" when the pause starts.
    await withPg(pri, writeHeartbeat);
    await sleep(200);
    await withPg(rep, (c) => c.query("select pg_wal_replay_pause()"));
    log(`paused WAL replay on ${replica.name} (${replica.host}:${replica.port}); writing to the primary until its lag passes the critical replica-lag threshold (${critical} s), at most ${boundMs / 1000} s`);
    const t0 = performance.now();
    let lag = 0;
    let bytes = 0;
    let lastReport = 0;
    await withPg(pri, async (pc) => {
      await withPg(rep, async (rc) => {
        while (performance.now() - t0 < boundMs) {
          await writeHeartbeat(pc);
          lag = Number((await rc.query("select coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0)::float8 as lag")).rows[0].lag);
          bytes = Number((await pc.query("select coalesce(max(pg_wal_lsn_diff(sent_lsn, replay_lsn)), 0)::bigint as b from pg_stat_replication")).rows[0].b);
          if (performance.now() - lastReport > 5000) {
            log(`  lag ${lag.toFixed(1)} s, ${bytes} bytes of WAL sent but not replayed`);
            lastReport = performance.now();
          }
          if (lag > critical) break;
          await sleep(250);
        }
      }, boundMs + 5000);
    }, boundMs + 10_000);
    const reached = lag > critical;
    log(`${reached ? "passed" : "did NOT pass"} the critical threshold: lag ${lag.toFixed(1)} s after ${(ms(t0) / 1000).toFixed(1)} s (${bytes} bytes behind)`);
    Object.assign(measured, { lagSeconds: Number(lag.toFixed(2)), bytesBehind: bytes, tookMs: ms(t0) });
    return reached;
  };
  if (routerRuns(state)) {
    // With the router: reads through the pool while the lag builds, the router takes the
    // replica out; then replay resumes and the router puts it back once it caught up.
    let reached = false;
    const interval = state.settings.readRouting.intervalMs;
    const f = await measureRouting(sandboxProbe(state), log, {
      names: [replica.name],
      onPrimary: state.postgres!.replicas.length === 1,
      whileBroken: o.whileBroken,
      breakIt: async () => void (reached = await holdPastCritical()),
      repair: async () => {
        await withPg(rep, (c) => c.query("select pg_wal_replay_resume()"));
        log(`resumed WAL replay on ${replica.name}`);
      },
    });
    Object.assign(measured, routingMeasured(f));
    return {
      name: "postgres-replica-lag",
      ok: reached && f.outMs !== null && f.inMs !== null && f.failedAfterBound === 0,
      measured,
      outcome: {
        broke: lagBroke,
        brokeAt: f.brokeAt,
        serviceWhat: `reads moved off the lagging replica (the lag builds for ${critical} s first)`,
        serviceBackMs: f.rerouteMs,
        lost: routingLost(interval, f),
        broken: [...(reached ? [] : [`the lag did not pass ${critical} s`]), ...routingBroken(f)],
        parts: ["postgres", "pgbouncer"],
        promise: promises.reads(interval, boundMs),
      },
    };
  }
  const reached = await holdPastCritical();
  await o.whileBroken?.();
  log(`no read router: reads on ${replica.name} stay behind until replay resumes (the heal below resumes it)`);
  return {
    name: "postgres-replica-lag",
    ok: reached,
    measured,
    outcome: { broke: lagBroke, brokeAt, serviceWhat: "replay resumed by the heal, the replica current again", serviceBackMs: "at-heal", lost: { what: "acknowledged writes", note: "replay only paused; the primary took every write", count: 0 }, broken: reached ? [] : [`the lag did not pass ${critical} s`], parts: ["postgres", "pgbouncer"], promise: { serviceWithinMs: boundMs + 30_000, healedWithinMs: boundMs + HEALED_WITHIN_MS } },
  };
}


export const DRILLS = {
  "redis-failover": { summary: "kill -9 the Redis master under acknowledged writes; measure Sentinel failover and lost writes", run: redisFailover },
  "postgres-replica-down": { summary: "stop one Postgres replica by pid", run: postgresReplicaDown },
  "pgbouncer-down": { summary: "stop PgBouncer", run: pgbouncerDown },
  "postgres-replica-lag": { summary: "pause WAL replay on a replica and write until its lag passes the critical threshold", run: postgresReplicaLag },
  "postgres-all-replicas-down": { summary: "stop every Postgres replica by pid: reads fall back to the primary", run: postgresAllReplicasDown },
  "redis-master-freeze": { summary: "SIGSTOP the Redis master past down-after under WAIT-acknowledged writes (direct and via Sentinel), SIGCONT; measure writes lost and the window with two masters", run: redisMasterFreeze },
  "redis-master-partition": { summary: "cut the Redis master off from Sentinels and replicas (iptables rules of our own on lo, by port) past down-after while a client on its side keeps writing, heal; measure writes lost and the window with two masters", run: redisMasterPartition },
} as const;

export type DrillName = keyof typeof DRILLS;

/** Options some drills take (the others ignore them). */
export type DrillOptions = FreezeOptions & {
  /** Runs while the fault is in place, before the drill repairs it (a test judging the broken stack). */
  whileBroken?: () => Promise<void>;
  /** Replaces the promise's bound for healing, ms after the break (a test that must not wait 90 s). */
  healedWithinMs?: number;
};

/**
 * Runs a drill on the sandbox in `dir`, holding its lock so no `up` runs meanwhile. Every
 * drill ends healed or at its stated bound: after the drill, what is still down is started
 * again (the `up` heal), and the suite's checks for the parts it touched are run until they
 * are healthy (sandbox/convergence.ts). Then one verdict line (sandbox/verdict.ts); `ok`
 * is its PASS.
 */
export async function runDrill(name: DrillName, dir: string, log: Log = () => undefined, options: DrillOptions = {}): Promise<DrillResult> {
  if (!existsSync(dir)) throw new Error(`no sandbox in ${dir}: start one with \`npm run sandbox -- up\``);
  const release = acquireLock(dir, `drill ${name}`);
  try {
    log(`drill ${name}: ${DRILLS[name].summary}`);
    const run = DRILLS[name].run as (dir: string, log: Log, o: DrillOptions) => Promise<DrillResult>;
    let result: DrillResult;
    const timed = timedHook(options.whileBroken);
    try {
      result = await run(dir, log, { ...options, whileBroken: timed.hook });
    } catch (e) {
      // Put back what it broke before saying why it stopped: a drill never leaves the topology down.
      await healAfter(dir, log).catch((h: Error) => log(`could not heal after the failed drill: ${h.message}`));
      throw e;
    }
    if (!result.outcome) return await judged(dir, name, result, log);
    const promise = options.healedWithinMs === undefined ? result.outcome.promise : { ...result.outcome.promise, healedWithinMs: options.healedWithinMs };
    return await judged(dir, name, { ...result, outcome: heldOpen({ ...result.outcome, promise }, timed.heldMs()) }, log);
  } finally {
    release();
  }
}

/**
 * Starts again what is down (the `up` heal) and rewrites the outputs; returns
 * performance.now() when done (null when it did not finish). A heal that cannot finish within `timeoutMs` (a process
 * alive but not answering: the heal restarts only dead ones) is reported, not thrown:
 * the convergence wait then says what is still unhealthy.
 */
async function healAfter(dir: string, log: Log, timeoutMs = 60_000): Promise<number | null> {
  const state = readState(dir);
  if (!state) throw new Error(`no sandbox state in ${dir}`);
  let h: Awaited<ReturnType<typeof heal>>;
  try {
    h = await heal(state, timeoutMs);
  } catch (e) {
    writeState(state);
    log(`heal did not finish within ${seconds(timeoutMs)}: ${(e as Error).message.split("\n")[0]}`);
    return null;
  }
  writeState(state);
  writeOutputs(state);
  const what = [h.started.length ? `started again ${h.started.join(", ")}` : "", h.resumed.length ? `WAL replay resumed on ${h.resumed.join(", ")}` : "", h.rewritten.length ? `rewrote ${h.rewritten.join(", ")}` : ""].filter(Boolean);
  if (what.length) log(`heal: ${what.join("; ")}`);
  return performance.now();
}

async function judged(dir: string, name: DrillName, result: DrillResult, log: Log): Promise<DrillResult> {
  const o = result.outcome;
  if (!o) throw new Error(`drill ${name} reported no outcome for its verdict (a bug in the drill)`);
  const untilAt = o.brokeAt + o.promise.healedWithinMs;
  const healedAt = await healAfter(dir, log, Math.max(5_000, untilAt - performance.now()));
  const outputs = () => {
    const st = readState(dir);
    const out = st && buildOutputs(st);
    if (!out) throw new Error(`the sandbox in ${dir} writes no outputs (a part was left out): convergence cannot be judged by the suite`);
    return out;
  };
  const conv = await waitConverged(outputs, o.parts, untilAt);
  log(convergedLine(o, conv));
  const input = verdictInput(name, o, healedAt, conv);
  const j = judgeDrill(input);
  const line = formatVerdict(input, j);
  log(line);
  return { ...result, ok: j.pass, verdict: line, measured: { ...result.measured, serviceBackMs: input.serviceBackMs, healedMs: input.healedMs } };
}
