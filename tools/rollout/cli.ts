/**
 * `npm run rollout -- --stack <name> [--outputs <file>] status|advance|rollback`: the
 * partitioned-tables switchover in phases (docs/rollout.md). Exit 0 done, 1 the gate refused
 * the next phase, 2 bad input (flags, files, outputs, credentials), 4 internal error.
 */
import { userInfo } from "node:os";
import { dirname, join } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ContractError, type StackOutputs } from "../../components/contract/outputs";
import { PROJECT_ROOT } from "../../components/settings/stackFile";
import { UsageError } from "../../checks/errors";
import { readOutputsFile, readOutputsFromStack } from "../../checks/outputsSource";
import { redactorForOutputs } from "../../checks/redact";
import { printable } from "../../checks/report/escape";
import type { FlagBackend } from "./backend";
import { awsBackend } from "./aws";
import { ROLLOUT_EXIT, RolloutInputError } from "./errors";
import { localBackend } from "./local";
import { advance, rollback, status, type RolloutContext } from "./run";

export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

interface Opts {
  stack: string;
  outputs?: string;
  history?: string;
  soak?: number;
  who?: string;
  reason?: string;
}

const VERBS = ["status", "advance", "rollback"] as const;

function seconds(v: string): number {
  if (!/^\d{1,7}$/.test(v)) throw new InvalidArgumentError("--soak must be a whole number of seconds (0-9999999)");
  return Number(v);
}

/** Where the history lives: beside the local flag file, or under .rollout/ for AppConfig stacks. */
export function defaultHistoryFile(stack: string, outputs: StackOutputs): string {
  const file = outputs.application.flags?.file;
  return file ? join(dirname(file), "rollout-history.json") : join(PROJECT_ROOT, ".rollout", `${stack}.json`);
}

/** The flag backend the outputs name; a RolloutInputError when they name none. */
export function backendFor(outputs: StackOutputs, overrides: { aws?: Partial<Parameters<typeof awsBackend>[0]> } = {}): FlagBackend {
  const flags = outputs.application.flags;
  if (!flags) throw new RolloutInputError("the outputs have no application.flags (written before the switchover flags existed); run `pulumi up` (or `npm run sandbox -- up`) to get them");
  if (flags.file) return localBackend(flags.file);
  if (flags.appconfig) {
    if (!outputs.region) throw new RolloutInputError("the outputs name an AppConfig flag but no region");
    return awsBackend({ region: outputs.region, appconfig: flags.appconfig, alarmNames: outputs.alarms.alarmNames, ...overrides.aws });
  }
  throw new RolloutInputError("application.flags names neither a file nor AppConfig (alarms disabled on an aws stack?); the switchover needs one");
}

export async function main(argv: string[], io: CliIO, deps: { backend?: (o: StackOutputs) => FlagBackend; suite?: RolloutContext["suite"] } = {}): Promise<number> {
  const cmd = new Command("npm run rollout --")
    .description("The partitioned-tables switchover in phases: status, advance one phase when the gate holds, rollback (both flags off).")
    .requiredOption("--stack <name>", "stack name (the outputs' environment)")
    .option("--outputs <file>", "stack outputs JSON (a sandbox's <dir>/outputs.json); default `pulumi stack output --json --show-secrets`")
    .option("--history <file>", "rollout history file (default: beside the local flag file, or .rollout/<stack>.json)")
    .option("--soak <seconds>", "soak to require before advancing instead of the phase table's (refused on a production stack)", seconds)
    .option("--who <name>", "who runs the step, recorded in the history (default: $USER)")
    .option("--reason <text>", "why, recorded in the history")
    .argument("<action>", VERBS.join(" | "))
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) })
    .addHelpText("after", "\nExit codes: 0 done, 1 the gate refused the next phase, 2 bad input (flags, files, outputs, credentials), 4 internal error.");
  let opts: Opts;
  let verb: string;
  try {
    cmd.parse(argv, { from: "user" });
    opts = cmd.opts<Opts>();
    verb = cmd.args[0];
  } catch (e) {
    if (e instanceof CommanderError) return e.code === "commander.helpDisplayed" ? ROLLOUT_EXIT.ok : ROLLOUT_EXIT.input;
    throw e;
  }
  let redact = (s: string) => s;
  const problems: string[] = [];
  if (!(VERBS as readonly string[]).includes(verb)) problems.push(`action "${printable(verb.slice(0, 40))}": expected one of ${VERBS.join(", ")}`);
  if (opts.reason !== undefined && opts.reason.length > 500) problems.push(`--reason: ${opts.reason.length} characters; at most 500`);
  if (opts.who !== undefined && !/^[\w.@ -]{1,64}$/.test(opts.who)) problems.push("--who: expected 1-64 letters, digits, _ . @ - or spaces");
  try {
    const outputs = opts.outputs ? await readOutputsFile(opts.outputs) : await readOutputsFromStack(opts.stack, { env: io.env });
    redact = redactorForOutputs(outputs);
    if (outputs.environment !== opts.stack) problems.push(`--stack ${printable(opts.stack.slice(0, 40))}: the outputs are environment "${outputs.environment}"'s`);
    if (opts.soak !== undefined && outputs.production) problems.push(`--soak: refused on production stack ${outputs.environment}; its soak is the phase table's`);
    if (problems.length > 0) throw new RolloutInputError(problems.join("\n"));
    const ctx: RolloutContext = {
      stack: opts.stack,
      outputs,
      backend: (deps.backend ?? backendFor)(outputs),
      historyFile: opts.history ?? defaultHistoryFile(opts.stack, outputs),
      who: opts.who ?? io.env.USER ?? userInfo().username,
      log: (line) => void io.stdout.write(`${redact(line)}\n`),
      soakSeconds: opts.soak,
      reason: opts.reason,
      suite: deps.suite,
    };
    const r = await (verb === "status" ? status(ctx) : verb === "advance" ? advance(ctx) : rollback(ctx));
    return r.code;
  } catch (e) {
    if (e instanceof RolloutInputError || e instanceof UsageError || e instanceof ContractError) {
      const all = problems.length > 0 && !(e instanceof RolloutInputError) ? [...problems, e.message] : [e.message];
      io.stderr.write(`error: ${all.map((m) => m.split("\n").map((l) => printable(redact(l))).join("\n")).join("\n")}\n`);
      return ROLLOUT_EXIT.input;
    }
    io.stderr.write(`internal error: ${printable(redact(e instanceof Error ? e.message : String(e)))}\n`);
    return ROLLOUT_EXIT.internal;
  }
}

if (require.main === module) {
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then((code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 500).unref();
  });
}
