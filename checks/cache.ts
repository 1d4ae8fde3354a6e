/**
 * Cache checks (Redis data path): the master Sentinel names is a master, replicas are
 * attached and receive writes, AUTH is enforced, Sentinels agree and have a quorum,
 * hit rate and client-side GET time against the stack's thresholds.
 */
import { randomBytes } from "node:crypto";
import type { StackOutputs } from "../components/contract/outputs";
import { absentCheck } from "./absent";
import { describeThreshold, errorText, judged, percentile, round, sleep, thresholdOf } from "./lib/measure";
import { addr, askSentinel, hostSide, countedGet, dataNodeOptions, selfLookupsAt, info, locateMaster, sentinelOptions, smokeKey, withRedis, type Address } from "./lib/redis";
import { persistenceMessage } from "./lib/redisPersistence";
import type { Check, CheckContext, CheckFactory, CheckOutcome } from "./types";

/** GETs in the latency sample. */
export const GET_SAMPLE_SIZE = 200;
/** The hit rate is measured over this window (INFO stats before and after). */
export const HIT_RATE_WINDOW_MS = 1_000;
/** Below this many application lookups (hits + misses) in the window, the hit rate is not judged. */
export const MIN_LOOKUPS_FOR_HIT_RATE = 50;

const group = "cache" as const;

/** A replica ACKs every second: one silent for longer than this is not replicating (three missed ACKs). */
export const STALE_ACK_SECONDS = 3;

/** One `slaveN:ip=...,port=...,state=online,offset=...,lag=N` line of INFO replication. */
export function replicaLine(v: string): { at: string; online: boolean; lag: number } {
  const f = Object.fromEntries(v.split(",").map((kv) => kv.split("=") as [string, string]));
  return { at: `${f.ip}:${f.port}`, online: f.state === "online", lag: Number(f.lag ?? 0) };
}

/** Replica checks wait for data up to the replica-lag critical level (+ margin). */
function lagTimeoutMs(outputs: StackOutputs): number {
  return Math.ceil(thresholdOf(outputs, "replicaLag").critical * 1000) + 2_000;
}

function primaryCheck(outputs: StackOutputs): Check {
  return {
    id: "redis.primary",
    group,
    title: "Primary reachable and role master",
    async run(ctx) {
      const m = await locateMaster(ctx, outputs);
      const rep = await withRedis(ctx, m.at, dataNodeOptions(outputs, "Redis master"), (c) => info(c, "replication"));
      const name = m.node ? `${m.node} (${addr(m.at)})` : addr(m.at);
      if (rep.role !== "master") return { status: "FAIL", message: `${name}, named by ${m.via}, reports role ${rep.role}, not master` };
      const moved = addr(m.at) !== addr(outputs.redis.primary) ? `; the master moved from ${addr(outputs.redis.primary)} since deploy (a failover)` : "";
      return { status: "PASS", message: `${name}, named by ${m.via}, is the master with ${rep.connected_slaves ?? "?"} replica(s) connected${moved}` };
    },
  };
}

function replicasConnectedCheck(outputs: StackOutputs): Check {
  const expected = outputs.redis.expectedReplicas;
  return {
    id: "redis.replicas-connected",
    group,
    title: `Master has ${expected} replica(s) connected`,
    async run(ctx) {
      const m = await locateMaster(ctx, outputs);
      const rep = await withRedis(ctx, m.at, dataNodeOptions(outputs, "Redis master"), (c) => info(c, "replication"));
      const connected = Number(rep.connected_slaves ?? 0);
      const replicas = Object.entries(rep).filter(([k]) => /^slave\d+$/.test(k)).map(([, v]) => replicaLine(v));
      // A frozen or cut-off replica stays "online" on the master until repl-timeout (60 s):
      // the seconds since its last ACK (sent every second) tell it apart.
      const stale = replicas.filter((r) => r.online && r.lag > STALE_ACK_SECONDS);
      const online = replicas.filter((r) => r.online && r.lag <= STALE_ACK_SECONDS).length;
      const base = { measured: { value: online, unit: "count" }, threshold: `>= ${expected} expected replicas online, each acknowledging within ${STALE_ACK_SECONDS} s` };
      const staleNote = stale.length ? `; ${stale.map((r) => `${r.at} online but last acknowledged ${r.lag} s ago (frozen or cut off?)`).join(", ")}` : "";
      if (online >= expected) return { ...base, status: "PASS", message: `${online} replica(s) online on the master (${connected} connected; ${expected} expected)${staleNote}` };
      // Some redundancy left: warn; none left while replicas are expected: no failover possible.
      return { ...base, status: online === 0 ? "FAIL" : "WARN", message: `only ${online} of ${expected} expected replica(s) online on the master${online === 0 ? ": no replica can take over" : ""}${staleNote}` };
    },
  };
}

