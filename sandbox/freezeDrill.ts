/**
 * Drill `redis-master-freeze`: the gray failure where the master does not die but stops
 * (SIGSTOP: a long GC-like pause, a stuck VM, a partition from everyone at once) for
 * longer than Sentinel's down-after. Sentinel promotes a replica; on SIGCONT the old
 * master still believes it is the master until Sentinel converts it (`+convert-to-slave`),
 * and whatever it accepts meanwhile is discarded when it resyncs from the new master.
 *
 * Two writers run throughout, each write `SET` then `WAIT 1 <ms>`:
 * - direct: one connection kept to the old master (a client that never asks Sentinel);
 * - via Sentinel: follows the master the Sentinels name when a write fails.
 * A write is *accepted* when SET answered OK and *acknowledged* when WAIT also counted a
 * replica. At the end every key is read back from the current master: what is missing is
 * lost. The window with two masters runs from SIGCONT to the old master reporting
 * role:slave. `min-replicas-to-write` (components/redis/render.ts) is what bounds the
 * accepted-then-lost writes; `withoutMinReplicas` turns it off for the run to show the
 * difference.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import type Redis from "ioredis";
import { redisWriteSafety } from "../components/settings/defaults";
import { ms, proc, readyForRedisFailover, requireState, type DrillResult, type Log } from "./drillKit";
import { writeOutputs } from "./outputs";
import { recordAlive, sleep, type ProcessRecord } from "./procs";
import { redisNodes, sentinelTargets, syncRedisMaster, waitRedisHealthy } from "./redis";
import { currentMaster, redisClient, type RedisTarget } from "../components/clients/redis";
import { REDIS_USERS } from "../components/redis/acl";

type Login = { username: string; password: string };
import { writeState } from "./state";
import { promises } from "./convergence";
import { seconds } from "./verdict";

export interface FreezeOptions {
  /** How long the master stays stopped, ms. @default down-after + 8000 */
  freezeMs?: number;
  /** Run with min-replicas-to-write 0 on every node (restored afterwards), to measure the unbounded case. */
  withoutMinReplicas?: boolean;
}

export type Phase = "before" | "frozen" | "resumed";

export interface Writer {
  accepted: string[];
  acked: string[];
  /** Accepted (SET OK) by the old master once it was isolated (frozen or cut off). */
  acceptedByOldAfterResume: number;
  /** Acknowledged (WAIT >= 1) by the old master once it was isolated. */
  ackedByOldAfterResume: number;
  /** Local ports of its connections (the partition lets the direct client's through). */
  localPorts: number[];
  /** Errors by reply kind (NOREPLICAS, READONLY, timeout, connection, ...). */
  errors: Record<string, number>;
  stop(): Promise<void>;
}

function errorKind(e: unknown): string {
  const text = (e as Error).message ?? String(e);
  const word = /^([A-Z]{4,})\b/.exec(text)?.[1];
  if (word) return word;
  if (/timed? ?out/i.test(text)) return "timeout";
  return "connection";
}

/** A Redis writer (SET, then WAIT 1) that follows the master Sentinel names after an error; also the fault matrix's Sentinel-kill row. */
export function startWriter(o: { first: RedisTarget; old: RedisTarget; follow: RedisTarget[] | null; masterName: string; prefix: string; phase: () => Phase; commandTimeoutMs: number }): Writer {
  const w: Writer = { accepted: [], acked: [], acceptedByOldAfterResume: 0, ackedByOldAfterResume: 0, localPorts: [], errors: {}, stop: async () => undefined };
  let stop = false;
  const done = (async () => {
    let target = o.first;
    let client: Redis | null = null;
    let i = 0;
    while (!stop) {
      try {
        if (!client) {
          client = redisClient(target, o.commandTimeoutMs);
          await client.connect();
          w.localPorts.push(localPort(client));
        }
        const key = `${o.prefix}${i++}`;
        const onOld = target.host === o.old.host && target.port === o.old.port;
        await client.set(key, "1");
        const afterResume = onOld && o.phase() !== "before";
        w.accepted.push(key);
        if (afterResume) w.acceptedByOldAfterResume++;
        if (Number(await client.call("WAIT", "1", "500")) >= 1) {
          w.acked.push(key);
          if (afterResume) w.ackedByOldAfterResume++;
        }
        await sleep(5);
      } catch (e) {
        const kind = errorKind(e);
        w.errors[kind] = (w.errors[kind] ?? 0) + 1;
        // A refused write (NOREPLICAS, READONLY) leaves the connection usable.
        if (kind === "timeout" || kind === "connection") {
          client?.disconnect();
          client = null;
        }
        if (o.follow) {
          const m = await currentMaster(o.follow, o.masterName);
          if (m && (m.host !== target.host || m.port !== target.port)) {
            client?.disconnect();
            client = null;
            target = { ...target, host: m.host, port: m.port };
          }
        }
        await sleep(50);
      }
    }
    client?.disconnect();
  })();
  w.stop = async () => {
    stop = true;
    await done;
  };
  return w;
}

