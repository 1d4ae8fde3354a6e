/**
 * When a drill may say "healed": the topology has converged again, by the smoke suite's
 * own account. One definition for both runners (the sandbox's processes and the dev
 * stack's containers read the same contract): the suite's checks for the parts the drill
 * touched are all PASS or SKIP. A drill that ended with the old Redis master not yet a
 * replica, a replica not streaming, or reads still on the primary is not healed, and the
 * suite run right after it would not be healthy either.
 *
 * What each part's checks establish (docs/checks.md):
 * - redis: one master, named by every Sentinel, with quorum and none in TILT; every other
 *   node a replica of that master with its link up and acknowledging; a fresh write read
 *   back from each replica.
 * - postgres: the primary writable; every replica streaming and acknowledging a write,
 *   read-only, its lag under the warning level.
 * - pgbouncer: both pools answer from the right server (the read-only pool from a replica
 *   when one exists), the router alive and its pool pointing at exactly the healthy
 *   replicas, no client waiting.
 * Left out: redis.get-latency (it follows the shared machine's load: checks/loadSensitive.ts)
 * and redis.hit-rate (it needs application traffic), partition and alarm checks (no drill
 * touches them).
 */
import type { StackOutputs } from "../components/contract/outputs";
import { runSuite, type SuiteReport } from "../checks/suite";
import { LOAD_SENSITIVE } from "../checks/loadSensitive";
import { seconds, type DrillVerdictInput } from "./verdict";

export type ConvergencePart = "redis" | "postgres" | "pgbouncer";

/** The suite's `--only` patterns per part (checks/select.ts). */
export const CONVERGENCE_CHECKS: Readonly<Record<ConvergencePart, readonly string[]>> = {
  redis: ["redis.primary", "redis.replicas-connected", "redis.node.*", "redis.replica-read.*", "redis.readers", "redis.auth-enforced", "redis.sentinel-agreement", "redis.sentinel-quorum"],
  postgres: ["postgres.*"],
  pgbouncer: ["pgbouncer.*"],
};

/** Not judged for convergence, whatever the patterns match. */
const NOT_JUDGED = new Set([...LOAD_SENSITIVE, "redis.hit-rate"]);

/** The checks of a report that keep the topology from being converged, as "id STATUS: message" (pure). */
export function unconverged(r: Pick<SuiteReport, "results">): string[] {
  return r.results.filter((x) => !NOT_JUDGED.has(x.id) && x.status !== "PASS" && x.status !== "SKIP").map((x) => `${x.id} ${x.status}: ${x.message}`);
}

export interface Convergence {
  /** performance.now() when the suite first found every judged check PASS/SKIP; null: not within the bound. */
  at: number | null;
  /** What still kept it from converging at the last look (empty when converged). */
  remaining: string[];
  /** Suite runs it took. */
  runs: number;
}

/**
 * Runs the suite's checks for `parts` until all are PASS/SKIP, or `untilAt`
 * (a performance.now() time) passes. `outputs()` is read on every run: a failover
 * rewrites which master the outputs name.
 */
export async function waitConverged(outputs: () => StackOutputs, parts: ConvergencePart[], untilAt: number, o: { pauseMs?: number } = {}): Promise<Convergence> {
  const only = [...new Set(parts.flatMap((p) => CONVERGENCE_CHECKS[p]))].join(",");
  let remaining: string[] = [];
  let runs = 0;
  while (runs === 0 || performance.now() < untilAt) {
    const left = untilAt - performance.now();
    // Each run bounded by what is left (at least the connect deadline's worth), so the wait ends near its bound.
    const r = await runSuite(outputs(), { only, hooks: [], timeoutMs: 3_000, deadlineMs: Math.max(5_000, Math.min(20_000, left)) });
    runs++;
    remaining = unconverged(r);
    if (remaining.length === 0) return { at: performance.now(), remaining, runs };
    await new Promise((res) => setTimeout(res, o.pauseMs ?? 500));
  }
  return { at: null, remaining, runs };
}

/**
 * The promises the drills are judged by, the same on both runners (ms after the break).
 * Service: Sentinel's failover measured 3.2-3.4 s here (down-after 2 s), but a Sentinel
 * whose timer stalled on a starved host enters TILT and acts on nothing for 30 s: the dev
 * stack's drill once measured 37.1 s that way, so the Redis bound is 45 s; the read router
 * moves reads within 2 intervals + 5 s; a process restarted by the heal answers in a few
 * seconds. Healed: a Sentinel whose timer stalled (a loaded host) sits in TILT for 30 s
 * before it acts or reports settled, and PgBouncer retries a server it could not reach
 * only after server_login_retry (15 s): 90 s covers both with room on a loaded machine.
 */
