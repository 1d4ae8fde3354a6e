import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sampleOutputs } from "../testing/fixtures/outputs";
import type { StackOutputs } from "../components/contract/outputs";
import { main, type CliIO } from "./cli";
import type { PostRunHook } from "./hooks";
import { deadOutputs, fakeCheck } from "./testing/fakes";

const dir = mkdtempSync(join(tmpdir(), "checks-cli-"));
let dead: StackOutputs;
let deadFile: string;

beforeAll(async () => {
  dead = await deadOutputs();
  deadFile = join(dir, "dead.json");
  writeFileSync(deadFile, JSON.stringify(dead));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(env: NodeJS.ProcessEnv = { PATH: process.env.PATH }, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIO = { stdout: { write: (s: string) => out.push(s), isTTY: tty }, stderr: { write: (s: string) => err.push(s), isTTY: tty }, env };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
}

/** A fake `pulumi` on PATH that records its arguments and prints `stdout` (or fails). */
function fakePulumi(name: string, script: string): NodeJS.ProcessEnv {
  const bin = join(dir, name);
  rmSync(bin, { recursive: true, force: true });
  mkdirSync(bin);
  writeFileSync(join(bin, "pulumi"), `#!/bin/sh\necho "$@" > "${bin}/args"\n${script}\n`);
  chmodSync(join(bin, "pulumi"), 0o755);
  return { PATH: `${bin}:/usr/bin:/bin` };
}

describe("bad outputs and usage exit 3 with a clear error", () => {
  it("names a missing field", async () => {
    const o = sampleOutputs() as any;
    delete o.postgres.primary;
    const t = io();
    expect(await main(["--outputs", file("incomplete.json", o)], t.io)).toBe(3);
    expect(t.err()).toMatch(/do not match the contract[\s\S]*postgres\.primary: is missing/);
  });

  it("names a malformed field without echoing the value", async () => {
    const o = sampleOutputs() as any;
    o.redis.primary.port = "6379x";
    o.applicationCredentials.redisPassword = 42424242;
    const t = io();
    expect(await main(["--outputs", file("malformed.json", o)], t.io)).toBe(3);
    expect(t.err()).toContain("redis.primary.port");
    expect(t.err()).toContain("applicationCredentials.redisPassword");
    expect(t.err()).not.toContain("42424242");
  });

  it("says where a file is not JSON, without quoting it", async () => {
    const t = io();
    expect(await main(["--outputs", file("broken.json", '{"credentials": {"redisPassword": "hunter2-secret" ')], t.io)).toBe(3);
    expect(t.err()).toMatch(/broken\.json is not valid JSON \(error at character \d+\)/);
    expect(t.err()).not.toContain("hunter2");
  });

  it.each([
    [[], /pass --outputs <file> or --stack <name>/],
    [["--outputs", "/nonexistent/outputs.json"], /cannot read outputs file \/nonexistent\/outputs\.json: no such file/],
    [["--outputs", "a.json", "--stack", "dev"], /option '--outputs <file>' cannot be used with option '--stack <name>'/],
    [["--outputs", "a.json", "--timeout", "soon"], /--timeout must be a whole number of milliseconds/],
    [["--outputs", "a.json", "--fail-on", "never"], /Allowed choices are fail, warn/],
    [["--bogus"], /unknown option '--bogus'/],
  ])("%j", async (argv, message) => {
    const t = io();
    expect(await main(argv, t.io)).toBe(3);
    expect(t.err()).toMatch(message);
  });

  it("refuses an --only that matches nothing", async () => {
    const t = io();
    expect(await main(["--outputs", deadFile, "--only", "nginx.*"], t.io)).toBe(3);
    expect(t.err()).toMatch(/--only "nginx\.\*" matches none of the \d+ checks/);
  });

  it("prints help with the exit codes and exits 0", async () => {
    const t = io();
    expect(await main(["--help"], t.io)).toBe(0);
    expect(t.out()).toContain("Exit codes: 0 healthy, 1 degraded");
  });
});

describe("--stack reads outputs through the Pulumi CLI", () => {
  it("runs `pulumi stack output --json --show-secrets --stack <name>` and checks its outputs", async () => {
    const env = fakePulumi("bin-ok", `cat "${deadFile}"`);
    const t = io(env);
    expect(await main(["--stack", "dev", "--only", "redis.primary"], t.io)).toBe(2);
    expect(readFileSync(join(dir, "bin-ok", "args"), "utf8").trim()).toBe("stack output --json --show-secrets --stack dev");
    expect(t.out()).toMatch(/FAIL {2}redis\.primary {2}cannot connect to Redis master at 127\.0\.0\.1:\d+: connection refused/);
  });

  it("fails clearly (exit 3) when the CLI is missing", async () => {
    const t = io({ PATH: join(dir, "empty-path") });
    expect(await main(["--stack", "prod"], t.io)).toBe(3);
    expect(t.err()).toContain("the Pulumi CLI (`pulumi`) was not found on PATH");
  });

  it("passes on the CLI's own error (exit 3)", async () => {
    const env = fakePulumi("bin-err", `echo "error: no stack named 'qa' found" >&2; exit 255`);
    const t = io(env);
    expect(await main(["--stack", "qa"], t.io)).toBe(3);
    expect(t.err()).toMatch(/`pulumi stack output --json --show-secrets --stack qa` failed \(exit 255\): error: no stack named 'qa' found/);
  });

  it("explains masked secrets", async () => {
    const env = fakePulumi("bin-masked", `echo '${JSON.stringify({ ...sampleOutputs(), credentials: "[secret]" })}'`);
    const t = io(env);
    expect(await main(["--stack", "dev"], t.io)).toBe(3);
    expect(t.err()).toContain("--show-secrets");
  });
});

describe("reports and output", () => {
  it("--json - writes only JSON to stdout and the human report to stderr; --junit writes XML", async () => {
    const t = io();
    const junit = join(dir, "nested", "junit.xml");
    expect(await main(["--outputs", deadFile, "--only", "postgres.primary-writable", "--json", "-", "--junit", junit], t.io)).toBe(2);
    const report = JSON.parse(t.out());
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ id: "postgres.primary-writable", status: "FAIL" });
    expect(t.err()).toContain("Overall UNHEALTHY (exit 2)");
    expect(readFileSync(junit, "utf8")).toContain('failures="1"');
  });

  it("colours on a TTY only, and never with NO_COLOR", async () => {
    const colour = io({ PATH: process.env.PATH }, true);
    await main(["--outputs", deadFile, "--only", "redis.primary"], colour.io);
    expect(colour.out()).toContain("\u001b[");
    const noColour = io({ PATH: process.env.PATH, NO_COLOR: "1" }, true);
    await main(["--outputs", deadFile, "--only", "redis.primary"], noColour.io);
    expect(noColour.out()).not.toContain("\u001b[");
    const pipe = io({ PATH: process.env.PATH }, false);
    await main(["--outputs", deadFile, "--only", "redis.primary"], pipe.io);
    expect(pipe.out()).not.toContain("\u001b[");
  });

  it("never prints a password that shows up in a check's error", async () => {
    const secret = dead.credentials.pgbouncerAdminPassword;
    const t = io();
    const code = await main(["--outputs", deadFile, "--json", "-"], t.io, [], {
      factories: [() => [fakeCheck("leak", async () => Promise.reject(new Error(`auth failed for pgbouncer_admin:${secret}@127.0.0.1`)))]],
    });
    expect(code).toBe(2);
    expect(t.out() + t.err()).not.toContain(secret);
    expect(t.out()).toContain("pgbouncer_admin:[redacted]@127.0.0.1");
  });

  it("adds a hook's flag and runs the hook only when given", async () => {
    let runs = 0;
    const hook: PostRunHook = { name: "publish-metrics", flag: { flags: "--publish-metrics", description: "publish" }, run: async () => void (runs += 1) };
    const only = { factories: [() => [fakeCheck("ok", { status: "PASS" as const, message: "fine" })]] };
    expect(await main(["--outputs", deadFile], io().io, [hook], only)).toBe(0);
    expect(runs).toBe(0);
    const t = io();
    expect(await main(["--outputs", deadFile, "--publish-metrics"], t.io, [hook], only)).toBe(0);
    expect(runs).toBe(1);
    expect(t.out()).toContain("hook publish-metrics: done");
  });

  it("the real command exits with the suite's code and fails a dead stack fast", async () => {
    const t0 = Date.now();
    const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(process.execPath, ["scripts/run.mjs", "checks/cli.ts", "--outputs", deadFile, "--deadline", "10000"], { cwd: join(__dirname, ".."), timeout: 30_000 }, (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout }));
    });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/\d+ checks: 0 PASS, 0 WARN, \d+ FAIL, 0 SKIP\. Overall UNHEALTHY/);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });
});
