/**
 * How long the offline review takes: `npm run bench:review [-- --stack prod --runs 5]`.
 * Each run is a fresh process (what CI and a reviewer pay), timed end to end; prints
 * every run, the median, and the peak resident memory of the slowest run.
 * Exits 2 on a bad flag or value, 1 when a run of the review breaks.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";

const root = join(__dirname, "..");
function runsArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError("--runs must be a whole number from 1 to 100");
  return n;
}

const o = new Command("bench:review")
  .option("--stack <name>", "stack to review", "prod")
  .option("--runs <n>", "number of runs", runsArg, 5)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse(process.argv)
  .opts<{ stack: string; runs: number }>();

const tsx = join(root, "node_modules", ".bin", "tsx");
// GNU time reports the child's peak RSS; without it the bench still times the runs.
const gnuTime = existsSync("/usr/bin/time");
const times: number[] = [];
let peakKb = 0;
for (let i = 0; i < o.runs; i++) {
  const started = process.hrtime.bigint();
  const args = [tsx, join(root, "tools/review/cli.ts"), "--stack", o.stack, "--json"];
  const r = gnuTime ? spawnSync("/usr/bin/time", ["-f", "%M", ...args], { cwd: root, encoding: "utf8" }) : spawnSync(args[0], args.slice(1), { cwd: root, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0 && r.status !== 1) {
    console.error(`run ${i + 1}: review exited ${r.status}\n${r.stderr}`);
    process.exit(1);
  }
  const kb = gnuTime ? Number.parseInt(r.stderr.trim().split("\n").pop() ?? "0", 10) : 0;
  peakKb = Math.max(peakKb, Number.isFinite(kb) ? kb : 0);
  times.push(ms);
  console.log(`run ${i + 1}: ${ms.toFixed(0)} ms (exit ${r.status})`);
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(`offline review of ${o.stack}: median ${median.toFixed(0)} ms over ${o.runs} runs (min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)}), peak RSS ${gnuTime ? `${(peakKb / 1024).toFixed(0)} MB` : "n/a (no /usr/bin/time)"}`);
