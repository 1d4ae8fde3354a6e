/**
 * Drills on the dev stack's containers: break one thing, measure, put it back, wait until
 * the suite's checks for what it touched are healthy again, and judge (one verdict line).
 *
 * redis-failover kills the master's container and writes from the host through Sentinel
 * the whole time: each write is acknowledged by `WAIT 1` (a replica has it); the time
 * until a write begun after the kill is acknowledged is the failover time, and every
 * acknowledged key is read back from the new master afterwards (lost = missing).
 */
import type Docker from "dockerode";
import type Redis from "ioredis";
import type { StackOutputs } from "../components/contract/outputs";
import { hostSide, redisLogin } from "../checks/lib/redis";
import { currentMaster, parseInfo, redisClient, withRedis, type RedisTarget } from "../components/clients/redis";
import { readFileSync } from "node:fs";
import { withPg } from "../components/clients/postgres";
import { measureRouting, routingBroken, routingLost, routingMeasured, type RoutingProbe } from "../sandbox/readRoutingDrill";
import { convergedLine, heldOpen, promises, timedHook, verdictInput, waitConverged, type DrillOutcome } from "../sandbox/convergence";
import { formatVerdict, judgeDrill } from "../sandbox/verdict";
import type { Log } from "./apply";
import { DEVSTACK_LABEL } from "./plan";

export const DRILLS = ["redis-failover", "postgres-replica-down", "pgbouncer-down"] as const;
export type DrillName = (typeof DRILLS)[number];

export interface DrillResult {
  name: DrillName;
  measured: Record<string, number | string | null>;
  /** The drill put back what it broke (every drill now does: it starts what it stopped). */
  repaired: boolean;
  /** The verdict's PASS: the promise kept and the topology converged again (sandbox/verdict.ts). */
  ok: boolean;
  /** The verdict line, printed once, last. */
  verdict: string;
  /** The reads' one line (`reads: N ok, ...`), when a read loop ran across the drill, as the sandbox drills print it. */
  line?: string;
}

export interface DrillOptions {
  /** Runs while the fault is in place, before the drill puts back what it broke (a test judging the broken stack). */
  whileBroken?: () => Promise<void>;
  /** Replaces the promise's bound for healing, ms after the break (a test that must not wait 90 s). */
  healedWithinMs?: number;
}

/** What one drill measured, before the heal and the verdict. */
type Measured = Omit<DrillResult, "ok" | "verdict"> & { outcome: DrillOutcome };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Sentinels, logged in as the operator (they refuse anonymous clients). */
const sentinelsAsOperator = (outputs: StackOutputs): RedisTarget[] => outputs.redis.sentinels.map((s) => ({ ...s, ...redisLogin(outputs, "operator") }));

/** In-network "host:port" the Sentinels name as master, and where the host reaches it. */
async function master(outputs: StackOutputs): Promise<{ inNetwork: { host: string; port: number }; host: RedisTarget } | null> {
  const m = await currentMaster(sentinelsAsOperator(outputs), outputs.redis.sentinelMasterName ?? "");
  if (!m) return null;
  const at = hostSide(outputs, m);
  return { inNetwork: m, host: { ...at, ...redisLogin(outputs, "operator") } };
}

