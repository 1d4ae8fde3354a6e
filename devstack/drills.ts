/**
 * Drills on the dev stack's containers: break one thing, measure, report. `up` heals
 * (it starts every stopped container of the stack and waits for its health).
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
import { measureRouting, routingMeasured, type RoutingProbe } from "../sandbox/readRoutingDrill";
import type { Log } from "./apply";
import { DEVSTACK_LABEL } from "./plan";

export const DRILLS = ["redis-failover", "postgres-replica-down", "pgbouncer-down"] as const;
export type DrillName = (typeof DRILLS)[number];

export interface DrillResult {
  name: DrillName;
  measured: Record<string, number | string | null>;
  /** The drill put back what it broke (else `up` heals). */
  repaired: boolean;
  /** The reads' one line (`reads: N ok, ...`), when a read loop ran across the drill, as the sandbox drills print it. */
  line?: string;
}

export interface DrillOptions {
  /** postgres-replica-down with the router: runs while the replica is down, before the drill starts it again. */
  whileBroken?: () => Promise<void>;
}

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

async function redisFailover(docker: Docker, outputs: StackOutputs, log: Log): Promise<DrillResult> {
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
  } finally {
    stop = true;
    await writer;
    // The old master comes back as a replica of the new one (Sentinel reconfigures it).
    await docker.getContainer(victim).start();
    log(`started ${victim} again; Sentinel makes it a replica of ${after ? `${after.inNetwork.host}:${after.inNetwork.port}` : "the new master"}`);
  }
  return {
    name: "redis-failover",
    repaired: true,
    measured: {
      oldMaster: victim,
      newMaster: after ? after.inNetwork.host : null,
      failoverMs: firstAckAfterKill !== null ? Math.round(firstAckAfterKill - killedAt) : null,
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
async function postgresReplicaDown(docker: Docker, stack: string, outputs: StackOutputs, log: Log, o: DrillOptions): Promise<DrillResult> {
  const [target] = await byRole(docker, stack, "postgres-replica");
  if (!target) throw new Error("drill postgres-replica-down: the dev stack has no such container running: run `npm run dev-stack -- up` first");
  const measured: DrillResult["measured"] = { stopped: target };
  const stop = async () => {
    const t0 = performance.now();
    log(`stopping container ${target}`);
    await docker.getContainer(target).stop({ t: 5 });
    measured.stopMs = Math.round(performance.now() - t0);
  };
  const probe = await routerProbe(docker, stack, outputs);
  if (!probe) {
    await stop();
    return { name: "postgres-replica-down", measured, repaired: false };
  }
  try {
    // The reads' line is the drill's last line (the CLI prints it after the figures), not a progress line too.
    const progress: Log = (s) => void (s.startsWith("reads: ") || log(s));
    const f = await measureRouting(probe, progress, { names: [target], onPrimary: outputs.postgres.replicas.length === 1, breakIt: stop, repair: () => startReplica(docker, outputs, target, log), whileBroken: o.whileBroken });
    Object.assign(measured, routingMeasured(f));
    delete measured.reads;
    return { name: "postgres-replica-down", measured, repaired: true, line: f.line };
  } finally {
    // Put back what the drill broke even when it failed half-way (a failed repair is reported by `up`).
    const st = await docker.getContainer(target).inspect().catch(() => null);
    if (st && !st.State.Running) await docker.getContainer(target).start().catch(() => undefined);
  }
}

export async function runDrill(name: DrillName, docker: Docker, stack: string, outputs: StackOutputs, log: Log, o: DrillOptions = {}): Promise<DrillResult> {
  if (name === "redis-failover") return redisFailover(docker, outputs, log);
  if (name === "postgres-replica-down") return postgresReplicaDown(docker, stack, outputs, log, o);
  const [target] = await byRole(docker, stack, "pgbouncer");
  if (!target) throw new Error(`drill ${name}: the dev stack has no such container running: run \`npm run dev-stack -- up\` first`);
  const t0 = performance.now();
  log(`stopping container ${target}`);
  await docker.getContainer(target).stop({ t: 5 });
  return { name, measured: { stopped: target, stopMs: Math.round(performance.now() - t0) }, repaired: false };
}
