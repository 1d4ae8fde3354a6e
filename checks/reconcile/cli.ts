/**
 * `npm run reconcile -- --outputs <file> [--pair <legacy>] [--since <date>] [options]`:
 * the full, per-partition reconciliation of the partition pairs (checks/reconcile/run.ts),
 * on a replica by default. Exit 0 every partition matches, 1 some differ, 2 incomplete
 * (a partition could not be read: progress kept for a rerun), 3 bad outputs or usage,
 * 4 internal error.
 */
import { dirname, join, resolve } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ContractError, type StackOutputs } from "../../components/contract/outputs";
import { UsageError } from "../errors";
import { monitorTarget } from "../lib/postgres";
import { readOutputsFile } from "../outputsSource";
import { redactorForOutputs } from "../redact";
import { formatReconcileReport, reconcile, RECONCILE_EXIT, type ProgressEvent } from "./run";
import { StateFileError } from "./state";

export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean; columns?: number };
}

interface Opts {
  outputs?: string;
  pair?: string[];
  since?: string;
  replica?: string;
  primary?: boolean;
  state?: string;
  fresh?: boolean;
  statementTimeout: number;
  pause: number;
  key: string;
  json?: boolean;
}

function wholeNumber(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number of milliseconds, at least ${min}`);
    return n;
  };
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** A date (2026-11-01) or timestamp (2026-11-01T06:00:00Z): anything else is a usage error, not a server error. */
const SINCE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

function program(io: CliIO): Command {
  return new Command("npm run reconcile --")
    .description("Per-partition reconciliation of each legacy/partitioned pair (count + key checksum), off the gate; its result is what partition.reconcile.* reads.")
    .requiredOption("--outputs <file>", "stack outputs as JSON (`pulumi stack output --json --show-secrets > file`)")
    .option("--pair <legacy>", "only this pair (legacy table name); repeatable", collect)
    .option("--since <date>", "only partitions holding rows at or after this date (YYYY-MM-DD or an ISO timestamp), plus the default partition")
    .addOption(new Option("--replica <id>", "read on this replica (default: the first in the outputs)").conflicts("primary"))
    .option("--primary", "read on the primary (when there is no replica; adds load where the application writes)")
    .option("--state <file>", "progress file for resuming (default: reconcile-state.json beside the outputs)")
    .option("--fresh", "discard an unfinished run's progress and start over")
    .option("--statement-timeout <ms>", "statement_timeout of each read (one partition side)", wholeNumber("--statement-timeout", 100), 300_000)
    .option("--pause <ms>", "pause between partitions", wholeNumber("--pause", 0), 1_000)
    .option("--key <column>", "key column checksummed per partition", "id")
    .option("--json", "print the report as JSON on stdout")
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .addHelpText("after", "\nExit codes: 0 every partition matches, 1 some differ, 2 incomplete (rerun to resume), 3 bad outputs or usage, 4 internal error.");
}

function pickPairs(outputs: StackOutputs, wanted: string[] | undefined) {
  const all = outputs.postgres.partitionPairs;
  if (all.length === 0) throw new UsageError("postgres.partitionPairs in the outputs is empty: nothing to reconcile");
  if (!wanted) return all;
  const unknown = wanted.filter((w) => !all.some((p) => p.legacy === w));
  if (unknown.length) throw new UsageError(`--pair ${unknown.join(", ")}: not a legacy table of postgres.partitionPairs (expected one of ${all.map((p) => p.legacy).join(", ")})`);
  return all.filter((p) => wanted.includes(p.legacy));
}

function readTarget(outputs: StackOutputs, o: Opts) {
  const replicas = outputs.postgres.replicas;
  if (o.primary) return monitorTarget(outputs, outputs.postgres.primary, "primary");
  if (o.replica) {
    const r = replicas.find((x) => x.id === o.replica);
    if (!r) throw new UsageError(`--replica ${o.replica}: not in postgres.replicas (expected one of ${replicas.map((x) => x.id).join(", ") || "none"})`);
    return monitorTarget(outputs, r, `replica ${r.id}`);
  }
  if (replicas.length === 0) throw new UsageError("postgres.replicas in the outputs is empty: pass --primary to read on the primary");
  return monitorTarget(outputs, replicas[0], `replica ${replicas[0].id}`);
}

/** A one-line bar on a TTY (redrawn in place); one line per partition otherwise. */
function progressPrinter(io: CliIO): (e: ProgressEvent) => void {
  const tty = Boolean(io.stderr.isTTY);
  return (e) => {
    const what = `${e.outcome === "resumed" ? "done earlier" : e.outcome}${e.ms !== undefined ? ` in ${Math.round(e.ms)} ms` : ""}${e.detail ? `: ${e.detail}` : ""}`;
    if (!tty) {
      io.stderr.write(`[${e.index}/${e.total}] ${e.pair} ${e.partition} ${what}\n`);
      return;
    }
    const width = 24;
    const filled = Math.round((e.index / e.total) * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${e.index}/${e.total}`;
    const line = `${bar} ${e.partition} ${what}`.slice(0, Math.max(40, (io.stderr.columns ?? 100) - 1));
    io.stderr.write(`\r\x1b[2K${line}`);
    if (e.outcome === "differs" || e.outcome === "failed") io.stderr.write("\n");
    if (e.index === e.total) io.stderr.write("\n");
  };
}

/** Runs the command line; resolves to the exit code (never calls process.exit). */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const cmd = program(io);
  let o: Opts;
  try {
    cmd.parse(argv, { from: "user" });
    o = cmd.opts<Opts>();
  } catch (e) {
    if (e instanceof CommanderError) return e.code === "commander.helpDisplayed" ? 0 : RECONCILE_EXIT.usage;
    throw e;
  }
  let redact = (s: string) => s;
  try {
    if (o.since !== undefined && !SINCE.test(o.since)) throw new UsageError(`--since "${o.since}": expected a date (YYYY-MM-DD) or an ISO timestamp`);
    const outputsPath = resolve(o.outputs as string);
    const outputs = await readOutputsFile(outputsPath);
    redact = redactorForOutputs(outputs);
    const pairs = pickPairs(outputs, o.pair);
    const statePath = resolve(o.state ?? join(dirname(outputsPath), "reconcile-state.json"));
    const report = await reconcile({
      outputs,
      pairs,
      read: readTarget(outputs, o),
      write: monitorTarget(outputs, outputs.postgres.primary, "primary"),
      since: o.since,
      statementTimeoutMs: o.statementTimeout,
      pauseMs: o.pause,
      keyColumn: o.key,
      statePath,
      fresh: o.fresh,
      onProgress: progressPrinter(io),
    });
    if (o.json) io.stdout.write(redact(`${JSON.stringify(report, null, 2)}\n`));
    else io.stdout.write(redact(formatReconcileReport(report, statePath)));
    return report.exitCode;
  } catch (e) {
    if (e instanceof ContractError || e instanceof UsageError || e instanceof StateFileError) {
      io.stderr.write(`error: ${redact(e.message)}\n`);
      return RECONCILE_EXIT.usage;
    }
    io.stderr.write(`internal error: ${redact(e instanceof Error ? (e.stack ?? e.message) : String(e))}\n`);
    return RECONCILE_EXIT.internal;
  }
}

// Not inside the checks image's bundle, where every module shares one `module` (see checks/cli.ts).
if (require.main === module && process.env.DATATIER_BUNDLE !== "1") {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 500).unref();
  });
}