async function redisFailover(docker: Docker, outputs: StackOutputs, log: Log, o: DrillOptions): Promise<Measured> {
  const before = await master(outputs);
  if (!before) throw new Error("no Sentinel names a master: run `npm run dev-stack -- up` first");
  const victim = before.inNetwork.host;
  let killedAt: number | null = null;
  let firstAckAfterKill: number | null = null;
  const acked: string[] = [];
  let failures = 0;
  let stop = false;
  const prefix = `devstack-drill:${Date.now()}:`;
  const writer = (async () => {
    let target = before.host;
    let c: Redis | null = null;
    let i = 0;
    while (!stop) {
      try {
        if (!c) {
          // Above WAIT's own 1 s: a loaded host acknowledges slowly, and a client timeout
          // shorter than WAIT would count every slow acknowledgement as a failed write.
          c = redisClient(target, 3000);
          await c.connect();
        }
        const begunAfterKill = killedAt !== null;
        const key = `${prefix}${i++}`;
        await c.set(key, "1");
        if (Number(await c.call("WAIT", "1", "1000")) >= 1) {
          acked.push(key);
          if (begunAfterKill && firstAckAfterKill === null) firstAckAfterKill = performance.now();
        }
        await sleep(5);
      } catch {
        failures++;
        c?.disconnect();
        c = null;
        const m = await master(outputs);
        if (m) target = m.host;
        await sleep(100);
      }
    }
    c?.disconnect();
  })();
  // A baseline first: writes acknowledged before the kill, else there is nothing to measure.
  const ready = performance.now() + 15_000;
  while (acked.length < 20 && performance.now() < ready) await sleep(100);
  if (acked.length === 0) {
    stop = true;
    await writer;
    throw new Error(`no write to the master ${victim} was acknowledged by a replica (WAIT 1) within 15 s: the drill needs a healthy stack (npm run dev-stack -- up)`);
  }
  log(`killing the master's container ${victim}`);
  await docker.getContainer(victim).kill();
  killedAt = performance.now();
  let after: Awaited<ReturnType<typeof master>> = null;
  let lost: number | null = null;
  try {
    // Sentinel in TILT (its timer starved on a loaded host) waits 30 s before acting.
    const deadline = killedAt + 90_000;
    while (firstAckAfterKill === null && performance.now() < deadline) await sleep(100);
    await sleep(500);
    stop = true;
    await writer;
    // Read every acknowledged key back from the master the Sentinels name now (a loaded
    // machine may drop one connection: a few tries, each asking Sentinel again).
    for (let attempt = 0; attempt < 5 && lost === null; attempt++) {
      after = await master(outputs);
      if (!after) {
        await sleep(1000);
        continue;
      }
      const c = redisClient(after.host, 3000);
      try {
        await c.connect();
        let found = 0;
        for (let i = 0; i < acked.length; i += 500) found += await c.exists(...acked.slice(i, i + 500));
        lost = acked.length - found;
        for (let i = 0; i < acked.length; i += 500) await c.del(...acked.slice(i, i + 500));
      } catch {
        await sleep(1000);
      } finally {
        c.disconnect();
      }
    }
    await o.whileBroken?.();
  } finally {
    stop = true;
    await writer;
    // The old master comes back as a replica of the new one (Sentinel reconfigures it).
    await docker.getContainer(victim).start();
    log(`started ${victim} again; Sentinel makes it a replica of ${after ? `${after.inNetwork.host}:${after.inNetwork.port}` : "the new master"}`);
  }
  const failoverMs = firstAckAfterKill !== null ? Math.round(firstAckAfterKill - killedAt) : null;
  return {
    name: "redis-failover",
    repaired: true,
    outcome: {
      broke: `killed the Redis master's container ${victim}`,
      brokeAt: killedAt,
      serviceWhat: "a write begun after the kill acknowledged by a replica (WAIT 1), through Sentinel from the host",
      serviceBackMs: failoverMs,
      lost: { what: "acknowledged writes", count: lost, of: acked.length },
      broken: [],
      parts: ["redis"],
      promise: promises.redis(),
    },
    measured: {
      oldMaster: victim,
      newMaster: after ? after.inNetwork.host : null,
      failoverMs,
      ackedWrites: acked.length,
      ackedWritesLost: lost,
      failedWrites: failures,
    },
  };
}

export interface SentinelsSettled {
  /** Time until every Sentinel was settled, ms. */
  waitedMs: number;
  /** Why they were not settled when first asked (empty: settled at once). */
  first: string[];
}

