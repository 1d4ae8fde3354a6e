/**
 * pgbouncer.read-router reads the router's state file named by the outputs document. A
 * hostile or broken document pointing it at a FIFO blocked the whole suite (a synchronous
 * read), and at a non-JSON file quoted its first characters in the report.
 */
import { execFileSync, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sampleOutputs } from "../testing/fixtures/outputs";
import { testTempDir } from "../testing/tempDir";
import { readRoutingChecks } from "./readRouting";
import { runChecks } from "./runner";

function outputsWithStateFile(stateFile: string) {
  const o = sampleOutputs();
  o.pgbouncer.readRouting = { intervalMs: 2000, stateFile, metricNamespace: null };
  return o;
}

async function aliveResult(stateFile: string) {
  const outputs = outputsWithStateFile(stateFile);
  const check = readRoutingChecks(outputs).find((c) => c.id === "pgbouncer.read-router")!;
  const run = await runChecks([check], { outputs, deadlineMs: 10_000 });
  return run.results[0];
}

describe("pgbouncer.read-router's state file", () => {
  it("refuses a FIFO at once instead of blocking the suite", async () => {
    const fifo = join(testTempDir("router-state-"), "state.json");
    execFileSync("mkfifo", [fifo]);
    const t0 = performance.now();
    const r = await aliveResult(fifo);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(r.status).toBe("FAIL");
    expect(r.message).toMatch(/state file .* is a FIFO \(named pipe\); expected a regular file/);
  });

  it("says a non-JSON file is not valid JSON without quoting any of it", async () => {
    const file = join(testTempDir("router-state-"), "state.json");
    writeFileSync(file, "SUPERSECRETVALUE=hunter2 and more");
    const r = await aliveResult(file);
    expect(r.status).toBe("FAIL");
    expect(r.message).toMatch(/the read router's state file .* is not valid JSON \(syntax error|error at character/);
    expect(r.message).not.toMatch(/SUPER|hunter/);
  });

  it("still passes a fresh state and fails a stale one", async () => {
    const file = join(testTempDir("router-state-"), "state.json");
    const state = (at: Date) => JSON.stringify({ lastCheckAt: at.toISOString(), checks: 3, pid: 1, route: "replicas", healthy: ["postgres-replica-1"], lastChangeAt: null, lastChangeReasons: [] });
    writeFileSync(file, state(new Date()));
    expect((await aliveResult(file)).status).toBe("PASS");
    writeFileSync(file, state(new Date(Date.now() - 600_000)));
    expect((await aliveResult(file)).status).toBe("FAIL");
  });

  it("a router in another pid namespace (a container) is dead in the very next run once nothing holds its FIFO, with a fresh state", async () => {
    const dir = testTempDir("router-state-");
    const file = join(dir, "state.json");
    // A pid namespace that is not ours: the pid says nothing, the FIFO beside the state file does.
    writeFileSync(file, JSON.stringify({ lastCheckAt: new Date().toISOString(), checks: 3, pid: 7, startTicks: 1, pidNamespace: "pid:[1]", startedAt: "2026-12-05T00:00:00Z", route: "replicas", healthy: ["postgres-replica-1"], lastChangeAt: null, lastChangeReasons: [] }));
    execFileSync("mkfifo", [join(dir, "alive.fifo")]);
    const holder = spawn("sh", ["-c", `exec 3<>"${join(dir, "alive.fifo")}"; echo held; exec sleep 30`], { stdio: ["ignore", "pipe", "ignore"] });
    await new Promise((r) => holder.stdout!.once("data", r));
    expect((await aliveResult(file)).status).toBe("PASS");
    holder.kill("SIGKILL");
    await new Promise((r) => holder.once("close", r));
    const r = await aliveResult(file);
    expect(r.status).toBe("FAIL");
    expect(r.message).toMatch(/^the read router \(pid 7, started 2026-12-05T00:00:00Z\) is not running/);
  });
});