export const HEALED_WITHIN_MS = 90_000;
export const promises = {
  redis: (extraMs = 0) => ({ serviceWithinMs: 45_000 + extraMs, healedWithinMs: HEALED_WITHIN_MS + extraMs }),
  /** Reads through the read-only pool, when a router moves them. */
  reads: (intervalMs: number, extraMs = 0) => ({ serviceWithinMs: 2 * intervalMs + 5_000 + extraMs, healedWithinMs: HEALED_WITHIN_MS + extraMs }),
  /** Something nothing fails over to (PgBouncer, replicas without a router): back with the restart. */
  restart: () => ({ serviceWithinMs: 30_000, healedWithinMs: HEALED_WITHIN_MS }),
};

/** What a drill (either runner) measured for its verdict; the runner heals, waits for convergence and judges. */
export interface DrillOutcome {
  broke: string;
  /** performance.now() of the break. */
  brokeAt: number;
  serviceWhat: string;
  /** ms after the break; "at-heal": service comes back only with the heal (nothing failed over to). */
  serviceBackMs: number | null | "at-heal";
  lost: DrillVerdictInput["lost"];
  /** Other promises the drill found broken, in words. */
  broken: string[];
  /** The parts whose suite checks must be healthy again (sandbox/convergence.ts). */
  parts: ConvergencePart[];
  promise: DrillVerdictInput["promise"];
}

/**
 * The outcome judged from when the caller let go of the fault: a `whileBroken` hook (a test
 * running the suite against the broken stack) holds the fault in place for `heldMs`, and the
 * heal starts only after it. The bounds that depend on the heal grow by that much: healed
 * always, service only where it comes back with the heal. The figures stay measured from the
 * break. Pure.
 */
export function heldOpen(o: DrillOutcome, heldMs: number): DrillOutcome {
  const held = Math.max(0, Math.round(heldMs));
  if (held === 0) return o;
  const { serviceWithinMs, healedWithinMs } = o.promise;
  return { ...o, promise: { serviceWithinMs: o.serviceBackMs === "at-heal" ? serviceWithinMs + held : serviceWithinMs, healedWithinMs: healedWithinMs + held, heldMs: held } };
}

/** Wraps a `whileBroken` hook so the time it held the fault in place can be read after the drill. */
export function timedHook(hook: (() => Promise<void>) | undefined): { hook: (() => Promise<void>) | undefined; heldMs: () => number } {
  let total = 0;
  if (!hook) return { hook, heldMs: () => 0 };
  return {
    hook: async () => {
      const t0 = performance.now();
      try {
        await hook();
      } finally {
        total += performance.now() - t0;
      }
    },
    heldMs: () => total,
  };
}

/** The line saying whether and when the topology converged (pure). */
export function convergedLine(o: Pick<DrillOutcome, "parts" | "promise" | "brokeAt">, conv: Convergence): string {
  return conv.at === null
    ? `not converged within ${seconds(o.promise.healedWithinMs)} of the break: ${conv.remaining.join("; ")}`
    : `converged: the suite's ${o.parts.join(", ")} checks are healthy ${seconds(conv.at - o.brokeAt)} after the break (${conv.runs} suite run(s))`;
}

/** The verdict's input from what the drill measured, when the heal returned (null: it did not finish) and the convergence (pure). */
export function verdictInput(drill: string, o: DrillOutcome, healedAt: number | null, conv: Convergence): DrillVerdictInput {
  return {
    drill,
    broke: o.broke,
    serviceWhat: o.serviceWhat,
    serviceBackMs: o.serviceBackMs === "at-heal" ? (healedAt === null ? null : Math.round(healedAt - o.brokeAt)) : o.serviceBackMs,
    healedMs: conv.at === null ? null : Math.round(conv.at - o.brokeAt),
    lost: o.lost,
    promise: o.promise,
    // "id STATUS" of each check still unhealthy: the messages are in the converged line above.
    unhealed: conv.remaining.map((r) => r.split(":")[0]),
    broken: o.broken,
  };
}