/** What keeps one Sentinel from being settled (empty when it is). */
async function sentinelUnsettled(s: RedisTarget, masterName: string): Promise<string[]> {
  try {
    return await withRedis(
      s,
      async (c) => {
        const problems: string[] = [];
        const quorum = await c.call("SENTINEL", "CKQUORUM", masterName).then(String, (e: Error) => e.message);
        if (!quorum.startsWith("OK")) problems.push(`${s.port}: ${quorum}`);
        const info = parseInfo(String(await c.call("INFO", "sentinel")));
        if (info.sentinel_tilt !== "0") problems.push(`${s.port}: in TILT for ${info.sentinel_tilt_since_seconds ?? "?"} s`);
        const master = (await c.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)) as string[] | null;
        return master ? [...problems, `master=${master.join(":")}`] : [...problems, `${s.port}: names no master`];
      },
      2000,
    );
  } catch (e) {
    return [`${s.port}: ${(e as Error).message}`];
  }
}

/**
 * Waits until every Sentinel is settled by its own account: CKQUORUM OK, out of TILT, and
 * all naming one master. A Sentinel whose timer stalled past 2 s (a loaded or paused host)
 * stays in TILT for 30 s, so the bound is above that. Drills judge the suite from here.
 */
export async function waitSentinelsSettled(outputs: StackOutputs, timeoutMs = 45_000): Promise<SentinelsSettled> {
  const t0 = performance.now();
  const name = outputs.redis.sentinelMasterName ?? "";
  let first: string[] | null = null;
  for (;;) {
    const views = await Promise.all(sentinelsAsOperator(outputs).map((s) => sentinelUnsettled(s, name)));
    const masters = new Set(views.flatMap((v) => v.filter((x) => x.startsWith("master="))));
    const problems = [...views.flatMap((v) => v.filter((x) => !x.startsWith("master="))), ...(masters.size > 1 ? [`they name ${masters.size} masters: ${[...masters].join(", ")}`] : [])];
    first ??= problems;
    if (problems.length === 0) return { waitedMs: Math.round(performance.now() - t0), first };
    if (performance.now() - t0 > timeoutMs) throw new Error(`the Sentinels did not settle within ${timeoutMs} ms: ${problems.join("; ")}`);
    await sleep(500);
  }
}

/** The stack's containers with a role label (components set datatier.role). */
async function byRole(docker: Docker, stack: string, role: string): Promise<string[]> {
  const cs = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${DEVSTACK_LABEL}=${stack}`, `datatier.role=${role}`] }) });
  return cs.map((c) => c.Names[0].replace(/^\//, "")).sort();
}

/** The read router's probe on the dev stack: the pool published on the host, the state file in the bound folder; null without a running router. */
async function routerProbe(docker: Docker, stack: string, outputs: StackOutputs): Promise<RoutingProbe | null> {
  const rr = outputs.pgbouncer.readRouting;
  const stateFile = rr?.stateFile;
  if (!rr || !stateFile) return null;
  const running = await docker.listContainers({ filters: JSON.stringify({ label: [`${DEVSTACK_LABEL}=${stack}`, "datatier.role=read-router"] }) });
  if (running.length === 0) return null;
  return {
    pool: { ...outputs.pgbouncer.endpoint, user: outputs.postgres.monitoringUser, password: outputs.credentials.postgresMonitoringPassword, database: outputs.pgbouncer.readOnlyDatabase },
    intervalMs: rr.intervalMs,
    healthy: () => {
      try {
        return (JSON.parse(readFileSync(stateFile, "utf8")) as { healthy?: string[] }).healthy ?? null;
      } catch {
        return null;
      }
    },
  };
}

/** Starts the replica's container and waits until it serves reads from the host (in recovery), at most `ms`. */
async function startReplica(docker: Docker, outputs: StackOutputs, name: string, log: Log, ms = 60_000): Promise<void> {
  const t0 = performance.now();
  await docker.getContainer(name).start();
  const at = outputs.postgres.replicas.find((r) => r.id === name);
  if (!at) throw new Error(`drill postgres-replica-down: the outputs name no replica ${name}`);
  const target = { host: at.host, port: at.port, user: outputs.postgres.monitoringUser, password: outputs.credentials.postgresMonitoringPassword, database: outputs.postgres.database };
  let last = "";
  while (performance.now() - t0 < ms) {
    const ok = await withPg(target, async (c) => (await c.query<{ r: boolean }>("select pg_is_in_recovery() as r")).rows[0].r, 3000).catch((e: Error) => ((last = e.message), false));
    if (ok) {
      log(`started ${name} again: serving reads (in recovery) after ${Math.round(performance.now() - t0)} ms`);
      return;
    }
    await sleep(250);
  }
  throw new Error(`drill postgres-replica-down: ${name} started but did not serve reads within ${ms} ms (${last || "not in recovery"}); \`npm run dev-stack -- up\` reports why`);
}