function nodeCheck(outputs: StackOutputs, node: StackOutputs["redis"]["nodes"][number]): Check {
  return {
    id: `redis.node.${node.name}`,
    group,
    title: `Node ${node.name}: master, or replica with its link up; persisting to disk`,
    async run(ctx) {
      const m = await locateMaster(ctx, outputs);
      const [rep, persistence] = await withRedis(ctx, node, dataNodeOptions(outputs, `Redis node ${node.name}`), (c) => Promise.all([info(c, "replication"), info(c, "persistence")]));
      // A failed AOF write, rewrite or snapshot while the node still answers (checks/lib/redisPersistence.ts).
      const cannotPersist = persistenceMessage(node.name, persistence);
      if (cannotPersist) return { status: "FAIL", message: cannotPersist };
      const sentinelKnows = outputs.redis.sentinels.length > 0;
      const isCurrent = addr(node) === addr(m.at);
      if (rep.role === "master") {
        if (sentinelKnows && !isCurrent) return { status: "FAIL", message: `${node.name} (${addr(node)}) claims role master but ${m.via} names ${addr(m.at)}: two masters` };
        return { status: "PASS", message: `${node.name} is the master` };
      }
      if (rep.master_link_status !== "up") return { status: "FAIL", message: `${node.name} is a replica with master_link_status ${rep.master_link_status ?? "missing"} (last I/O ${rep.master_last_io_seconds_ago ?? "?"} s ago)` };
      const follows = addr(hostSide(outputs, { host: rep.master_host, port: Number(rep.master_port) }));
      if (sentinelKnows && follows !== addr(m.at)) return { status: "FAIL", message: `${node.name} replicates from ${follows}, but ${m.via} names ${addr(m.at)} as the master` };
      return { status: "PASS", message: `${node.name} replicates from ${follows}, link up, last I/O ${rep.master_last_io_seconds_ago} s ago` };
    },
  };
}

