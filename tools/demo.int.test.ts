/** `npm run demo` end to end in a temp folder: sandbox up, smoke suite, exit code, no secret printed. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stopSandbox } from "../sandbox/lifecycle";
import { readState } from "../sandbox/state";
import { LOAD_SENSITIVE } from "../testing/loadSensitive";
import { demo } from "./demo";

/**
 * What a healthy demo run prints: every check PASS or SKIP, except that the machine's load
 * alone may push a load-sensitive check (GET p99) to WARN or FAIL; the exit code follows.
 */
function expectHealthy(out: string, code: number): void {
  const lines = [...out.matchAll(/^\s+(PASS|WARN|FAIL|SKIP)\s+(\S+)/gm)].map((m) => ({ status: m[1], id: m[2] }));
  expect(lines.length, out).toBeGreaterThan(30);
  const bad = lines.filter((l) => (l.status === "WARN" || l.status === "FAIL") && !LOAD_SENSITIVE.has(l.id));
  expect(bad, out).toEqual([]);
  const load = lines.filter((l) => LOAD_SENSITIVE.has(l.id)).map((l) => l.status);
  const expected = load.includes("FAIL") ? 2 : load.includes("WARN") ? 1 : 0;
  expect(out).toMatch(new RegExp(`Overall: ${["HEALTHY", "DEGRADED", "UNHEALTHY"][expected]} \\(exit code ${expected}\\)`));
  expect(code, out).toBe(expected);
}

const dir = mkdtempSync(join(tmpdir(), "demo-int-"));
afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("brings the sandbox up, runs the smoke suite healthy, exits 0 and prints how to stop, never a secret", async () => {
    let out = "";
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, env: { NO_COLOR: "1" } };
    const code = await demo(["--dir", dir], io);
    expectHealthy(out, code);
    expect(out).toMatch(/PASS\s+partition\.row-delta\.revenue_transactions/);
    expect(out).toMatch(/PASS\s+pgbouncer\.read-only .*from a replica/);
    expect(out).toContain(`npm run sandbox -- down --dir ${dir}`);
    const secrets = readState(dir)!.secrets;
    for (const [k, v] of Object.entries(secrets)) expect(out.includes(v), k).toBe(false);

    // A second run reuses the running sandbox.
    let again = "";
    const againCode = await demo(["--dir", dir], { ...io, stdout: { write: (s: string) => (again += s) } });
    expectHealthy(again, againCode);
    expect(again).toMatch(/Sandbox reused, already running/);
  }, 60_000);
});
