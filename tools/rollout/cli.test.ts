/** The command line: bad input is exit 2 with every problem named at once, never a stack trace; a refused gate is exit 1. */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { StackOutputs } from "../../components/contract/outputs";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { testTempDir } from "../../testing/tempDir";
import { main } from "./cli";
import { suiteReport } from "./testkit";

function withFlags(dir: string, over: Partial<StackOutputs> = {}): StackOutputs {
  const o = sampleOutputs();
  return { ...o, ...over, application: { ...o.application, flags: { profileType: "AWS.AppConfig.FeatureFlags", file: join(dir, "flags", "flags.json"), appconfig: null } } };
}

async function run(args: string[], outputs: unknown, suite = suiteReport()) {
  const dir = testTempDir("rollout-cli-");
  const f = join(dir, "outputs.json");
  writeFileSync(f, typeof outputs === "function" ? JSON.stringify(outputs(dir)) : JSON.stringify(outputs));
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...args.map((a) => (a === "OUTPUTS" ? f : a))], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: { USER: "ci" } }, { suite: async () => suite });
  return { code, out: out.join(""), err: err.join(""), dir };
}

describe("npm run rollout", () => {
  it("advance then status on a local stack: exit 0, the file next to the flags holds the history", async () => {
    const r = await run(["--stack", "dev", "--outputs", "OUTPUTS", "--soak", "0", "advance"], (d: string) => withFlags(d));
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    const h = JSON.parse(readFileSync(join(r.dir, "flags", "rollout-history.json"), "utf8"));
    expect(h.steps[0]).toMatchObject({ action: "advance", who: "ci", fromPhase: "off", toPhase: "pilot-1" });
  });

  it("a refused gate is exit 1", async () => {
    const r = await run(["--stack", "dev", "--outputs", "OUTPUTS", "advance"], (d: string) => withFlags(d), suiteReport({ "postgres.replicas": "FAIL" }));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL suite\.healthy: UNHEALTHY: postgres\.replicas FAIL/);
  });

  it("reports every bad flag at once: action, --who, --reason, a stack that is not the outputs'", async () => {
    const r = await run(["--stack", "prod", "--outputs", "OUTPUTS", "--who", "bob;rm", "--reason", "r".repeat(501), "launch"], (d: string) => withFlags(d));
    expect(r.code).toBe(2);
    const lines = r.err.trim().split("\n");
    expect(lines[0]).toBe('error: action "launch": expected one of status, advance, rollback');
    expect(lines).toEqual(expect.arrayContaining(["--reason: 501 characters; at most 500", "--who: expected 1-64 letters, digits, _ . @ - or spaces", '--stack prod: the outputs are environment "dev"\'s']));
  });

  it("refuses --soak on a production stack and a malformed --soak", async () => {
    const prod = await run(["--stack", "dev", "--outputs", "OUTPUTS", "--soak", "0", "advance"], (d: string) => withFlags(d, { production: true }));
    expect(prod.code).toBe(2);
    expect(prod.err).toMatch(/--soak: refused on production stack dev; its soak is the phase table's/);
    const bad = await run(["--stack", "dev", "--outputs", "OUTPUTS", "--soak", "1h", "status"], (d: string) => withFlags(d));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--soak must be a whole number of seconds/);
  });

  it("outputs without a flags part, or not matching the contract, are exit 2 naming the field", async () => {
    const none = await run(["--stack", "dev", "--outputs", "OUTPUTS", "status"], sampleOutputs());
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/the outputs have no application\.flags/);
    const broken = await run(["--stack", "dev", "--outputs", "OUTPUTS", "status"], { ...sampleOutputs(), redis: 42 });
    expect(broken.code).toBe(2);
    expect(broken.err).toMatch(/redis/);
    expect(broken.err).not.toMatch(/\n\s+at /);
  });

  it("a hostile flag document is exit 2 naming the file and its fields; the passwords in the outputs never print", async () => {
    const r = await run(["--stack", "dev", "--outputs", "OUTPUTS", "status"], (d: string) => {
      const o = withFlags(d);
      const file = o.application.flags!.file!;
      mkdirSync(join(d, "flags"), { recursive: true });
      writeFileSync(file, JSON.stringify({ version: "1", flags: {}, values: { partitionedReads: { enabled: true, percentage: o.credentials.postgresMonitoringPassword } } }));
      return o;
    });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/flag document .*flags\.json is invalid \(\d+ problems\)/);
    expect(r.err).toMatch(/values\.partitionedReads\.percentage: expected number/);
    expect(r.err).not.toContain(sampleOutputs().credentials.postgresMonitoringPassword);
  });
});