function replicaReadCheck(outputs: StackOutputs, node: StackOutputs["redis"]["nodes"][number]): Check {
  const lag = thresholdOf(outputs, "replicaLag");
  return {
    id: `redis.replica-read.${node.name}`,
    group,
    title: `A key written to the master is read from ${node.name}`,
    timeoutMs: lagTimeoutMs(outputs),
    async run(ctx) {
      const m = await locateMaster(ctx, outputs);
      return withRedis(ctx, node, dataNodeOptions(outputs, `Redis node ${node.name}`), async (replica) => {
        const rep = await info(replica, "replication");
        if (rep.role === "master") {
          // Only the master Sentinel names may claim the role: another one takes writes that the failover discards.
          if (outputs.redis.sentinels.length > 0 && addr(node) !== addr(m.at)) return { status: "FAIL", message: `${node.name} (${addr(node)}) claims role master but ${m.via} names ${addr(m.at)}: two masters; writes sent to ${node.name} are lost when it rejoins as a replica` };
          // No "now": on a fresh sandbox redis-0 is the master from the start, not after a failover.
          return { status: "SKIP", message: `${node.name} is the master (${m.via} names it); nothing to replicate to it` };
        }
        if (rep.master_link_status !== "up") return { status: "FAIL", message: `${node.name} cannot receive writes: master_link_status ${rep.master_link_status ?? "missing"}` };
        const key = smokeKey(`replica-read:${node.name}`);
        const token = randomBytes(8).toString("hex");
        return withRedis(ctx, m.at, dataNodeOptions(outputs, "Redis master"), async (master) => {
          try {
            ctx.step?.(`writing a key to the master at ${addr(m.at)}`);
            await master.set(key, token, "PX", 60_000);
            const written = performance.now();
            const acked = Number(await master.call("WAIT", String(Math.max(1, outputs.redis.expectedReplicas)), String(Math.min(1_000, Math.max(1, Math.floor(ctx.timeoutMs / 4))))));
            ctx.step?.(`waiting for the key on ${node.name} (${addr(node)})`);
            const limitMs = Math.max(0, ctx.timeoutMs - 1_000);
            while ((await countedGet(replica, node, key)) !== token) {
              if (performance.now() - written > limitMs) return { status: "FAIL", message: `a key written to the master was not readable on ${node.name} after ${Math.round(performance.now() - written)} ms (WAIT acknowledged by ${acked} replica(s))`, threshold: describeThreshold(lag) };
              await sleep(10, ctx.signal);
            }
            const seconds = round((performance.now() - written) / 1000, 4);
            return judged(lag, seconds, `a key written to the master was read from ${node.name} after ${round(seconds * 1000, 1)} ms (WAIT acknowledged by ${acked} replica(s))`);
          } finally {
            await master.del(key).catch(() => undefined);
          }
        });
      });
    },
  };
}

/**
 * Every exported read endpoint answers an authenticated INFO: clients read from these,
 * so a dead reader is an outage for reads even when the master is fine. (Before, nothing
 * read `redis.readers`: 20,000 dead readers still gave HEALTHY.)
 */
function readersCheck(outputs: StackOutputs): Check {
  const readers = outputs.redis.readers;
  return {
    id: "redis.readers",
    group,
    title: `All ${readers.length} read endpoint(s) answer`,
    async run(ctx): Promise<CheckOutcome> {
      const answers = await Promise.allSettled(readers.map((r, i) => withRedis(ctx, r, dataNodeOptions(outputs, `Redis reader ${i + 1}`), (c) => info(c, "replication"))));
      const dead = readers.map((r, i) => ({ r, a: answers[i] })).filter(({ a }) => a.status === "rejected");
      const measured = { value: readers.length - dead.length, unit: "count" };
      const threshold = `all ${readers.length} answer`;
      if (dead.length === 0) {
        const roles = answers.map((a) => (a as PromiseFulfilledResult<Record<string, string>>).value.role ?? "?");
        return { status: "PASS", measured, threshold, message: `${readers.length} reader(s) answer (${readers.map((r, i) => `${addr(r)} ${roles[i]}`).join(", ")})` };
      }
      const which = dead.slice(0, 5).map(({ r, a }) => `${addr(r)} (${errorText((a as PromiseRejectedResult).reason)})`).join("; ");
      const more = dead.length > 5 ? ` and ${dead.length - 5} more` : "";
      return { status: dead.length === readers.length ? "FAIL" : "WARN", measured, threshold, message: `${dead.length} of ${readers.length} reader(s) do not answer: ${which}${more}` };
    },
  };
}

/**
 * With ACL users (`redis.users`): the application's user is refused an admin command
 * (CONFIG GET: it printed the password before), and the Sentinels refuse anonymous clients.
 * With a single AUTH token there is nothing to tell apart: said, not judged.
 */