/**
 * Stops the first replica's container. With the read router running (the default), a
 * read loop runs through the read-only pool across the stop and the restart, and the
 * drill starts the replica again (as the sandbox drill does); without it the replica
 * stays down until `up`.
 */
async function postgresReplicaDown(docker: Docker, stack: string, outputs: StackOutputs, log: Log, o: DrillOptions): Promise<Measured> {
  const [target] = await byRole(docker, stack, "postgres-replica");
  if (!target) throw new Error("drill postgres-replica-down: the dev stack has no such container running: run `npm run dev-stack -- up` first");
  const measured: DrillResult["measured"] = { stopped: target };
  let brokeAt = performance.now();
  const broke = `stopped the Postgres replica's container ${target}`;
  const parts: DrillOutcome["parts"] = ["postgres", "pgbouncer"];
  const stop = async () => {
    const t0 = performance.now();
    brokeAt = t0;
    log(`stopping container ${target}`);
    await docker.getContainer(target).stop({ t: 5 });
    measured.stopMs = Math.round(performance.now() - t0);
  };
  const probe = await routerProbe(docker, stack, outputs);
  if (!probe) {
    await stop();
    await o.whileBroken?.();
    await startReplica(docker, outputs, target, log);
    return {
      name: "postgres-replica-down",
      measured,
      repaired: true,
      outcome: { broke, brokeAt, serviceWhat: "the read-only pool answers again, from the restarted replica (no read router)", serviceBackMs: "at-heal", lost: { what: "acknowledged writes", note: "the primary took every write", count: 0 }, broken: [], parts, promise: promises.restart() },
    };
  }
  try {
    // The reads' line is the drill's last line (the CLI prints it after the figures), not a progress line too.
    const progress: Log = (s) => void (s.startsWith("reads: ") || log(s));
    const f = await measureRouting(probe, progress, { names: [target], onPrimary: outputs.postgres.replicas.length === 1, breakIt: stop, repair: () => startReplica(docker, outputs, target, log), whileBroken: o.whileBroken });
    Object.assign(measured, routingMeasured(f));
    delete measured.reads;
    const lost = routingLost(probe.intervalMs, f);
    const broken = routingBroken(f);
    return {
      name: "postgres-replica-down",
      measured,
      repaired: true,
      line: f.line,
      outcome: { broke, brokeAt: f.brokeAt, serviceWhat: `reads through the read-only pool served by ${outputs.postgres.replicas.length === 1 ? "the primary" : "the remaining replicas"}`, serviceBackMs: f.rerouteMs, lost, broken, parts, promise: promises.reads(probe.intervalMs) },
    };
  } finally {
    // Put back what the drill broke even when it failed half-way (a failed repair is reported by `up`).
    const st = await docker.getContainer(target).inspect().catch(() => null);
    if (st && !st.State.Running) await docker.getContainer(target).start().catch(() => undefined);
  }
}

