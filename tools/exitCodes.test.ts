// The command-line tools' exit codes on bad input, as a user meets them (a real process
// per case): 2 with a message naming the bad flag, never commander's 1 or a stack trace.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useColour } from "../checks/report/console";

const root = join(__dirname, "..");
// What `npm run <script>` runs (package.json): the launcher and the entry.
const launcher = join(root, "scripts", "run.mjs");

function run(script: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(process.execPath, [launcher, join(root, script), ...args], { cwd: root, encoding: "utf8", timeout: 30_000, env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("exit codes on bad flags", () => {
  it("bench: an unknown flag exits 2 (as its header says), naming the flag", () => {
    const r = run("bench/cli.ts", ["pgbouncer", "--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });

  it("bench:review --runs abc exits 2 with what --runs expects, no TypeError", () => {
    const r = run("bench/review.ts", ["--runs", "abc"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--runs must be a whole number");
    expect(r.stderr).not.toContain("TypeError");
  });

  it("review: an unknown flag is named, not reported as a missing --stack", () => {
    const r = run("tools/review/cli.ts", ["--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
    expect(r.stderr).not.toContain("--stack");
  });

  it("review: without --stack still says --stack is required", () => {
    const r = run("tools/review/cli.ts", []);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("required option '-s, --stack <name>' not specified");
  });
});

describe("review colours by the suite's rule", () => {
  // The runner's own colour variables are left out: each case sets exactly its own.
  const { NO_COLOR: _n, FORCE_COLOR: _f, ...base } = process.env;
  const cases: { env: NodeJS.ProcessEnv; args?: string[] }[] = [
    { env: { FORCE_COLOR: "1" } },
    { env: { FORCE_COLOR: "1", NO_COLOR: "1" } },
    { env: { FORCE_COLOR: "1" }, args: ["--no-color"] },
  ];
  it.each(cases)("$env $args: colour exactly when the suite would colour (stdout is a pipe)", ({ env, args = [] }) => {
    // A stack that does not exist: the review prints its error (in red when colouring) and exits 2 at once.
    const r = run("tools/review/cli.ts", ["--stack", "no-such-stack", ...args], { ...base, ...env });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("no-such-stack");
    const suite = useColour({ isTTY: false }, env) && !args.includes("--no-color");
    expect(r.stdout.includes("\x1b["), JSON.stringify(env)).toBe(suite);
  });
});