async function leastPrivilege(ctx: CheckContext, outputs: StackOutputs): Promise<{ problems: string[]; said: string }> {
  const r = outputs.redis;
  if (!r.users) return { problems: [], said: "; one AUTH token, no ACL users: the application has every command" };
  const problems: string[] = [];
  const login = { username: outputs.application.redis.user ?? r.users.application, password: outputs.applicationCredentials.redisPassword };
  let asked = true;
  try {
    const m = await locateMaster(ctx, outputs);
    const answer = await withRedis(ctx, m.at, { ...login, tls: r.tls, label: "Redis master (application user)" }, (c) => c.call("CONFIG", "GET", "maxmemory").then(() => "answered", (e: unknown) => errorText(e)));
    if (!/NOPERM/.test(answer)) problems.push(`the application user ${login.username} ran CONFIG GET on ${addr(m.at)} (${answer.slice(0, 80)}): it has admin commands`);
    if (r.sentinels.length > 0) {
      // Sentinel believes what it reads on this channel: a forged hello moved every
      // Sentinel's master (issue 20). One token is not a hello (eight are): Sentinel would
      // ignore it even where the ACL let it through.
      const published = await withRedis(ctx, m.at, { ...login, tls: r.tls, label: "Redis master (application user)" }, (c) => c.publish("__sentinel__:hello", "datatier-smoke-probe").then(() => "answered", (e: unknown) => errorText(e)));
      if (!/NOPERM/.test(published)) problems.push(`the application user ${login.username} may PUBLISH on __sentinel__:hello on ${addr(m.at)} (${published.slice(0, 80)}): it can forge Sentinel hellos and move the master (docs/redis.md)`);
    }
  } catch {
    // An unreachable master is the node checks' finding; this one judges privileges only.
    asked = false;
  }
  const anonymous = await Promise.allSettled(r.sentinels.map((s) => withRedis(ctx, s, { tls: r.tls, label: "Sentinel (no password)" }, (c) => c.ping().then(() => "open", (e: unknown) => errorText(e)))));
  const openSentinels = r.sentinels.filter((_, i) => anonymous[i].status === "fulfilled" && (anonymous[i] as PromiseFulfilledResult<string>).value === "open").map(addr);
  if (openSentinels.length > 0) problems.push(`Sentinel(s) ${openSentinels.join(", ")} answered without a password`);
  const sentinelsSaid = r.sentinels.length ? `, Sentinels refuse anonymous clients` : "";
  return { problems, said: asked ? `; the application user gets NOPERM for CONFIG${r.sentinels.length ? " and for PUBLISH on __sentinel__:hello" : ""}${sentinelsSaid}` : `; the master could not be asked as the application user${sentinelsSaid}` };
}

function authCheck(outputs: StackOutputs): Check {
  return {
    id: "redis.auth-enforced",
    group,
    title: "Unauthenticated access is refused (NOAUTH)",
    async run(ctx): Promise<CheckOutcome> {
      if (!outputs.redis.authRequired) return { status: "SKIP", message: "outputs.redis.authRequired is false: this stack runs Redis without AUTH" };
      const nodes: { name: string; at: Address }[] = outputs.redis.nodes.length > 0 ? outputs.redis.nodes.map((n) => ({ name: n.name, at: n })) : [{ name: "primary", at: outputs.redis.primary }];
      const results = await Promise.allSettled(
        nodes.map((n) =>
          withRedis(ctx, n.at, { tls: outputs.redis.tls, label: `Redis node ${n.name} (no password)` }, async (c) => {
            try {
              await c.ping();
              return "open" as const;
            } catch (e) {
              if (/NOAUTH|WRONGPASS|Authentication required/i.test(errorText(e))) return "refused" as const;
              throw e;
            }
          }),
        ),
      );
      const open = nodes.filter((_, i) => results[i].status === "fulfilled" && (results[i] as PromiseFulfilledResult<string>).value === "open").map((n) => n.name);
      const refused = nodes.filter((_, i) => results[i].status === "fulfilled" && (results[i] as PromiseFulfilledResult<string>).value === "refused").map((n) => n.name);
      const unreachable = nodes.filter((_, i) => results[i].status === "rejected").map((n) => n.name);
      if (open.length > 0) return { status: "FAIL", message: `${open.join(", ")} answered PING without a password` };
      if (refused.length === 0) return { status: "FAIL", message: `no node could be asked: ${(results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason?.message ?? "unreachable"}` };
      const note = unreachable.length > 0 ? `; ${unreachable.join(", ")} unreachable (see its node check)` : "";
      const privilege = await leastPrivilege(ctx, outputs);
      if (privilege.problems.length > 0) return { status: "FAIL", message: privilege.problems.join("; ") };
      return { status: "PASS", message: `NOAUTH from ${refused.length} node(s) without a password${privilege.said}${note}` };
    },
  };
}

