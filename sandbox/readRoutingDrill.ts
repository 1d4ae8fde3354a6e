/**
 * What the Postgres drills measure when the read router runs: a read loop through the
 * read-only pool across the failure and the repair, when the router took the broken
 * replica(s) out and put them back, and the reads' one line of figures. One
 * implementation for the sandbox's processes and the dev stack's containers: each hands
 * in a RoutingProbe (where the pool is, where the router's state is read).
 */
import { readOnlyDatabaseName } from "../components/pgbouncer/render";
import { PGBOUNCER_NAME } from "./pgbouncer";
import { recordAlive, sleep } from "./procs";
import { failureReasons, formatReadFigures, readFigures, startReadLoop, type PoolTarget, type ReadLoop } from "./readLoop";
import { readRouterState, READROUTER_NAME, routerWanted } from "./readrouter";
import { SANDBOX_ROLES } from "./schema";
import type { SandboxState } from "./state";
import { seconds } from "./verdict";

export type Log = (line: string) => void;

/** True when the sandbox runs a live router (the drills then measure reads and repair). */
export function routerRuns(state: SandboxState): boolean {
  const p = state.processes.find((x) => x.name === READROUTER_NAME);
  return routerWanted(state) && !!p && recordAlive(p);
}

/** What measureRouting needs of a running stack: the read-only pool, the router's interval and its healthy set. */
export interface RoutingProbe {
  /** PgBouncer's read-only pool, as a client reads through it. */
  pool: PoolTarget;
  intervalMs: number;
  /** The replicas the router counts healthy now (its state file), or null when unreadable. */
  healthy(): string[] | null;
}

/** The sandbox's probe: its PgBouncer process and the router's state in the sandbox folder. */
export function sandboxProbe(state: SandboxState): RoutingProbe {
  const pb = state.processes.find((x) => x.name === PGBOUNCER_NAME)!;
  return {
    pool: { host: pb.host, port: pb.port, user: SANDBOX_ROLES.monitoring, password: state.secrets.monitoring, database: readOnlyDatabaseName(state.settings.postgres.databaseName) },
    intervalMs: state.settings.readRouting.intervalMs,
    healthy: () => readRouterState(state.dir)?.healthy ?? null,
  };
}

export function readPoolLoop(state: SandboxState): ReadLoop {
  return startReadLoop(sandboxProbe(state).pool);
}

/** Waits until the router's state satisfies `pred`; returns performance.now() then, or null after `ms`. */
export async function routerUntil(state: SandboxState, pred: (healthy: string[]) => boolean, ms: number): Promise<number | null> {
  return (await routerSetUntil(sandboxProbe(state), pred, ms))?.at ?? null;
}

/** routerUntil, also giving the router's healthy set at that moment. */
async function routerSetUntil(probe: RoutingProbe, pred: (healthy: string[]) => boolean, ms: number): Promise<{ at: number; healthy: string[] } | null> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const healthy = probe.healthy();
    if (healthy && pred(healthy)) return { at: performance.now(), healthy };
    await sleep(20);
  }
  return null;
}

export interface RoutingFigures {
  /** performance.now() when the break began (the verdict measures from it). */
  brokeAt: number;
  /** Router took the replica(s) out, ms after the break. */
  outMs: number | null;
  /** The router's healthy set when it took them out: the replicas left to serve (empty: the primary). */
  healthyWhenOut: string[] | null;
  /** First read served where it should be after the break (the primary when none is left), ms after it. */
  rerouteMs: number | null;
  /** Reads begun later than one interval plus one second after the break, that failed (until the repair). */
  failedAfterBound: number;
  /** Reads begun after the repair that failed (e.g. PgBouncer still connecting to a restarted server's old address). */
  failedAfterRepair: number;
  /** Router put the replica(s) back, ms after the repair. */
  inMs: number | null;
  /** First read served by a replica begun after the repair, ms after it. */
  backMs: number | null;
  line: string;
}

/** The router's promises a drill found broken, in words (pure): out in time, back after the repair, and reads served by a replica again. */
export function routingBroken(f: Pick<RoutingFigures, "outMs" | "inMs" | "backMs">): string[] {
  return [
    ...(f.outMs === null ? ["the read router did not take the broken replica(s) out"] : []),
    ...(f.inMs === null ? ["the read router did not put the replica(s) back after the repair"] : []),
    ...(f.backMs === null ? ["no read was served by a replica again after the repair"] : []),
  ];
}

/** What a router-driven drill lost, for its verdict: reads failing past the router's bound, before the repair or after it. */
export function routingLost(intervalMs: number, f: Pick<RoutingFigures, "failedAfterBound" | "failedAfterRepair">): { what: string; note: string; count: number } {
  return { what: "reads", note: `failed ones begun more than ${seconds(intervalMs + 1000)} after the break (one router interval + 1 s): ${f.failedAfterBound} before the repair, ${f.failedAfterRepair} after it`, count: f.failedAfterBound + f.failedAfterRepair };
}

