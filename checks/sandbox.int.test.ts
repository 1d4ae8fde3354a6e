/**
 * The whole suite against the sandbox (sandbox/index.ts: the dev topology as real
 * processes): healthy first; then a killed Redis replica, a killed Sentinel, a stopped
 * Postgres replica and a killed PgBouncer each turn exactly the expected checks to
 * FAIL or WARN, with clear messages, within the deadline.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, stopSandbox, type SandboxInfo } from "../sandbox";
import { killHard, stopProcess } from "../sandbox/procs";
import { readRouterState } from "../sandbox/readrouter";
import { until } from "../testing/local";
import type { StackOutputs } from "../components/contract/outputs";
import { CUSTOM_METRICS } from "../components/alarms/catalogue";
import { formatConsoleReport } from "./report/console";
import { faultResults, healthyExitCode } from "../testing/loadSensitive";
import { runSuite, type SuiteReport } from "./suite";
import { withRedis } from "../components/clients/redis";
import { APPLICATION_PUBLISH_CHANNELS, REDIS_USERS } from "../components/redis/acl";
import { operatorTarget } from "../sandbox/redis";

const DEADLINE_MS = 15_000;
const dir = mkdtempSync(join(tmpdir(), "checks-sandbox-"));
let sandbox: SandboxInfo;
let outputs: StackOutputs;
let previous = new Map<string, string>();

beforeAll(async () => {
  sandbox = await startSandbox({ dir });
  if (!sandbox.outputs) throw new Error("the sandbox returned no outputs");
  outputs = sandbox.outputs;
}, 90_000);
afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const proc = (name: string) => {
  const p = sandbox.state.processes.find((x) => x.name === name);
  if (!p) throw new Error(`no sandbox process ${name}: ${sandbox.state.processes.map((x) => x.name).join(", ")}`);
  return p;
};

async function suite(): Promise<SuiteReport> {
  const t0 = Date.now();
  // 3 s per check: the read-only pool check waits that long when PgBouncer queues it.
  const r = await runSuite(outputs, { deadlineMs: DEADLINE_MS, timeoutMs: 3_000, hooks: [] });
  expect(Date.now() - t0).toBeLessThan(DEADLINE_MS);
  console.log(formatConsoleReport(r, false));
  return r;
}

function changed(r: SuiteReport): Record<string, string> {
  const out: Record<string, string> = {};
  // Load-sensitive checks (GET p99 on a busy machine) are reported, not compared: testing/loadSensitive.ts.
  for (const x of faultResults(r)) if (previous.get(x.id) !== x.status) out[x.id] = x.status;
  previous = new Map(r.results.map((x) => [x.id, x.status]));
  return out;
}

const msg = (r: SuiteReport, id: string) => r.results.find((x) => x.id === id)?.message ?? "";

describe("the smoke suite against the sandbox", () => {
  it("redis.auth-enforced FAILs when the application's Redis user is given an admin command, and PASSes again once it is not", async () => {
    const only = async () => (await runSuite(outputs, { deadlineMs: DEADLINE_MS, timeoutMs: 3_000, hooks: [], only: "redis.auth-enforced" })).results.find((x) => x.id === "redis.auth-enforced")!;
    const before = await only();
    expect(before.status, before.message).toBe("PASS");
    expect(before.message).toContain("the application user gets NOPERM for CONFIG and for PUBLISH on __sentinel__:hello, Sentinels refuse anonymous clients");
    const master = proc(sandbox.state.redis!.master);
    const widen = (rules: string[]) => withRedis(operatorTarget(sandbox.state, master), (c) => c.call("ACL", "SETUSER", REDIS_USERS.application, ...rules));
    // One admin command granted is enough to be caught; taking exactly it back restores the rendered ACL.
    await widen(["+config|get"]);
    try {
      const wide = await only();
      expect(wide.status).toBe("FAIL");
      expect(wide.message).toMatch(/the application user app ran CONFIG GET on 127\.0\.0\.1:\d+ .*it has admin commands/);
      expect(wide.message).not.toContain(outputs.applicationCredentials.redisPassword);
    } finally {
      await widen(["-config|get"]);
    }
    expect((await only()).status).toBe("PASS");
    // Every channel back (the ACL before issue 20's second pass): the probe on the hello channel is caught.
    await widen(["allchannels"]);
    try {
      const open = await only();
      expect(open.status).toBe("FAIL");
      expect(open.message).toMatch(/the application user app may PUBLISH on __sentinel__:hello on 127\.0\.0\.1:\d+ .*forge Sentinel hellos/);
    } finally {
      await widen(["resetchannels", ...APPLICATION_PUBLISH_CHANNELS.map((c) => `&${c}`)]);
    }
    expect((await only()).status).toBe("PASS");
  }, 30_000);

  it("is healthy: every check PASS or SKIP, checks follow the topology", async () => {
    const r = await suite();
    // No reconcile has run in a fresh sandbox: the full-table verdict is SKIP, one per pair.
    expect(faultResults(r).filter((x) => x.status !== "PASS").map((x) => `${x.id}=${x.status}`)).toEqual([
      `redis.replica-read.${outputs.redis.nodes[0].name}=SKIP`,
      "redis.hit-rate=SKIP",
      ...outputs.postgres.partitionPairs.map((p) => `partition.reconcile.${p.legacy}=SKIP`),
    ]);
    // Every custom metric an alarm reads that the suite publishes is measured by a real run
    // (the publish hook adds the heartbeat); the read router publishes its own.
    const measured = new Set([...r.metrics.map((m) => m.name), CUSTOM_METRICS.suiteRuns.metricName]);
    for (const m of Object.values(CUSTOM_METRICS).filter((x) => x.publisher.startsWith("scheduled checks"))) expect(measured, m.metricName).toContain(m.metricName);
    expect(msg(r, "redis.invalidation")).toMatch(/^0 of 20 DELs removed nothing, 0 of 60 reads on 3 node\(s\) still saw an invalidated key/);
    expect(r.results.filter((x) => x.id.startsWith("redis.node.")).length).toBe(outputs.redis.nodes.length);
    expect(r.results.filter((x) => x.id.startsWith("partition.")).length).toBe(7 * outputs.postgres.partitionPairs.length);
    expect(r.exitCode).toBe(healthyExitCode(r));
    console.log(`healthy sandbox run: ${r.results.length} checks, wall ${r.wallTimeMs} ms, sum of check times ${r.sumCheckMs} ms`);
    previous = new Map(r.results.map((x) => [x.id, x.status]));
  });

  it("a killed Redis replica: its node and replica-read FAIL, the replica count and the readers WARN", async () => {
    const victim = outputs.redis.nodes[outputs.redis.nodes.length - 1].name;
    await killHard(proc(victim));
    const r = await suite();
    // The sandbox exports each replica as a reader: one of them is dead, the other answers.
    expect(changed(r)).toEqual({ [`redis.node.${victim}`]: "FAIL", [`redis.replica-read.${victim}`]: "FAIL", "redis.replicas-connected": "WARN", "redis.readers": "WARN" });
    expect(msg(r, "redis.readers")).toMatch(new RegExp(`^1 of ${outputs.redis.readers.length} reader\\(s\\) do not answer: 127\\.0\\.0\\.1:${proc(victim).port} \\(`));
    expect(msg(r, `redis.node.${victim}`)).toMatch(new RegExp(`^cannot connect to Redis node ${victim} at 127\\.0\\.0\\.1:\\d+: connection refused`));
    expect(msg(r, "redis.replicas-connected")).toBe(`only ${outputs.redis.expectedReplicas - 1} of ${outputs.redis.expectedReplicas} expected replica(s) online on the master`);
  });

  it("a killed Sentinel: only the agreement check WARNs", async () => {
    await killHard(proc("sentinel-2"));
    const r = await suite();
    expect(changed(r)).toEqual({ "redis.sentinel-agreement": "WARN" });
    expect(msg(r, "redis.sentinel-agreement")).toMatch(/^2 of 3 Sentinels name 127\.0\.0\.1:\d+; not answering: 127\.0\.0\.1:\d+ \(cannot connect to Sentinel/);
  });

  it("a stopped Postgres replica: its checks and streaming FAIL; the read router moves reads to the primary, which WARNs", async () => {
    const replica = outputs.postgres.replicas[0].id;
    await stopProcess(proc(replica));
    // The router moves the read-only pool within an interval and a second; the suite then sees the fallback.
    await until("the read router to fall back to the primary", async () => readRouterState(dir)?.route === "primary-fallback", 3 * outputs.pgbouncer.readRouting!.intervalMs + 2000, 50);
    const r = await suite();
    expect(changed(r)).toEqual({ "postgres.streaming": "FAIL", [`postgres.replica-readonly.${replica}`]: "FAIL", [`postgres.replica-lag.${replica}`]: "FAIL", "pgbouncer.read-only": "WARN", "pgbouncer.read-pool": "WARN" });
    expect(msg(r, `postgres.replica-lag.${replica}`)).toMatch(/connection refused/);
    expect(msg(r, "pgbouncer.read-only")).toMatch(/reaches the primary although 1 replica\(s\) exist/);
    expect(msg(r, "pgbouncer.read-pool")).toMatch(/^reads fall back to the primary: no replica is healthy/);
  });

  it("a killed PgBouncer: exactly the remaining PgBouncer checks FAIL", async () => {
    await killHard(proc("pgbouncer"));
    const r = await suite();
    expect(changed(r)).toEqual({ "pgbouncer.read-write": "FAIL", "pgbouncer.app-login.read-write": "FAIL", "pgbouncer.read-only": "FAIL", "pgbouncer.app-login.read-only": "FAIL", "pgbouncer.pool-roles": "FAIL", "pgbouncer.read-pool": "FAIL", "pgbouncer.config": "FAIL", "pgbouncer.pools": "FAIL" });
    expect(msg(r, "pgbouncer.config")).toMatch(/^cannot connect to PgBouncer console \(admin\) at 127\.0\.0\.1:\d+\/pgbouncer as \w+: connection refused/);
    expect(r.exitCode).toBe(2);
  });
});
