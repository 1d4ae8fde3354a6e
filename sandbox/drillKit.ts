/** What every drill shares: its result shape, the running sandbox it needs, the process it breaks. */
import type { DrillOutcome } from "./convergence";
import { sleep, type ProcessRecord } from "./procs";
import { waitRedisHealthy } from "./redis";
import { readState, type SandboxState } from "./state";

export type Log = (line: string) => void;

export interface DrillResult {
  name: string;
  /** The verdict's PASS: the promise kept and the topology healed (runDrill sets it). */
  ok: boolean;
  /** Figures, in the units their names say. */
  measured: Record<string, number | string | boolean | null>;
  /** What the drill itself measured for the verdict; runDrill heals, waits for convergence and judges. */
  outcome?: DrillOutcome;
  /** The verdict line (sandbox/verdict.ts), printed once at the end. */
  verdict?: string;
}

export type { DrillOutcome } from "./convergence";

export const ms = (t0: number) => Math.round(performance.now() - t0);

export function requireState(dir: string, part: "redis" | "postgres" | "pgbouncer"): SandboxState {
  const state = readState(dir);
  if (!state || !state.complete) throw new Error(`no running sandbox in ${dir}: start one with \`npm run sandbox -- up\``);
  if (!state.parts.includes(part)) throw new Error(`the sandbox in ${dir} runs without ${part}`);
  return state;
}

export function proc(state: SandboxState, name: string): ProcessRecord {
  const p = state.processes.find((x) => x.name === name);
  if (!p) throw new Error(`no process ${name} in the sandbox`);
  return p;
}

/**
 * Before a drill that makes Sentinel fail over: a healthy, settled topology (all Sentinels
 * agree, no failover in progress), and 2 x failover-timeout since the last failover,
 * within which Sentinel refuses a new failover of the same master.
 */
export async function readyForRedisFailover(state: SandboxState, log: Log): Promise<void> {
  const s = state.settings.redis;
  try {
    await waitRedisHealthy(state, 20_000);
  } catch (e) {
    throw new Error(`Redis is not healthy before the drill: run \`npm run sandbox -- up\` first\n${(e as Error).message}`);
  }
  const since = state.lastRedisFailoverAt ? Date.now() - Date.parse(state.lastRedisFailoverAt) : Infinity;
  const wait = 2 * s.sentinel.failoverTimeoutMs + 1000 - since;
  if (wait > 0) {
    log(`waiting ${(wait / 1000).toFixed(1)} s: Sentinel allows no new failover within 2 x failover-timeout (${(2 * s.sentinel.failoverTimeoutMs) / 1000} s) of the last one`);
    await sleep(wait);
  }
}