function localPort(c: Redis): number {
  return (c as unknown as { stream?: { localPort?: number } }).stream?.localPort ?? 0;
}

/**
 * A partition of our own on loopback: iptables rules that drop every packet to and from
 * the master's port except on the given connections (clients on the master's side).
 * Matched by port on `lo` only; each rule carries a comment naming the drill and port.
 */
export function partitionRules(port: number, keep: number[]): string[][] {
  const comment = ["-m", "comment", "--comment", `datatier-drill-partition-${port}`];
  const except = keep.length ? ["-m", "multiport", "!", "--sports", keep.join(",")] : [];
  const exceptDst = keep.length ? ["-m", "multiport", "!", "--dports", keep.join(",")] : [];
  return [
    ["INPUT", "-i", "lo", "-p", "tcp", "--dport", String(port), ...except, ...comment, "-j", "DROP"],
    ["INPUT", "-i", "lo", "-p", "tcp", "--sport", String(port), ...exceptDst, ...comment, "-j", "DROP"],
  ];
}

const IPTABLES = "/usr/sbin/iptables";

function iptables(action: "-I" | "-D", rule: string[]): void {
  execFileSync(existsSync(IPTABLES) ? IPTABLES : "/sbin/iptables", [action, ...rule], { stdio: "pipe", timeout: 5000 });
}

/** How many of `keys` the node at `at` holds. */
async function countPresent(at: RedisTarget, keys: string[]): Promise<number> {
  const c = redisClient(at, 5000);
  try {
    await c.connect();
    let present = 0;
    for (let i = 0; i < keys.length; i += 500) present += await c.exists(...keys.slice(i, i + 500));
    // Tidy up, best effort.
    for (let i = 0; i < keys.length; i += 500) await c.del(...keys.slice(i, i + 500)).catch(() => undefined);
    return present;
  } finally {
    c.disconnect();
  }
}

async function setMinReplicas(nodes: ProcessRecord[], login: Login, value: number): Promise<void> {
  for (const n of nodes) {
    const c = redisClient({ host: n.host, port: n.port, ...login }, 2000);
    try {
      await c.connect();
      await c.call("CONFIG", "SET", "min-replicas-to-write", String(value));
      // Sentinel runs CONFIG REWRITE on failover: keep the file in step with what runs.
      await c.call("CONFIG", "REWRITE");
    } finally {
      c.disconnect();
    }
  }
}

export async function redisMasterFreeze(dir: string, log: Log, o: FreezeOptions = {}): Promise<DrillResult> {
  return isolateMaster(dir, log, o, "freeze");
}

/** Drill `redis-master-partition`: the master cut off from Sentinels and replicas (iptables on lo), a client on its side keeps writing. */
export async function redisMasterPartition(dir: string, log: Log, o: FreezeOptions = {}): Promise<DrillResult> {
  return isolateMaster(dir, log, o, "partition");
}

