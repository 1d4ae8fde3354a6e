/**
 * Benchmarks: `npm run bench -- pgbouncer [--outputs <file>] [--local] [--duration 15]
 * [--scale 10] [--json]` and `npm run bench -- partition [--rows 1000000,30000000]
 * [--runs 7]` (bench/partition/run.ts), `npm run bench -- read-routing [--clients 10] [--duration 5] [--replicas 2] [--interval <ms>]`. Loopback only; exits 1 when a run breaks its promise (for
 * PgBouncer: more server connections than default_pool_size + reserve_pool_size), 2 on
 * bad input or a failed run.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { formatReport, runBench } from "./pgbouncer/run";
import { benchReadRouting, formatReadRouting } from "./readRouting";
import { defaultOutputsFile, localTarget, sandboxTarget, type BenchTarget } from "./pgbouncer/targets";

const root = join(__dirname, "..");

function positiveInt(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}`);
    return n;
  };
}

interface PgbouncerOpts {
  outputs?: string;
  local?: boolean;
  duration: number;
  scale: number;
  jobs: number;
  manyClients: number;
  json?: boolean;
}

// Bad flags exit 2 like every other bad input (commander's own default is 1).
const program = new Command("bench").description("Benchmarks against the local sandbox (loopback only)").exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
program
  .command("pgbouncer")
  .description("pgbench select-only: direct to Postgres (50 clients), through PgBouncer (50 and 1000 clients); peak server connections must stay within the pool")
  .option("--outputs <file>", "stack outputs of a running sandbox", undefined)
  .option("--local", "start a primary + PgBouncer in a temp dir instead of using the sandbox")
  .option("--duration <seconds>", "seconds per run", positiveInt("--duration", 1, 300), 15)
  .option("--scale <n>", "pgbench scale (100,000 rows each)", positiveInt("--scale", 1, 100), 10)
  .option("--jobs <n>", "pgbench threads", positiveInt("--jobs", 1, 16), 2)
  .option("--many-clients <n>", "clients of the big pooled run", positiveInt("--many-clients", 1, 10_000), 1000)
  .option("--json", "print the report as JSON")
  .action(async (o: PgbouncerOpts) => {
    const log = (line: string) => !o.json && console.error(line);
    const outputs = o.outputs ? resolve(o.outputs) : defaultOutputsFile(root);
    let target: BenchTarget;
    if (o.local) {
      target = await localTarget();
    } else if (existsSync(outputs)) {
      target = sandboxTarget(outputs);
    } else if (o.outputs) {
      throw new Error(`bench: ${outputs} does not exist; start the sandbox (npm run sandbox -- up) or pass --local`);
    } else {
      log(`no sandbox outputs at ${outputs}: starting a local primary + PgBouncer (npm run sandbox -- up to use the sandbox)`);
      target = await localTarget();
    }
    try {
      const report = await runBench(target, { durationSeconds: o.duration, scale: o.scale, jobs: o.jobs, clients: { direct: 50, pooled: 50, many: o.manyClients }, log });
      console.log(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
      process.exitCode = report.problems.length ? 1 : 0;
    } finally {
      await target.stop();
    }
  });

program
  .command("read-routing")
  .description("reads through the read-only pool on a sandbox of its own (dev settings with --replicas replicas): all healthy, one down, all down; with the read router and without it")
  .option("--clients <n>", "concurrent reading clients", positiveInt("--clients", 1, 200), 10)
  .option("--duration <seconds>", "seconds per run", positiveInt("--duration", 1, 120), 5)
  .option("--replicas <n>", "Postgres replicas (2 or more, so one down is not all down)", positiveInt("--replicas", 1, 5), 2)
  .option("--interval <ms>", "the read router's interval (default: readRouting.intervalMs of the dev settings)", positiveInt("--interval", 500, 30_000))
  .option("--json", "print the figures as JSON")
  .action(async (o: { clients: number; duration: number; replicas: number; interval?: number; json?: boolean }) => {
    const rows = await benchReadRouting({ clients: o.clients, seconds: o.duration, replicas: o.replicas, intervalMs: o.interval, log: (l) => !o.json && console.error(l) });
    console.log(o.json ? JSON.stringify(rows, null, 2) : formatReadRouting(rows));
  });

function rowList(v: string): number[] {
  const sizes = v.split(",").map((x) => Number(x.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1_000 || n > 2_000_000_000)) {
    throw new InvalidArgumentError("--rows must be comma-separated whole numbers from 1000 to 2000000000, e.g. 1000000,30000000");
  }
  return [...new Set(sizes)];
}

interface PartitionOpts {
  rows: number[];
  runs: number;
  rate: number;
  json?: boolean;
}

program
  .command("partition")
  .description("one partition pair per size in its own sandbox (primary only), each loaded to its row count; runs the partition checks several times, sizes interleaved, and a reconcile per pair; prints rows / median per check / ratio to the smallest size")
  .option("--rows <list>", "table sizes, comma-separated", rowList, [1_000_000, 10_000_000, 30_000_000])
  .option("--runs <n>", "timed runs per check and size (after one warm-up)", positiveInt("--runs", 1, 50), 7)
  .option("--rate <n>", "constant write rate of the model, rows per second (the history grows, the window does not)", positiveInt("--rate", 1, 10_000), 2)
  .option("--json", "print the report as JSON")
  .action(async (o: PartitionOpts) => {
    const { formatPartitionBench, runPartitionBench } = await import("./partition/run");
    const log = (line: string) => !o.json && console.error(line);
    const report = await runPartitionBench({ rows: o.rows, runs: o.runs, ratePerSecond: o.rate, checkTimeoutMs: 5_000, dir: join(root, ".sandbox", "bench-partition"), log });
    console.log(o.json ? JSON.stringify(report, null, 2) : formatPartitionBench(report));
    process.exitCode = report.problems.length ? 1 : 0;
  });

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(e.message);
  process.exitCode = 2;
});