function sentinelAgreementCheck(outputs: StackOutputs): Check {
  const sentinels = outputs.redis.sentinels;
  return {
    id: "redis.sentinel-agreement",
    group,
    title: `All ${sentinels.length} Sentinels name the same master`,
    async run(ctx) {
      const answers = await Promise.allSettled(sentinels.map((s) => askSentinel(ctx, outputs, s)));
      const named = new Map<string, string[]>();
      const silent: string[] = [];
      answers.forEach((a, i) => {
        if (a.status === "rejected" || a.value === null) silent.push(`${addr(sentinels[i])} (${a.status === "rejected" ? errorText(a.reason) : "does not know the master"})`);
        else named.set(addr(a.value), [...(named.get(addr(a.value)) ?? []), addr(sentinels[i])]);
      });
      const majority = Math.floor(sentinels.length / 2) + 1;
      const answered = sentinels.length - silent.length;
      const measured = { value: answered, unit: "count" };
      if (named.size > 1) return { status: "FAIL", measured, message: `Sentinels disagree on the master: ${[...named].map(([m, who]) => `${who.join(", ")} name ${m}`).join("; ")}` };
      if (named.size === 0) return { status: "FAIL", measured, message: `no Sentinel named a master: ${silent.join("; ")}` };
      const [master] = [...named.keys()];
      if (silent.length === 0) return { status: "PASS", measured, message: `all ${sentinels.length} Sentinels name ${master}` };
      const status = answered >= majority ? "WARN" : "FAIL";
      return { status, measured, threshold: `all ${sentinels.length} answer (majority ${majority})`, message: `${answered} of ${sentinels.length} Sentinels name ${master}; not answering: ${silent.join("; ")}` };
    },
  };
}

/** One Sentinel's own view: its CKQUORUM answer (OK text or the NOQUORUM error) and whether it is in TILT. */
export interface SentinelQuorumView {
  at: string;
  /** CKQUORUM's reply, OK or error text, verbatim. */
  answer: string;
  ok: boolean;
  tilt: boolean;
}

/**
 * The quorum verdict from what each Sentinel said. A Sentinel in TILT (its clock jumped or
 * it was frozen) acts on nothing, so it cannot start a failover: TILT is a WARN, and a FAIL
 * when no Sentinel out of TILT has its quorum. Unreachable Sentinels are named; the others
 * decide (redis.sentinel-agreement judges how many answer).
 */
export function judgeQuorum(views: SentinelQuorumView[], unreachable: string[]): CheckOutcome {
  const usable = views.filter((v) => v.ok && !v.tilt);
  const tilted = views.filter((v) => v.tilt);
  const noQuorum = views.filter((v) => !v.ok);
  const measured = { value: usable.length, unit: "count" };
  const threshold = ">= 1 Sentinel out of TILT with CKQUORUM OK";
  const say = (v: SentinelQuorumView) => `Sentinel at ${v.at}${v.tilt ? " (in TILT)" : ""}: ${v.answer}`;
  const notes = [
    ...noQuorum.filter((v) => !usable.includes(v)).map(say),
    ...tilted.filter((v) => v.ok).map(say),
    ...unreachable.map((u) => `not answering: ${u}`),
  ];
  if (views.length === 0) return { status: "FAIL", measured, threshold, message: `no Sentinel answered CKQUORUM: ${unreachable.join("; ") || "no Sentinel listed"}` };
  if (usable.length === 0) {
    const why = tilted.length > 0 && noQuorum.length === 0 ? "every Sentinel that answered is in TILT and would not fail over" : "no Sentinel out of TILT has its quorum: no failover can be authorized";
    return { status: "FAIL", measured, threshold, message: `${why}; ${[...views.map(say), ...unreachable.map((u) => `not answering: ${u}`)].join("; ")}` };
  }
  const head = `${usable.length} of ${views.length + unreachable.length} Sentinel(s) have quorum out of TILT (${usable[0].at}: ${usable[0].answer})`;
  if (tilted.length > 0 || noQuorum.length > 0) return { status: "WARN", measured, threshold, message: `${head}; ${notes.join("; ")}` };
  return { status: "PASS", measured, threshold, message: notes.length ? `${head}; ${notes.join("; ")}` : head };
}