/** Stops PgBouncer's container; the heal starts it again. */
async function pgbouncerDown(docker: Docker, stack: string, log: Log, o: DrillOptions): Promise<Measured> {
  const [target] = await byRole(docker, stack, "pgbouncer");
  if (!target) throw new Error("drill pgbouncer-down: the dev stack has no such container running: run `npm run dev-stack -- up` first");
  const t0 = performance.now();
  log(`stopping container ${target}`);
  await docker.getContainer(target).stop({ t: 5 });
  const stopMs = Math.round(performance.now() - t0);
  await o.whileBroken?.();
  return {
    name: "pgbouncer-down",
    measured: { stopped: target, stopMs },
    repaired: true,
    outcome: {
      broke: `stopped PgBouncer's container ${target}`,
      brokeAt: t0,
      serviceWhat: "PgBouncer's container started by the heal, the read-write pool answering",
      serviceBackMs: "at-heal",
      lost: { what: "acknowledged writes", note: "PgBouncer holds none", count: 0 },
      broken: [],
      parts: ["pgbouncer"],
      promise: promises.restart(),
    },
  };
}

/**
 * Starts every stopped container of the stack, then waits until the read-write pool answers
 * from the host (at most until `untilAt`); performance.now() then, or null.
 */
async function healContainers(docker: Docker, stack: string, outputs: StackOutputs, log: Log, untilAt: number): Promise<number | null> {
  const stopped = (await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${DEVSTACK_LABEL}=${stack}`] }) })).filter((c) => c.State !== "running");
  for (const c of stopped) await docker.getContainer(c.Id).start();
  if (stopped.length) log(`heal: started again ${stopped.map((c) => c.Names[0].replace(/^\//, "")).join(", ")}`);
  const pool = { ...outputs.pgbouncer.endpoint, user: outputs.postgres.monitoringUser, password: outputs.credentials.postgresMonitoringPassword, database: outputs.pgbouncer.readWriteDatabase };
  do {
    const ok = await withPg(pool, (c) => c.query("select 1"), 2000).then(() => true, () => false);
    if (ok) return performance.now();
    await sleep(250);
  } while (performance.now() < untilAt);
  log("heal: the read-write pool did not answer within the drill's bound");
  return null;
}

/**
 * Runs a drill on the dev stack. Every drill ends healed or at its stated bound: what is
 * stopped is started again, and the suite's checks for the parts it touched are run until
 * healthy (sandbox/convergence.ts, the sandbox drills' definition). Then one verdict line
 * (sandbox/verdict.ts), logged last; `ok` is its PASS.
 */
export async function runDrill(name: DrillName, docker: Docker, stack: string, outputs: StackOutputs, log: Log, o: DrillOptions = {}): Promise<DrillResult> {
  let m: Measured;
  const timed = timedHook(o.whileBroken);
  const d: DrillOptions = { ...o, whileBroken: timed.hook };
  try {
    m = name === "redis-failover" ? await redisFailover(docker, outputs, log, d) : name === "postgres-replica-down" ? await postgresReplicaDown(docker, stack, outputs, log, d) : await pgbouncerDown(docker, stack, log, d);
  } catch (e) {
    // Put back what it broke before saying why it stopped.
    await healContainers(docker, stack, outputs, log, performance.now() + 30_000).catch(() => null);
    throw e;
  }
  const outcome = heldOpen(o.healedWithinMs === undefined ? m.outcome : { ...m.outcome, promise: { ...m.outcome.promise, healedWithinMs: o.healedWithinMs } }, timed.heldMs());
  const untilAt = outcome.brokeAt + outcome.promise.healedWithinMs;
  const healedAt = await healContainers(docker, stack, outputs, log, untilAt);
  const conv = await waitConverged(() => outputs, outcome.parts, untilAt);
  log(convergedLine(outcome, conv));
  const input = verdictInput(name, outcome, healedAt, conv);
  const j = judgeDrill(input);
  const { name: drill, measured, repaired, line } = m;
  // The caller prints the verdict last (the CLI after the figures), so it is not logged here.
  return { name: drill, repaired, line, ok: j.pass, verdict: formatVerdict(input, j), measured: { ...measured, serviceBackMs: input.serviceBackMs, healedMs: input.healedMs } };
}
