/** What every drill shares: its result shape, the running sandbox it needs, the process it breaks. */
import type { ProcessRecord } from "./procs";
import { readState, type SandboxState } from "./state";

export type Log = (line: string) => void;

export interface DrillResult {
  name: string;
  ok: boolean;
  /** Figures, in the units their names say. */
  measured: Record<string, number | string | boolean | null>;
}

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