function sentinelQuorumCheck(outputs: StackOutputs): Check {
  const sentinels = outputs.redis.sentinels;
  return {
    id: "redis.sentinel-quorum",
    group,
    title: "SENTINEL CKQUORUM is OK on a Sentinel out of TILT",
    async run(ctx) {
      const name = outputs.redis.sentinelMasterName ?? "";
      const answers = await Promise.allSettled(
        sentinels.map((s) =>
          withRedis(ctx, s, sentinelOptions(outputs), async (c): Promise<SentinelQuorumView> => {
            // NOQUORUM / NOGOODSLAVE come back as error replies: they are the answer, not a failure to ask.
            const answer = await c.call("SENTINEL", "CKQUORUM", name).then(String, (e: Error) => {
              if (/NOQUORUM|NOGOODSLAVE|No such master/i.test(e.message)) return `ERR:${e.message}`;
              throw e;
            });
            const tilt = (await info(c, "sentinel")).sentinel_tilt === "1";
            const ok = !answer.startsWith("ERR:") && answer.startsWith("OK");
            return { at: addr(s), answer: answer.replace(/^ERR:/, ""), ok, tilt };
          }),
        ),
      );
      const views = answers.filter((a): a is PromiseFulfilledResult<SentinelQuorumView> => a.status === "fulfilled").map((a) => a.value);
      const unreachable = answers.flatMap((a, i) => (a.status === "rejected" ? [`${addr(sentinels[i])} (${errorText(a.reason)})`] : []));
      return judgeQuorum(views, unreachable);
    },
  };
}

function hitRateCheck(outputs: StackOutputs): Check {
  const def = thresholdOf(outputs, "cacheHitRate");
  return {
    id: "redis.hit-rate",
    group,
    title: `Cache hit rate over ${HIT_RATE_WINDOW_MS} ms (INFO stats, all nodes)`,
    async run(ctx): Promise<CheckOutcome> {
      const nodes: Address[] = outputs.redis.nodes.length > 0 ? outputs.redis.nodes : [outputs.redis.primary];
      const window = Math.min(HIT_RATE_WINDOW_MS, Math.max(0, ctx.timeoutMs / 3));
      // Current traffic, not lifetime counters: a window between two INFO snapshots, minus
      // the lookups this suite sent meanwhile (its GET-latency sample would read as hits).
      const perNode = await Promise.allSettled(
        nodes.map((n) =>
          withRedis(ctx, n, dataNodeOptions(outputs, `Redis node ${"name" in n ? n.name : "primary"}`), async (c) => {
            const a = await info(c, "stats");
            const selfA = selfLookupsAt(n);
            ctx.step?.(`sampling INFO stats over ${window} ms`);
            await sleep(window, ctx.signal);
            const b = await info(c, "stats");
            const selfB = selfLookupsAt(n);
            const delta = (k: string) => Number(b[k] ?? 0) - Number(a[k] ?? 0);
            return { hits: Math.max(0, delta("keyspace_hits") - (selfB.hits - selfA.hits)), misses: Math.max(0, delta("keyspace_misses") - (selfB.misses - selfA.misses)) };
          }),
        ),
      );
      const got = perNode.filter((s): s is PromiseFulfilledResult<{ hits: number; misses: number }> => s.status === "fulfilled").map((s) => s.value);
      if (got.length === 0) return { status: "FAIL", message: `no node answered INFO stats: ${errorText((perNode[0] as PromiseRejectedResult).reason)}` };
      const hits = got.reduce((s, x) => s + x.hits, 0);
      const lookups = hits + got.reduce((s, x) => s + x.misses, 0);
      if (lookups < MIN_LOOKUPS_FOR_HIT_RATE) {
        return { status: "SKIP", threshold: describeThreshold(def), message: `${lookups} application lookup(s) in ${window} ms on ${got.length} node(s) (fewer than ${MIN_LOOKUPS_FOR_HIT_RATE}): no traffic to judge the hit rate by` };
      }
      const rate = round((100 * hits) / lookups, 2);
      return judged(def, rate, `hit rate ${rate}% over ${lookups} application lookups in ${window} ms on ${got.length} node(s)`);
    },
  };
}

