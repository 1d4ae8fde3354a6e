import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { main } from "./cli";
import { RECONCILE_EXIT } from "./run";

const dir = mkdtempSync(join(tmpdir(), "reconcile-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  return main(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } }).then((code) => ({ code, out: out.join(""), err: err.join("") }));
}

function outputsFile(mutate: (o: ReturnType<typeof sampleOutputs>) => void = () => undefined): string {
  const o = sampleOutputs();
  mutate(o);
  const path = join(dir, `outputs-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(o));
  return path;
}

describe("npm run reconcile (usage)", () => {
  it("requires --outputs", async () => {
    const r = await run([]);
    expect(r.code).toBe(RECONCILE_EXIT.usage);
    expect(r.err).toContain("--outputs <file>");
  });

  it("names an unknown --pair and the pairs it could be", async () => {
    const r = await run(["--outputs", outputsFile(), "--pair", "nope"]);
    expect(r.code).toBe(RECONCILE_EXIT.usage);
    expect(r.err).toBe("error: --pair nope: not a legacy table of postgres.partitionPairs (expected one of revenue_transactions)\n");
  });

  it("refuses a --since that is not a date, before connecting", async () => {
    const r = await run(["--outputs", outputsFile(), "--since", "last tuesday"]);
    expect(r.code).toBe(RECONCILE_EXIT.usage);
    expect(r.err).toContain('--since "last tuesday": expected a date (YYYY-MM-DD) or an ISO timestamp');
  });

  it("reads on a replica by default: without one it asks for --primary", async () => {
    const r = await run(["--outputs", outputsFile((o) => (o.postgres.replicas = []))]);
    expect(r.code).toBe(RECONCILE_EXIT.usage);
    expect(r.err).toContain("postgres.replicas in the outputs is empty: pass --primary to read on the primary");
  });

  it("names an unknown --replica", async () => {
    const r = await run(["--outputs", outputsFile(), "--replica", "r9"]);
    expect(r.code).toBe(RECONCILE_EXIT.usage);
    expect(r.err).toContain("--replica r9: not in postgres.replicas (expected one of replica-1)");
  });

  it("a state file of another run is refused, not resumed silently", async () => {
    const state = join(dir, "other-state.json");
    writeFileSync(state, JSON.stringify({ version: 1, fingerprint: "another run", runId: "x", startedAt: "2026-01-01T00:00:00Z", done: {} }));
    const r = await run(["--outputs", outputsFile(), "--state", state]);
    expect(r.code).toBe(RECONCILE_EXIT.usage);
    expect(r.err).toContain(`${state} holds an unfinished reconciliation of another target, pair set or --since`);
    expect(r.err).toContain("pass --fresh");
  });

  it("a dead replica is reported per pair as incomplete (exit 2) in well under a second per connect, never a secret", async () => {
    const path = outputsFile((o) => {
      // Nothing listens on port 1 of loopback: connection refused at once.
      o.postgres.replicas = [{ id: "replica-1", host: "127.0.0.1", port: 1 }];
    });
    const t0 = Date.now();
    const r = await run(["--outputs", path, "--state", join(dir, "dead-state.json"), "--fresh"]);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.code).toBe(RECONCILE_EXIT.incomplete);
    expect(r.out).toContain("! revenue_transactions_partitioned: cannot connect to replica replica-1 at 127.0.0.1:1/app as datatier_monitor: connection refused");
    expect(r.out + r.err).not.toContain(sampleOutputs().credentials.postgresMonitoringPassword);
  });
});
