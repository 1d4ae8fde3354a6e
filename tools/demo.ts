/**
 * `npm run demo`: the README's first command. Brings up the local sandbox (or reuses a
 * healthy one), runs the smoke suite against its outputs, prints the report and the
 * overall status, and exits with the suite's exit code (0 healthy, 1 degraded,
 * 2 unhealthy; 2 as well when the sandbox cannot start).
 */
import { existsSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { redactorForOutputs } from "../checks/redact";
import { formatConsoleReport, useColour } from "../checks/report/console";
import { EXIT } from "../checks/runner";
import { runSuite } from "../checks/suite";
import { formatEndpoints } from "../sandbox/cli";
import { defaultDir, DEFAULT_STACK, startSandbox } from "../sandbox/lifecycle";
import { stateFile } from "../sandbox/state";

export interface DemoIO {
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown };
  env: NodeJS.ProcessEnv;
}

/** The first line: "Starting" only when there is no sandbox in the folder yet; `up` reuses one that is there. */
export function bringUpLine(stack: string, dir: string, existing: boolean): string {
  const what = "Redis + Sentinel, PostgreSQL 15 + replica, PgBouncer on 127.0.0.1";
  return existing ? `Reusing the sandbox (stack ${stack}) in ${dir}: ${what}; starting what is down ...\n` : `Starting the sandbox (stack ${stack}) in ${dir}: ${what} ...\n`;
}

export async function demo(argv: string[], io: DemoIO): Promise<number> {
  const cmd = new Command("npm run demo --")
    .description("Start the local sandbox (or reuse it) and run the smoke suite against it.")
    .option("--dir <folder>", "sandbox data folder (default .sandbox/<stack>)")
    .option("--stack <name>", "stack whose settings the sandbox runs", DEFAULT_STACK)
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });
  try {
    cmd.parse(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.code === "commander.helpDisplayed" ? 0 : EXIT.usage;
    throw e;
  }
  const o = cmd.opts<{ dir?: string; stack: string }>();
  const dir = o.dir ?? defaultDir(o.stack);
  const downHint = `npm run sandbox -- down${o.dir ? ` --dir ${o.dir}` : ""}`;

  io.stdout.write(bringUpLine(o.stack, dir, existsSync(stateFile(dir))));
  let info;
  try {
    info = await startSandbox({ dir, stack: o.stack });
  } catch (e) {
    io.stderr.write(`error: ${(e as Error).message}\n\nThe sandbox did not come up. Is everything installed? \`npm run predemo\` installs the Debian packages.\n`);
    return EXIT.unhealthy;
  }
  const how = info.reused ? (info.started.length || info.resumed.length ? "reused (restarted what was down)" : "reused, already running") : "started";
  io.stdout.write(`Sandbox ${how} in ${(info.ms / 1000).toFixed(2)} s\n${formatEndpoints(info)}\n\n`);
  if (!info.outputs) {
    io.stderr.write("error: the sandbox wrote no outputs (a part is missing)\n");
    return EXIT.unhealthy;
  }

  io.stdout.write(`Running the smoke suite against ${info.outputsFile} ...\n\n`);
  const redact = redactorForOutputs(info.outputs);
  const report = await runSuite(info.outputs);
  io.stdout.write(redact(formatConsoleReport(report, useColour(io.stdout, io.env))));
  io.stdout.write(`\nOverall: ${report.overall.toUpperCase()} (exit code ${report.exitCode})\n`);
  io.stdout.write(`\nThe sandbox keeps running. Run the suite again: npm run check -- --outputs ${info.outputsFile}\nTry a failure: npm run sandbox -- drill redis-failover\nStop it:       ${downHint}\n`);
  return report.exitCode;
}

if (require.main === module) {
  demo(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env })
    .catch((e: unknown) => {
      process.stderr.write(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT.internal;
    })
    .then((code) => {
      process.exitCode = code;
      // Every client is closed by now; this only guards against a stray handle.
      setTimeout(() => process.exit(code), 500).unref();
    });
}
