/**
 * PostgreSQL 15's own checks that span several parameters: a value each parameter's range
 * (pg_settings, the catalogue) accepts can still stop the server at start. Read from the
 * engine's source (REL_15_STABLE), not from examples:
 * - src/backend/utils/init/postinit.c, InitializeMaxBackends(), and the check hooks of
 *   max_connections / autovacuum_max_workers / max_worker_processes / max_wal_senders
 *   (src/backend/utils/misc/guc.c): max_connections + autovacuum_max_workers + 1 +
 *   max_worker_processes + max_wal_senders must not exceed MAX_BACKENDS (0x3FFFF,
 *   src/include/postmaster/postmaster.h), else "too many backends configured" / the hook
 *   refuses the value.
 * - src/backend/access/transam/xlog.c, ReadControlFile(): "min_wal_size" and "max_wal_size"
 *   must be at least twice wal_segment_size, else FATAL at start.
 * - src/backend/tcop/postgres.c, check_max_stack_depth(): "max_stack_depth" must not exceed
 *   the process's stack rlimit less STACK_DEPTH_SLOP (512 kB); the servers run with the
 *   Linux default `ulimit -s` of 8 MB (containers inherit it), so at most 7680 kB.
 * The real engine loads the rendered file in tests (engineValidators.int.test.ts), which
 * catches what this list misses.
 */
import { checkParameterValue, pgParameter } from "./index";

/** src/include/postmaster/postmaster.h: MAX_BACKENDS 0x3FFFF. */
export const MAX_BACKENDS = 0x3ffff;

/**
 * WAL segment size in MB: initdb's default (16) for self-managed servers; RDS for
 * PostgreSQL initialises with 64 MB segments (RDS user guide, "WAL segment size").
 */
export function walSegmentMb(platform: "aws" | "docker"): number {
  return platform === "aws" ? 64 : 16;
}

/** Linux's default stack rlimit (`ulimit -s`, kB), which containers and the sandbox's servers run with. */
export const STACK_RLIMIT_KB = 8192;
/** src/include/tcop/tcopprot.h: STACK_DEPTH_SLOP, 512 kB. */
export const STACK_DEPTH_SLOP_KB = 512;

/** pg_settings boot values of the parameters the limits read (PostgreSQL 15 defaults). */
const DEFAULTS: Record<string, number> = { autovacuum_max_workers: 3, max_worker_processes: 8, min_wal_size: 80, max_wal_size: 1024, max_stack_depth: 2048 };

export interface EngineLimitInput {
  platform: "aws" | "docker";
  maxConnections: number;
  walSenders: number;
  /** postgres.parameters as written (any case). */
  parameters: Record<string, string>;
}

export interface EngineLimitProblem {
  /** Settings path the problem is reported under. */
  path: (string | number)[];
  message: string;
}

/** The effective numeric value of a parameter in its catalogue unit (a stack's value, else the default). */
function effective(input: EngineLimitInput, name: string): { value: number; key?: string } {
  for (const [k, v] of Object.entries(input.parameters)) {
    if (k.toLowerCase() !== name) continue;
    const p = pgParameter(name, input.platform);
    const c = p && checkParameterValue(p, v, input.platform);
    if (c && c.ok && /^-?\d+(\.\d+)?$/.test(c.value)) return { value: Number(c.value), key: k };
  }
  return { value: DEFAULTS[name] };
}

export function engineLimitProblems(input: EngineLimitInput): EngineLimitProblem[] {
  const out: EngineLimitProblem[] = [];
  const av = effective(input, "autovacuum_max_workers");
  const wp = effective(input, "max_worker_processes");
  const backends = input.maxConnections + av.value + 1 + wp.value + input.walSenders;
  if (backends > MAX_BACKENDS) {
    out.push({
      path: ["postgres", "maxConnections"],
      message: `is ${input.maxConnections}; PostgreSQL needs max_connections + autovacuum_max_workers (${av.value}) + 1 + max_worker_processes (${wp.value}) + max_wal_senders (${input.walSenders}) at most ${MAX_BACKENDS} (MAX_BACKENDS), here ${backends}: the server would not start ("too many backends configured"); at most ${MAX_BACKENDS - (backends - input.maxConnections)}`,
    });
  }
  const seg = walSegmentMb(input.platform);
  for (const name of ["min_wal_size", "max_wal_size"]) {
    const v = effective(input, name);
    if (v.key !== undefined && v.value < 2 * seg) {
      out.push({ path: ["postgres", "parameters", v.key], message: `is ${v.value} MB; PostgreSQL refuses to start when "${name}" is less than twice wal_segment_size (${seg} MB${input.platform === "aws" ? " on RDS" : ""}), so at least ${2 * seg}MB` });
    }
  }
  const stack = effective(input, "max_stack_depth");
  const stackMax = STACK_RLIMIT_KB - STACK_DEPTH_SLOP_KB;
  if (stack.key !== undefined && stack.value > stackMax) {
    out.push({ path: ["postgres", "parameters", stack.key], message: `is ${stack.value} kB; PostgreSQL refuses "max_stack_depth" above the stack limit less 512 kB (${stackMax} kB with the default 8 MB \`ulimit -s\`)` });
  }
  return out;
}
