/**
 * How long the offline review takes: `npm run bench:review [-- --stack prod --runs 5]
 * [--compare] [--unit]`. Each run is a fresh process (what CI and a reviewer pay), timed
 * end to end, the way `npm run review` starts it (scripts/run.mjs). Prints every run, the
 * median wall and CPU time (user + sys: neighbours on a shared machine inflate wall time
 * far more than CPU time), the peak resident memory, the load average, the median end
 * of each phase (tools/review/timings.ts) and issue 24's figures before the work.
 * `--compare` also times the former way (tsx, TypeScript compiled file by file) in the
 * same run, alternating; `--unit` also times `vitest run --project unit`; `--profile`
 * adds one run per way under `node --cpu-prof` and prints its CPU time by category.
 * Exits 2 on a bad flag or value, 1 when a run of the review breaks.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { measure, median, type Measured } from "./measure";
import { categorize, type CpuProfile } from "./profile";

const root = join(__dirname, "..");
/** Issue 24, measured on main before this work on an idle 2-core machine. */
const BEFORE = { medianMs: 5151, minMs: 4854, maxMs: 5354, peakMb: 361, unitS: "240-360" };

function runsArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidArgumentError("--runs must be a whole number from 1 to 100");
  return n;
}

const o = new Command("bench:review")
  .option("--stack <name>", "stack to review", "prod")
  .option("--runs <n>", "number of runs", runsArg, 5)
  .option("--compare", "also time the review under tsx (the former way), alternating in the same run")
  .option("--unit", "also time the unit tests (vitest run --project unit) once")
  .option("--profile", "one more run per way under node --cpu-prof: CPU time by category")
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .parse(process.argv)
  .opts<{ stack: string; runs: number; compare?: boolean; unit?: boolean; profile?: boolean }>();

const ways: Record<string, string[]> = {
  bundle: [process.execPath, join(root, "scripts", "run.mjs"), join(root, "tools/review/cli.ts"), "--stack", o.stack, "--json"],
};
if (o.compare) ways.tsx = [join(root, "node_modules", ".bin", "tsx"), join(root, "tools/review/cli.ts"), "--stack", o.stack, "--json"];

const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`load average at start: ${load()} (2 cores: above ~1.5, wall times are inflated; CPU times much less)`);
const results: Record<string, Measured[]> = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
for (let i = 0; i < o.runs; i++) {
  for (const [way, argv] of Object.entries(ways)) {
    const m = measure(argv, root, { REVIEW_TIMINGS: "1" });
    if (m.status !== 0 && m.status !== 1) {
      console.error(`run ${i + 1} (${way}): review exited ${m.status}\n${m.stderr}`);
      process.exit(1);
    }
    results[way].push(m);
    console.log(`run ${i + 1} ${way}: ${m.wallMs.toFixed(0)} ms wall, ${m.cpuMs.toFixed(0)} ms CPU, ${m.peakMb.toFixed(0)} MB (exit ${m.status})`);
  }
}
for (const [way, ms] of Object.entries(results)) {
  const walls = ms.map((m) => m.wallMs).sort((a, b) => a - b);
  const peak = Math.max(...ms.map((m) => m.peakMb));
  console.log(
    `offline review of ${o.stack} (${way}): median ${median(walls).toFixed(0)} ms over ${o.runs} runs (min ${walls[0].toFixed(0)}, max ${walls[walls.length - 1].toFixed(0)}), CPU median ${median(ms.map((m) => m.cpuMs)).toFixed(0)} ms, peak RSS ${peak > 0 ? `${peak.toFixed(0)} MB` : "n/a (no /usr/bin/time)"}`,
  );
  const phases = Object.keys(ms[0].phases);
  if (phases.length) console.log(`  phases (median ms since process start when each ended): ${phases.map((p) => `${p} ${median(ms.map((m) => m.phases[p] ?? 0)).toFixed(0)}`).join(", ")}`);
}
if (o.profile) {
  for (const [way, argv] of Object.entries(ways)) {
    const dir = mkdtempSync(join(tmpdir(), "review-profile-"));
    // tsx starts its own node child: the flag goes through NODE_OPTIONS to reach it.
    measure(argv, root, { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` });
    // The largest profile is the review's process (tsx's parent only waits).
    const files = readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8")).sort((a, b) => b.length - a.length);
    rmSync(dir, { recursive: true, force: true });
    if (!files.length) continue;
    const { total, byCategory } = categorize(JSON.parse(files[0]) as CpuProfile);
    console.log(`CPU profile (${way}): ${total.toFixed(0)} ms sampled`);
    for (const [cat, ms] of byCategory) console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${cat}`);
  }
}
console.log(`issue 24, before (idle machine, tsx): median ${BEFORE.medianMs} ms (min ${BEFORE.minMs}, max ${BEFORE.maxMs}), peak ${BEFORE.peakMb} MB; unit tests ${BEFORE.unitS} s`);
if (o.unit) {
  const m = measure([process.execPath, join(root, "node_modules", "vitest", "vitest.mjs"), "run", "--project", "unit"], root, {});
  // Vitest's summary lines, colour codes removed.
  const summary = m.stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, "g"), "").split("\n").filter((l) => /^\s*(Test Files|Tests)\s/.test(l)).map((l) => l.trim().replace(/\s+/g, " ")).join("; ");
  console.log(`unit tests: ${(m.wallMs / 1000).toFixed(1)} s wall, ${(m.cpuMs / 1000).toFixed(1)} s CPU (exit ${m.status}) ${summary}`);
}
console.log(`load average at end: ${load()}`);
