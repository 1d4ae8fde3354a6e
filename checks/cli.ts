/**
 * `npm run check -- --outputs <file> | --stack <name> [options]`: runs the smoke suite
 * against a stack's outputs and exits 0 healthy, 1 degraded, 2 unhealthy, 3 bad outputs
 * or usage, 4 internal error (docs/checks.md).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ContractError, type StackOutputs } from "../components/contract/outputs";
import { UsageError } from "./errors";
import type { PostRunHook } from "./hooks";
import { readOutputsFile, readOutputsFromStack } from "./outputsSource";
import { redactorForOutputs } from "./redact";
import { POST_RUN_HOOKS } from "./registry";
import { formatConsoleReport, useColour } from "./report/console";
import { formatJsonReport } from "./report/json";
import { printable } from "./report/escape";
import { formatJunitReport } from "./report/junit";
import { InVpcError, runChecksInVpc, type InVpcOptions } from "./invpc/run";
import { DEFAULT_DEADLINE_MS, EXIT } from "./runner";
import { runSuite, type SuiteOptions } from "./suite";

export interface CliIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

interface CliOptions {
  outputs?: string;
  stack?: string;
  json?: string;
  junit?: string;
  only?: string;
  timeout?: number;
  deadline?: number;
  failOn: "fail" | "warn";
  inVpc?: boolean;
  inVpcWait?: number;
  [hookFlag: string]: unknown;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of milliseconds above 0`);
    return n;
  };
}

function program(io: CliIO, hooks: PostRunHook[]): Command {
  const cmd = new Command("npm run check --")
    .description("Smoke checks for the data tier (Redis, Postgres, PgBouncer, partitions; AWS control plane on aws), from a stack's outputs.")
    .addOption(new Option("--outputs <file>", "stack outputs as JSON (`pulumi stack output --json --show-secrets > file`)").conflicts("stack"))
    .addOption(new Option("--stack <name>", "read outputs with `pulumi stack output --json --show-secrets --stack <name>`"))
    .option("--json <file|->", "write the JSON report to a file, or to stdout with -")
    .option("--junit <file>", "write a JUnit XML report")
    .option("--only <pattern>", "run only matching checks: ids, id prefixes, groups or globs, comma-separated (e.g. \"redis.*,pgbouncer\")")
    .option("--timeout <ms>", "per-check timeout for checks that set none (default 5000)", positiveInt("--timeout"))
    .option("--deadline <ms>", "deadline for the whole suite (default 60000)", positiveInt("--deadline"))
    .addOption(new Option("--fail-on <level>", "lowest status that fails the gate (exit >= 2)").choices(["fail", "warn"]).default("fail"))
    .addOption(new Option("--in-vpc", "run the suite as the stack's checks task inside the VPC (ECS RunTask, AWS) and print its report; needs --stack or --outputs with outputs.checks.aws"))
    .addOption(new Option("--in-vpc-wait <ms>", "bound on the whole in-VPC run, start to report (default: the suite deadline + 5 minutes)").argParser(positiveInt("--in-vpc-wait")))
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .addHelpText("after", "\nExit codes: 0 healthy, 1 degraded (WARN), 2 unhealthy (FAIL, or WARN with --fail-on warn), 3 bad outputs or usage, 4 internal error.");
  for (const h of hooks) if (h.flag) cmd.addOption(new Option(h.flag.flags, h.flag.description));
  return cmd;
}

async function writeReport(path: string, text: string, what: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  } catch (e) {
    throw new UsageError(`cannot write the ${what} report to ${path}: ${(e as Error).message}`);
  }
}

/** Fargate start, image pull and log delivery on top of the suite's own deadline. */
const IN_VPC_START_ALLOWANCE_MS = 5 * 60_000;

