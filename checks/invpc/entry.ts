/**
 * The checks task's entrypoint (bundled into the checks image): writes the outputs ECS
 * injected from Secrets Manager to a 0600 file, runs the suite exactly as
 * `npm run check -- --outputs <file>` does with the arguments the task was started with,
 * prints the human report to stderr and the JSON report as one marked line to stdout
 * (checks/invpc/report.ts), and exits with the suite's exit code. With `reconcile` as
 * the first argument it runs the reconciliation instead (its report on stdout, its exit
 * code), so a daily schedule of the same task can record the gate's full-table verdict.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OUTPUTS_ENV } from "../../components/checkstask/task";
import { main } from "../cli";
import { EXIT } from "../runner";
import { main as reconcileMain } from "../reconcile/cli";
import { reportLine } from "./report";

/** First argument that makes the task run `npm run reconcile` instead of the suite. */
export const RECONCILE_COMMAND = "reconcile";

export async function entry(argv: string[], env: NodeJS.ProcessEnv, out: { write(s: string): unknown }, err: { write(s: string): unknown }): Promise<number> {
  const doc = env[OUTPUTS_ENV];
  if (!doc) {
    err.write(`error: ${OUTPUTS_ENV} is empty; the task definition injects it from the outputs secret (components/checkstask)\n`);
    return EXIT.usage;
  }
  const dir = mkdtempSync(join(tmpdir(), "datatier-checks-"));
  const file = join(dir, "outputs.json");
  writeFileSync(file, doc, { mode: 0o600 });
  // Nothing the suite starts needs the document in its environment.
  delete env[OUTPUTS_ENV];
  let json = "";
  try {
    // `reconcile ...`: the full reconciliation (checks/reconcile/cli.ts) on the same outputs, for a daily schedule of this task.
    if (argv[0] === RECONCILE_COMMAND) return await reconcileMain(["--outputs", file, ...argv.slice(1)], { stdout: out, stderr: err });
    const code = await main(["--outputs", file, "--json", "-", ...argv], { stdout: { write: (s: string) => (json += s) }, stderr: err, env });
    if (json) out.write(reportLine(json));
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  entry(process.argv.slice(2), process.env, process.stdout, process.stderr).then((code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 500).unref();
  });
}
