/**
 * The checks image's program for real: bundled by the very esbuild command of the
 * Dockerfile, run with node as the container runs it, against outputs whose endpoints are
 * dead (loopback ports nobody listens on): exit code, the one report line the in-VPC runner
 * reads back, the human report on stderr, no password anywhere.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { secretValues, type StackOutputs } from "../../components/contract/outputs";
import { CHECKS_DOCKERFILE } from "../../components/checkstask/image";
import { OUTPUTS_ENV } from "../../components/checkstask/task";
import { deadOutputs } from "../testing/fakes";
import { findReport } from "./report";

const root = join(__dirname, "..", "..");
const out = mkdtempSync(join(tmpdir(), "checks-bundle-"));
const bundle = join(out, "checks.js");
let dead: StackOutputs;

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    execFile(cmd, args, { cwd: root, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr })),
  );

beforeAll(async () => {
  dead = await deadOutputs();
  // The Dockerfile's own build line, with its output moved to a temp folder.
  const line = readFileSync(CHECKS_DOCKERFILE, "utf8").split("\n").find((l) => l.startsWith("RUN npx esbuild "))!;
  const args = line.slice("RUN npx ".length).replace("/out/checks.js", bundle).split(" ").map((a) => a.replace(/^--define:process\.env\.DATATIER_BUNDLE='"1"'$/, '--define:process.env.DATATIER_BUNDLE="1"'));
  const r = await run("npx", args, process.env);
  expect(r.code, r.stderr).toBe(0);
}, 90_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe("the checks image's bundle", () => {
  it("runs the suite from the injected outputs, prints one report line, exits with the suite's code, prints no password", async () => {
    const r = await run("node", [bundle, "--only", "redis,pgbouncer", "--deadline", "10000"], { PATH: process.env.PATH, [OUTPUTS_ENV]: JSON.stringify(dead) });
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const report = findReport(lines)!;
    expect(report.overall).toBe("unhealthy");
    expect(report.results.length).toBeGreaterThan(3);
    expect(report.results.every((x) => x.id.startsWith("redis.") || x.id.startsWith("pgbouncer."))).toBe(true);
    expect(r.stderr).toMatch(/checks: 0 PASS, 0 WARN, \d+ FAIL, 0 SKIP\. Overall UNHEALTHY \(exit 2\)/);
    for (const pw of secretValues(dead)) expect(r.stdout + r.stderr).not.toContain(pw);
  });

  it("exits 3 with a clear message when the outputs were not injected", async () => {
    const r = await run("node", [bundle], { PATH: process.env.PATH });
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("error: DATATIER_OUTPUTS is empty; the task definition injects it from the outputs secret (components/checkstask)\n");
    expect(r.stdout).toBe("");
  });
});
