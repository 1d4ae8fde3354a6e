/**
 * What the Postgres drills measure when the read router runs: a read loop through the
 * read-only pool across the failure and the repair, when the router took the broken
 * replica(s) out and put them back, and the reads' one line of figures.
 */
import { readOnlyDatabaseName } from "../components/pgbouncer/render";
import { PGBOUNCER_NAME } from "./pgbouncer";
import { recordAlive, sleep } from "./procs";
import { failureReasons, formatReadFigures, readFigures, startReadLoop, type ReadLoop } from "./readLoop";
import { readRouterState, READROUTER_NAME, routerWanted } from "./readrouter";
import { SANDBOX_ROLES } from "./schema";
import type { SandboxState } from "./state";

export type Log = (line: string) => void;

/** True when the sandbox runs a live router (the drills then measure reads and repair). */
export function routerRuns(state: SandboxState): boolean {
  const p = state.processes.find((x) => x.name === READROUTER_NAME);
  return routerWanted(state) && !!p && recordAlive(p);
}

export function readPoolLoop(state: SandboxState): ReadLoop {
  const pb = state.processes.find((x) => x.name === PGBOUNCER_NAME)!;
  return startReadLoop({ host: pb.host, port: pb.port, user: SANDBOX_ROLES.monitoring, password: state.secrets.monitoring, database: readOnlyDatabaseName(state.settings.postgres.databaseName) });
}

/** Waits until the router's state satisfies `pred`; returns performance.now() then, or null after `ms`. */
export async function routerUntil(state: SandboxState, pred: (healthy: string[]) => boolean, ms: number): Promise<number | null> {
  return (await routerSetUntil(state, pred, ms))?.at ?? null;
}

/** routerUntil, also giving the router's healthy set at that moment. */
async function routerSetUntil(state: SandboxState, pred: (healthy: string[]) => boolean, ms: number): Promise<{ at: number; healthy: string[] } | null> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const st = readRouterState(state.dir);
    if (st && pred(st.healthy)) return { at: performance.now(), healthy: st.healthy };
    await sleep(20);
  }
  return null;
}

export interface RoutingFigures {
  /** Router took the replica(s) out, ms after the break. */
  outMs: number | null;
  /** The router's healthy set when it took them out: the replicas left to serve (empty: the primary). */
  healthyWhenOut: string[] | null;
  /** First read served where it should be after the break (the primary when none is left), ms after it. */
  rerouteMs: number | null;
  /** Reads begun later than one interval plus one second after the break, that failed. */
  failedAfterBound: number;
  /** Router put the replica(s) back, ms after the repair. */
  inMs: number | null;
  /** First read served by a replica begun after the repair, ms after it. */
  backMs: number | null;
  line: string;
}

/**
 * Runs `breakIt` and `repair` under a read loop and measures the routing between them.
 * `names`: the replicas broken; `onPrimary`: whether no replica is left to serve reads.
 */
export async function measureRouting(
  state: SandboxState,
  log: Log,
  o: { names: string[]; onPrimary: boolean; breakIt: () => Promise<void>; repair: () => Promise<void>; outBoundMs?: number },
): Promise<RoutingFigures> {
  const interval = state.settings.readRouting.intervalMs;
  const loop = readPoolLoop(state);
  try {
    await sleep(1000);
    const t0 = performance.now();
    await o.breakIt();
    const outBound = o.outBoundMs ?? 2 * interval + 5000;
    const out = await routerSetUntil(state, (h) => o.names.every((n) => !h.includes(n)), outBound);
    const outAt = out?.at ?? null;
    const rerouteAt = o.onPrimary ? await loop.until((r) => r.server === "primary" && r.start >= t0, outBound) : outAt;
    // Keep reading past the bound, so "no failure after it" is measured, not assumed.
    const bound = t0 + interval + 1000;
    const settle = Math.max(bound, rerouteAt ?? 0) + 2000;
    while (performance.now() < settle) await sleep(50);
    const failedAfterBound = readFigures(loop.reads, bound).failed;
    log(`router took ${o.names.join(", ")} out ${outAt === null ? "-" : Math.round(outAt - t0)} ms after the break${out ? `, leaving ${out.healthy.length ? out.healthy.join(", ") : "none (the primary)"}` : ""}; reads on ${o.onPrimary ? "the primary" : "the remaining replicas"} after ${rerouteAt === null ? "-" : Math.round(rerouteAt - t0)} ms; ${failedAfterBound} failed read(s) begun later than ${interval + 1000} ms (one interval + 1 s) after it`);
    // From the moment the repair is done (the replica accepts connections, or replays again).
    await o.repair();
    const t1 = performance.now();
    const inAt = await routerUntil(state, (h) => o.names.every((n) => h.includes(n)), 2 * interval + 10_000);
    const backAt = await loop.until((r) => r.server === "replica" && r.start >= t1, 2 * interval + 10_000);
    log(`repaired: router put ${o.names.join(", ")} back ${inAt === null ? "-" : Math.round(inAt - t1)} ms after the repair; first read on a replica after ${backAt === null ? "-" : Math.round(backAt - t1)} ms (interval ${interval} ms)`);
    await sleep(500);
    const reads = await loop.stop();
    const why = failureReasons(reads, t0);
    if (why) log(`failed reads: ${why}`);
    const line = formatReadFigures(readFigures(reads));
    log(line);
    const ms = (at: number | null, from: number) => (at === null ? null : Math.round(at - from));
    return { outMs: ms(outAt, t0), healthyWhenOut: out?.healthy ?? null, rerouteMs: ms(rerouteAt, t0), failedAfterBound, inMs: ms(inAt, t1), backMs: ms(backAt, t1), line };
  } finally {
    await loop.stop();
  }
}
