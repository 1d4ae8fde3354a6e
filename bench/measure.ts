/**
 * One timed child process for the benches: wall time, CPU time (user + sys of the child
 * and its children, from GNU time) and peak RSS, plus the review's phase marks when it
 * prints them (tools/review/timings.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { TIMINGS_PREFIX } from "../tools/review/timings";

export interface Measured {
  status: number | null;
  wallMs: number;
  /** User + system CPU; 0 without /usr/bin/time. */
  cpuMs: number;
  /** Peak resident set of the largest process; 0 without /usr/bin/time. */
  peakMb: number;
  phases: Record<string, number>;
  stdout: string;
  stderr: string;
}

const GNU_TIME = "/usr/bin/time";
/** A marker no program prints, so the figures line is found even after the child's stderr. */
const MARK = "bench-measure";

export function measure(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Measured {
  const gnu = existsSync(GNU_TIME);
  const started = process.hrtime.bigint();
  const full = gnu ? [GNU_TIME, "-f", `${MARK} %U %S %M`, ...argv] : argv;
  const r = spawnSync(full[0], full.slice(1), { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const lines = (r.stderr ?? "").split("\n");
  const figures = lines.find((l) => l.startsWith(`${MARK} `))?.split(" ").slice(1).map(Number) ?? [0, 0, 0];
  const timing = lines.find((l) => l.startsWith(TIMINGS_PREFIX));
  return {
    status: r.status,
    wallMs,
    cpuMs: (figures[0] + figures[1]) * 1000,
    peakMb: figures[2] / 1024,
    phases: timing ? (JSON.parse(timing.slice(TIMINGS_PREFIX.length)) as Record<string, number>) : {},
    stdout: r.stdout ?? "",
    stderr: lines.filter((l) => !l.startsWith(`${MARK} `) && !l.startsWith(TIMINGS_PREFIX)).join("\n"),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
