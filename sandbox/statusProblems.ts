/**
 * The problem lines `status` shows: exactly one line per process that is not running
 * ("redis-1 (pid 42) is not running"), in place of the connection errors the topology
 * probes report for it (a stopped node used to get two lines, a stopped Postgres only a
 * raw "connect ECONNREFUSED", and the router two differently worded ones). Lines about
 * processes that run are kept as they are: they carry the reason.
 */

export interface ProcessLine {
  name: string;
  pid: number;
  host: string;
  port: number;
  alive: boolean;
  answering: boolean;
}

/** Whether a problem line is about process `p`: it names it or its pid (not its address: the router records PgBouncer's). */
function mentions(line: string, p: ProcessLine): boolean {
  const name = p.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\w-])${name}($|[^\\w-])`).test(line) || line.includes(`(pid ${p.pid})`);
}

/** Idempotent: applying it to its own result gives the same lines. */
export function statusProblems(processes: readonly ProcessLine[], problems: readonly string[]): string[] {
  const stopped = processes.filter((p) => !p.alive);
  const silent = processes.filter((p) => p.alive && !p.answering);
  const kept = problems.filter((line) => !stopped.some((p) => mentions(line, p)));
  const lines = [
    // A probe's own "is not running" line is kept (the router's says "the read router (pid N)").
    ...stopped.map((p) => problems.find((line) => line.includes(`(pid ${p.pid}) is not running`)) ?? `${p.name} (pid ${p.pid}) is not running`),
    ...kept,
    // A process that runs but does not answer gets a line of its own only when no probe named it.
    ...silent.filter((p) => !kept.some((line) => mentions(line, p))).map((p) => `${p.name} (pid ${p.pid}) is not answering on ${p.host}:${p.port}`),
  ];
  return [...new Set(lines)];
}
