/** `npm run demo` end to end in a temp folder: sandbox up, smoke suite, exit code, no secret printed. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stopSandbox } from "../sandbox/lifecycle";
import { readState } from "../sandbox/state";
import { demo } from "./demo";

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
    expect(out).toMatch(/Overall: HEALTHY \(exit code 0\)/);
    expect(code, out).toBe(0);
    expect(out).toMatch(/PASS\s+partition\.row-delta\.revenue_transactions/);
    expect(out).toMatch(/PASS\s+pgbouncer\.read-only .*from a replica/);
    expect(out).toContain(`npm run sandbox -- down --dir ${dir}`);
    const secrets = readState(dir)!.secrets;
    for (const [k, v] of Object.entries(secrets)) expect(out.includes(v), k).toBe(false);

    // A second run reuses the running sandbox.
    let again = "";
    expect(await demo(["--dir", dir], { ...io, stdout: { write: (s: string) => (again += s) } })).toBe(0);
    expect(again).toMatch(/Sandbox reused, already running/);
  }, 60_000);
});