/** The figures as a drill reports them (`measured`), the reads' line last. */
export function routingMeasured(f: RoutingFigures): Record<string, number | string | null> {
  return { routerOutMs: f.outMs, healthyWhenOut: f.healthyWhenOut === null ? null : f.healthyWhenOut.join(", "), rerouteMs: f.rerouteMs, failedAfterBound: f.failedAfterBound, failedAfterRepair: f.failedAfterRepair, routerInMs: f.inMs, backOnReplicaMs: f.backMs, reads: f.line };
}

/**
 * The line after the break, in words a newcomer reads without the source (pure): when the
 * router took the broken replica(s) out, where reads went, and how many failed past the
 * router's bound. Times in seconds after the break.
 */
export function routedLine(names: string[], outMs: number | null, healthyLeft: string[] | null, onPrimary: boolean, rerouteMs: number | null, intervalMs: number, failedAfterBound: number): string {
  const out = outMs === null ? `the router did not take ${names.join(", ")} out of the read-only pool` : `the router took ${names.join(", ")} out of the read-only pool ${seconds(outMs)} after the break`;
  const left = healthyLeft === null ? "" : healthyLeft.length ? `; it now points at ${healthyLeft.join(", ")}` : "; no replica is left, so it points at the primary";
  const where = onPrimary ? "the primary" : "the remaining replicas";
  const reroute = rerouteMs === null ? `no read served by ${where} yet` : `first read served by ${where} ${seconds(rerouteMs)} after the break`;
  return `${out}${left}; ${reroute}; failed reads begun more than ${seconds(intervalMs + 1000)} after the break (one router interval + 1 s, the promise): ${failedAfterBound}`;
}

/**
 * Runs `breakIt` and `repair` under a read loop and measures the routing between them.
 * `names`: the replicas broken; `onPrimary`: whether no replica is left to serve reads.
 */
export async function measureRouting(
  probe: RoutingProbe,
  log: Log,
  o: {
    names: string[];
    onPrimary: boolean;
    breakIt: () => Promise<void>;
    repair: () => Promise<void>;
    outBoundMs?: number;
    /** Runs after the reroute was measured, before the repair (e.g. a test judging the broken stack). */
    whileBroken?: () => Promise<void>;
  },
): Promise<RoutingFigures> {
  const interval = probe.intervalMs;
  const loop = startReadLoop(probe.pool);
  try {
    await sleep(1000);
    const t0 = performance.now();
    await o.breakIt();
    const outBound = o.outBoundMs ?? 2 * interval + 5000;
    const out = await routerSetUntil(probe, (h) => o.names.every((n) => !h.includes(n)), outBound);
    const outAt = out?.at ?? null;
    const rerouteAt = o.onPrimary ? await loop.until((r) => r.server === "primary" && r.start >= t0, outBound) : outAt;
    // Keep reading past the bound, so "no failure after it" is measured, not assumed.
    const bound = t0 + interval + 1000;
    const settle = Math.max(bound, rerouteAt ?? 0) + 2000;
    while (performance.now() < settle) await sleep(50);
    const failedAfterBound = readFigures(loop.reads, bound).failed;
    log(routedLine(o.names, outAt === null ? null : outAt - t0, out?.healthy ?? null, o.onPrimary, rerouteAt === null ? null : rerouteAt - t0, interval, failedAfterBound));
    await o.whileBroken?.();
    // From the moment the repair is done (the replica accepts connections, or replays again).
    await o.repair();
    const t1 = performance.now();
    const inAt = await routerSetUntil(probe, (h) => o.names.every((n) => h.includes(n)), 2 * interval + 10_000).then((x) => x?.at ?? null);
    const backAt = await loop.until((r) => r.server === "replica" && r.start >= t1, 2 * interval + 10_000);
    log(`repaired: the router put ${o.names.join(", ")} back into the read-only pool ${inAt === null ? `not within ${seconds(2 * interval + 10_000)}` : `${seconds(inAt - t1)} after the repair`}; first read served by a replica ${backAt === null ? "not seen" : `${seconds(backAt - t1)} after it`} (the router measures every ${seconds(interval)})`);
    await sleep(500);
    const reads = await loop.stop();
    const why = failureReasons(reads, t0);
    if (why) log(`failed reads: ${why}`);
    const line = formatReadFigures(readFigures(reads));
    log(line);
    const failedAfterRepair = readFigures(reads, t1).failed;
    const ms = (at: number | null, from: number) => (at === null ? null : Math.round(at - from));
    return { brokeAt: t0, outMs: ms(outAt, t0), healthyWhenOut: out?.healthy ?? null, rerouteMs: ms(rerouteAt, t0), failedAfterBound, failedAfterRepair, inMs: ms(inAt, t1), backMs: ms(backAt, t1), line };
  } finally {
    await loop.stop();
  }
}