/** --in-vpc: the same arguments go to the task; the report comes back from its log. */
async function inVpcReport(outputs: StackOutputs, opts: CliOptions, hooks: PostRunHook[], io: CliIO, deps: Partial<InVpcOptions>) {
  const args = [
    ...(opts.only ? ["--only", opts.only] : []),
    ...(opts.timeout ? ["--timeout", String(opts.timeout)] : []),
    ...(opts.deadline ? ["--deadline", String(opts.deadline)] : []),
    "--fail-on",
    opts.failOn,
    ...hooks.map((h) => new Option(h.flag!.flags).long!),
  ];
  const r = await runChecksInVpc(outputs, {
    args,
    waitMs: opts.inVpcWait ?? (opts.deadline ?? DEFAULT_DEADLINE_MS) + IN_VPC_START_ALLOWANCE_MS,
    progress: (line) => void io.stderr.write(`in-vpc: ${line}\n`),
    ...deps,
  });
  if (r.report.exitCode !== r.exitCode) io.stderr.write(`in-vpc: the task exited with ${r.exitCode}, its report says ${r.report.exitCode}; exiting with the task's\n`);
  return { ...r.report, exitCode: r.exitCode };
}

/** Our messages' own lines stay lines; anything else unprintable in them is shown escaped. */
const printLines = (text: string) => text.split("\n").map(printable).join("\n");

/** Runs the command line; resolves to the exit code (never calls process.exit). */
export async function main(argv: string[], io: CliIO, hooks: PostRunHook[] = POST_RUN_HOOKS, suiteOverrides: Partial<SuiteOptions> = {}, inVpc: Partial<InVpcOptions> = {}): Promise<number> {
  const cmd = program(io, hooks);
  let opts: CliOptions;
  try {
    cmd.parse(argv, { from: "user" });
    opts = cmd.opts<CliOptions>();
  } catch (e) {
    if (e instanceof CommanderError) return e.code === "commander.helpDisplayed" || e.code === "commander.version" ? 0 : EXIT.usage;
    throw e;
  }
  if (!opts.outputs && !opts.stack) {
    io.stderr.write("error: pass --outputs <file> or --stack <name> (see --help)\n");
    return EXIT.usage;
  }
  let redact = (s: string) => s;
  try {
    const outputs: StackOutputs = opts.outputs ? await readOutputsFile(opts.outputs) : await readOutputsFromStack(opts.stack as string, { env: io.env });
    redact = redactorForOutputs(outputs);
    const enabledHooks = hooks.filter((h) => h.flag && opts[new Option(h.flag.flags).attributeName()]).map((h) => h.name);
    const report = opts.inVpc
      ? await inVpcReport(outputs, opts, hooks.filter((h) => enabledHooks.includes(h.name)), io, inVpc)
      : await runSuite(outputs, { only: opts.only, timeoutMs: opts.timeout, deadlineMs: opts.deadline, failOn: opts.failOn, hooks, enabledHooks, ...suiteOverrides });
    const jsonToStdout = opts.json === "-";
    const human = jsonToStdout ? io.stderr : io.stdout;
    human.write(redact(formatConsoleReport(report, useColour(human, io.env))));
    if (opts.json) {
      const text = formatJsonReport(report, redact);
      if (jsonToStdout) io.stdout.write(text);
      else await writeReport(opts.json, text, "JSON");
    }
    if (opts.junit) await writeReport(opts.junit, formatJunitReport(report, redact), "JUnit");
    return report.exitCode;
  } catch (e) {
    if (e instanceof ContractError || e instanceof UsageError) {
      io.stderr.write(`error: ${printLines(redact(e.message))}\n`);
      return EXIT.usage;
    }
    if (e instanceof InVpcError) {
      io.stderr.write(`error: ${printLines(redact(e.message))}\n`);
      return e.exitCode;
    }
    io.stderr.write(`internal error: ${printLines(redact(e instanceof Error ? (e.stack ?? e.message) : String(e)))}\n`);
    return EXIT.internal;
  }
}

// In the checks image's bundle every module shares one `module`, so require.main matches here too;
// the bundle's build defines DATATIER_BUNDLE (components/checkstask/image/Dockerfile) and checks/invpc/entry.ts runs instead.
if (require.main === module && process.env.DATATIER_BUNDLE !== "1") {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
    process.exitCode = code;
    // Every connection is closed by now; this only guards against a stray handle keeping the process alive.
    setTimeout(() => process.exit(code), 500).unref();
  });
}