function getLatencyCheck(outputs: StackOutputs): Check {
  const def = thresholdOf(outputs, "cacheGetTime");
  return {
    id: "redis.get-latency",
    group,
    title: `GET time p99 over ${GET_SAMPLE_SIZE} GETs`,
    alone: true,
    async run(ctx: CheckContext) {
      const m = await locateMaster(ctx, outputs);
      return withRedis(ctx, m.at, dataNodeOptions(outputs, "Redis master"), async (c) => {
        const key = smokeKey("get-latency");
        try {
          await c.set(key, randomBytes(32).toString("hex"), "PX", 60_000);
          const sample: number[] = [];
          ctx.step?.(`timing ${GET_SAMPLE_SIZE} GETs on ${addr(m.at)}`);
          for (let i = 0; i < GET_SAMPLE_SIZE; i++) {
            const t0 = performance.now();
            await countedGet(c, m.at, key);
            sample.push(performance.now() - t0);
          }
          const p99 = round(percentile(sample, 99), 3);
          const p50 = round(percentile(sample, 50), 3);
          return judged(def, p99, `GET p99 ${p99} ms (p50 ${p50} ms, max ${round(Math.max(...sample), 3)} ms) over ${GET_SAMPLE_SIZE} GETs on ${addr(m.at)}`, [
            { name: "CacheGetTimeP99", dimensions: {}, value: p99, unit: "Milliseconds" },
          ]);
        } finally {
          await c.del(key).catch(() => undefined);
        }
      });
    },
  };
}

/** The cache checks for a stack; one node and replica-read check per data node. */
export const cacheChecks: CheckFactory = (outputs) => {
  const r = outputs.redis;
  const checks: Check[] = [primaryCheck(outputs), replicasConnectedCheck(outputs)];
  for (const n of r.nodes) checks.push(nodeCheck(outputs, n));
  for (const n of r.nodes) checks.push(replicaReadCheck(outputs, n));
  if (r.nodes.length === 0) checks.push(absentCheck("redis.nodes", "cache", "Every data node answers", "outputs.redis.nodes is empty: no data node is named, so the per-node and replica-read checks were not built"));
  if (r.readers.length > 0) checks.push(readersCheck(outputs));
  else checks.push(absentCheck("redis.readers", "cache", "Read endpoints answer", "outputs.redis.readers is empty: no read endpoint to check"));
  checks.push(authCheck(outputs));
  if (r.sentinels.length > 0) checks.push(sentinelAgreementCheck(outputs), sentinelQuorumCheck(outputs));
  else checks.push(absentCheck("redis.sentinels", "cache", "Sentinels agree and have quorum", `outputs.redis.sentinels is empty${outputs.platform === "aws" ? " (ElastiCache has no Sentinels)" : ""}: Sentinel agreement and quorum not checked`));
  checks.push(hitRateCheck(outputs), getLatencyCheck(outputs));
  return checks;
};