async function isolateMaster(dir: string, log: Log, o: FreezeOptions, mode: "freeze" | "partition"): Promise<DrillResult> {
  const state = requireState(dir, "redis");
  const s = state.settings.redis;
  const masterName = s.sentinel.masterName;
  // The operator: CONFIG SET, ROLE on the old master, and the clients that stand in for applications.
  const login: Login = { username: REDIS_USERS.operator, password: state.secrets.redisOperator };
  await readyForRedisFailover(state, log);
  const freezeMs = o.freezeMs ?? s.sentinel.downAfterMs + 8000;
  const safety = redisWriteSafety(s);
  const nodes = redisNodes(state);
  if (o.withoutMinReplicas) {
    await setMinReplicas(nodes, login, 0);
    log("min-replicas-to-write set to 0 on every node for this run (the unbounded case)");
  } else {
    log(`min-replicas-to-write ${safety.minReplicasToWrite}, min-replicas-max-lag ${safety.maxLagSeconds} s (rendered from the settings)`);
  }
  const old = proc(state, state.redis!.master);
  const oldAt = { host: old.host, port: old.port, ...login };
  const sentinels = sentinelTargets(state);
  const tag = randomBytes(4).toString("hex");
  let phase: Phase = "before";
  let resumedAt = 0;
  let brokeAt = performance.now();
  const common = { old: oldAt, masterName, phase: () => phase };
  // The direct client waits out the freeze on its open connection, as an application's would.
  const direct = startWriter({ ...common, first: oldAt, follow: null, prefix: `sandbox:drill:${mode}:${tag}:direct:`, commandTimeoutMs: freezeMs + 10_000 });
  const viaSentinel = startWriter({ ...common, first: oldAt, follow: sentinels, prefix: `sandbox:drill:${mode}:${tag}:sentinel:`, commandTimeoutMs: 1000 });
  let watcher = redisClient(oldAt, freezeMs + 10_000);
  const sentinelWatch = sentinels.map((t) => redisClient(t, 400));
  let firstSentinelMs: number | null = null;
  let allSentinelsMs: number | null = null;
  let promoted: { host: string; port: number } | null = null;
  let twoMastersMs: number | null = null;
  let oldAnsweredAfterResumeMs: number | null = null;
  let convertedAfterMs: number | null = null;
  try {
    await watcher.connect();
    await Promise.all(sentinelWatch.map((w) => w.connect().catch(() => undefined)));
    await sleep(1000);
    log(`before the freeze: ${direct.acked.length} direct and ${viaSentinel.acked.length} via-Sentinel writes acknowledged on ${old.name} (${old.host}:${old.port})`);
    if (!recordAlive(old)) throw new Error(`${old.name} is not running`);
    const t0 = performance.now();
    brokeAt = t0;
    const rules = partitionRules(old.port, [...direct.localPorts, localPort(watcher)].filter((x) => x > 0));
    if (mode === "freeze") {
      log(`SIGSTOP ${old.name} (pid ${old.pid}) for at least ${freezeMs} ms (down-after ${s.sentinel.downAfterMs} ms)`);
      process.kill(old.pid, "SIGSTOP");
    } else {
      log(`cutting ${old.name} (port ${old.port}) off from Sentinels and replicas on lo for at least ${freezeMs} ms; the direct client (ports ${direct.localPorts.join(", ")}) stays on its side`);
      const added: string[][] = [];
      try {
        for (const r of rules) {
          iptables("-I", r);
          added.push(r);
        }
      } catch (e) {
        for (const r of added) iptables("-D", r);
        throw new Error(`cannot add the partition's iptables rules (needs root and iptables): ${(e as Error).message}`);
      }
    }
    phase = "frozen";
    try {
      const seen = new Map<number, number>();
      const bound = freezeMs + 20_000;
      while (performance.now() - t0 < bound) {
        const answers = await Promise.all(sentinelWatch.map((w) => (w.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName) as Promise<[string, string] | null>).catch(() => null)));
        answers.forEach((a, i) => {
          if (a && !(a[0] === old.host && Number(a[1]) === old.port) && !seen.has(i)) {
            seen.set(i, ms(t0));
            promoted = { host: a[0], port: Number(a[1]) };
          }
        });
        if (seen.size === sentinels.length && performance.now() - t0 >= freezeMs) break;
        await sleep(100);
      }
      firstSentinelMs = seen.size ? Math.min(...seen.values()) : null;
      allSentinelsMs = seen.size === sentinels.length ? Math.max(...seen.values()) : null;
    } finally {
      if (mode === "freeze") process.kill(old.pid, "SIGCONT");
      else for (const r of rules) iptables("-D", r);
      resumedAt = performance.now();
      phase = "resumed";
    }
    log(`${mode === "freeze" ? "SIGCONT" : "partition healed"} ${old.name} after ${ms(t0)} ms; first Sentinel named a new master after ${firstSentinelMs ?? "-"} ms, all ${sentinels.length} after ${allSentinelsMs ?? "-"} ms`);
    // Partitioned, the old master answered its side all along: two masters from the promotion on.
    const twoMastersFrom = mode === "freeze" || firstSentinelMs === null ? resumedAt : t0 + firstSentinelMs;
    // The window with two masters: until the old master reports role:slave.
    const bound = 30_000;
    while (performance.now() - resumedAt < bound) {
      const role = await watcher.call("ROLE").then(
        (r) => String((r as unknown[])[0]),
        () => {
          // Sentinel kills client connections when it reconfigures a node: ask again on a new one.
          watcher.disconnect();
          watcher = redisClient(oldAt, 1000);
          watcher.connect().catch(() => undefined);
          return "unknown";
        },
      );
      if (oldAnsweredAfterResumeMs === null && role !== "unknown") oldAnsweredAfterResumeMs = ms(resumedAt);
      if (role === "slave") {
        twoMastersMs = ms(twoMastersFrom);
        convertedAfterMs = ms(resumedAt);
        break;
      }
      await sleep(25);
    }
    log(`${old.name} answered ${oldAnsweredAfterResumeMs ?? "-"} ms after ${mode === "freeze" ? "SIGCONT" : "the heal"} and reported role:slave ${convertedAfterMs ?? `more than ${bound}`} ms after it; the window with two masters: ${twoMastersMs ?? "-"} ms`);
    await sleep(1000);
  } finally {
    await Promise.all([direct.stop(), viaSentinel.stop()]);
    watcher.disconnect();
    sentinelWatch.forEach((w) => w.disconnect());
  }
  const readFrom = (await currentMaster(sentinels, masterName)) ?? promoted ?? old;
  const at = { host: readFrom.host, port: readFrom.port, ...login };
  const figures = async (w: Writer) => {
    const ackedPresent = await countPresent(at, w.acked);
    const notAcked = w.accepted.filter((k) => !new Set(w.acked).has(k));
    const notAckedPresent = await countPresent(at, notAcked);
    return { accepted: w.accepted.length, acked: w.acked.length, ackedLost: w.acked.length - ackedPresent, acceptedLost: w.acked.length - ackedPresent + (notAcked.length - notAckedPresent) };
  };
  const d = await figures(direct);
  const v = await figures(viaSentinel);
  const errs = (w: Writer) => Object.entries(w.errors).map(([k, n]) => `${k} ${n}`).join(", ") || "none";
  log(`direct to ${old.name}: ${d.accepted} accepted, ${d.acked} acknowledged by WAIT 1; lost: ${d.ackedLost} acknowledged, ${d.acceptedLost} accepted; accepted by ${old.name} once isolated: ${direct.acceptedByOldAfterResume}; refused: ${errs(direct)}`);
  log(`via Sentinel: ${v.accepted} accepted, ${v.acked} acknowledged by WAIT 1; lost: ${v.ackedLost} acknowledged, ${v.acceptedLost} accepted; refused: ${errs(viaSentinel)}`);

  if (o.withoutMinReplicas) {
    await setMinReplicas(redisNodes(state), login, safety.minReplicasToWrite);
    log(`min-replicas-to-write restored to ${safety.minReplicasToWrite} on every node`);
  }
  await waitRedisHealthy(state, 30_000);
  await syncRedisMaster(state);
  state.lastRedisFailoverAt = new Date().toISOString();
  writeState(state);
  const outputs = writeOutputs(state);
  log(`healthy again: ${state.redis!.master} is the master; ${old.name} a replica${outputs ? `; ${outputs} rewritten` : ""}`);
  const promotedName = promoted ? (nodes.find((n) => n.host === promoted!.host && n.port === promoted!.port)?.name ?? `${promoted!.host}:${promoted!.port}`) : null;
  return {
    name: mode === "freeze" ? "redis-master-freeze" : "redis-master-partition",
    ok: d.ackedLost === 0 && v.ackedLost === 0 && allSentinelsMs !== null && twoMastersMs !== null,
    outcome: {
      broke: mode === "freeze" ? `SIGSTOP of the Redis master ${old.name} for ${seconds(freezeMs)} (down-after ${seconds(s.sentinel.downAfterMs)})` : `the Redis master ${old.name} cut off from Sentinels and replicas for ${seconds(freezeMs)} (down-after ${seconds(s.sentinel.downAfterMs)})`,
      brokeAt,
      serviceWhat: "every Sentinel names a new master, which writers following Sentinel then use",
      serviceBackMs: allSentinelsMs,
      lost: { what: "acknowledged writes", note: "direct to the old master and via Sentinel", count: d.ackedLost + v.ackedLost, of: d.acked + v.acked },
      broken: twoMastersMs === null ? [`${old.name} did not report role:slave within 30 s of ${mode === "freeze" ? "SIGCONT" : "the heal"}`] : [],
      parts: ["redis"],
      // The master stays isolated for freezeMs by design: the bounds start after it.
      promise: promises.redis(freezeMs),
    },
    measured: {
      oldMaster: old.name,
      promoted: promotedName,
      minReplicasToWrite: o.withoutMinReplicas ? 0 : safety.minReplicasToWrite,
      minReplicasMaxLagSeconds: safety.maxLagSeconds,
      freezeMs,
      firstSentinelMs,
      allSentinelsMs,
      twoMastersMs,
      convertedAfterMs,
      directAccepted: d.accepted,
      directAcked: d.acked,
      directAckedLost: d.ackedLost,
      directAcceptedLost: d.acceptedLost,
      directAcceptedByOldAfterResume: direct.acceptedByOldAfterResume,
      directAckedByOldAfterResume: direct.ackedByOldAfterResume,
      directRefusedNoReplicas: direct.errors.NOREPLICAS ?? 0,
      viaSentinelAcked: v.acked,
      viaSentinelAckedLost: v.ackedLost,
      viaSentinelAcceptedLost: v.acceptedLost,
    },
  };
}
