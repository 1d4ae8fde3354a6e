/**
 * The read router for real, on a sandbox with its only replica (dev settings, low
 * replica-lag levels so the lag drill takes seconds): the drills' read loop through the
 * read-only pool, killing the replica, holding it past the critical lag, and the smoke
 * suite's read-routing checks. Bounds, not exact values: the machine is shared.
 */
import { join } from "node:path";
import { Client } from "pg";
import { describe, expect, it } from "vitest";
import { runSuite } from "../checks/suite";
import type { DrillName } from "./drills";
import { sandboxStatus, startSandbox } from "./lifecycle";
import { readRoutingSandbox } from "../testing/readRoutingSandbox";
import { until } from "../testing/local";
import { killHard, stopProcess } from "./procs";
import { readRouterState, READROUTER_NAME } from "./readrouter";
import { readState } from "./state";
import { settledStatus } from "../testing/sandboxHealth";

const LAG = { warning: 2, critical: 4 };
const rr = readRoutingSandbox({ prefix: "read-routing-", lag: LAG });
const { dir, settings, printed } = rr;
const INTERVAL = rr.intervalMs;
const drill = (name: DrillName) => rr.drill(name);

const READS = /^reads: (\d+) ok, (\d+) failed; longest gap (\d+) ms; served by: (.+)$/;

describe("the read router on the sandbox", () => {
  it("runs supervised, points the read pool at the replica, and the suite's read-routing checks pass", async () => {
    expect(rr.sandbox().started).toContain(READROUTER_NAME);
    const st = readRouterState(dir)!;
    expect(st.healthy).toEqual(["postgres-replica-1"]);
    expect(st.route).toBe("replicas");
    const o = rr.sandbox().outputs!;
    expect(o.pgbouncer.readRouting).toEqual({ intervalMs: INTERVAL, stateFile: join(dir, "readrouter", "state.json"), metricNamespace: null });
    const r = await runSuite(o, { only: "pgbouncer", deadlineMs: 15_000, timeoutMs: 5_000, hooks: [] });
    const by = Object.fromEntries(r.results.map((x) => [x.id, `${x.status}: ${x.message}`]));
    expect(by["pgbouncer.read-router"]).toMatch(/^PASS: last round \(number \d+\) \d+ ms ago, reads on postgres-replica-1/);
    expect(by["pgbouncer.read-pool"]).toBe('PASS: pool "app_ro" points at postgres-replica-1, the replicas healthy now');
    expect(by["pgbouncer.read-only"]).toMatch(/^PASS: .*from a replica/);
  }, 30_000);

  it("postgres-replica-down: 0 failed reads after one interval + 1 s, then the primary; back on the replica within one interval; the read-write pool untouched", async () => {
    const o = rr.sandbox().outputs!;
    // A read-write client connected before the drill must survive the RELOADs.
    const rw = new Client({ host: o.pgbouncer.endpoint.host, port: o.pgbouncer.endpoint.port, user: o.postgres.monitoringUser, password: o.credentials.postgresMonitoringPassword, database: "app", query_timeout: 3000 });
    rw.on("error", () => undefined);
    await rw.connect();
    try {
      const { r, lines } = await drill("postgres-replica-down");
      const m = r.measured;
      expect(m.failedAfterBound).toBe(0);
      expect(Number(m.routerOutMs)).toBeLessThanOrEqual(INTERVAL + 1500);
      expect(Number(m.rerouteMs)).toBeLessThanOrEqual(INTERVAL + 2000);
      expect(Number(m.backOnReplicaMs)).toBeLessThanOrEqual(INTERVAL + 1000);
      const line = READS.exec(lines.find((l) => l.startsWith("reads:"))!)!;
      expect(line).not.toBeNull();
      expect(Number(line[1])).toBeGreaterThan(50);
      expect(line[4]).toMatch(/^replica \(\d+ reads?\), then primary \(\d+ reads?\), then replica \(\d+ reads?\)$/);
      expect((await rw.query("select pg_is_in_recovery() as r")).rows[0].r).toBe(false);
    } finally {
      await rw.end();
    }
    expect((await settledStatus(dir)).problems).toEqual([]);
  }, 60_000);

  it("postgres-replica-lag: held past the critical lag, the replica is taken out (reads on the primary) and put back once it caught up", async () => {
    const { r } = await drill("postgres-replica-lag");
    const m = r.measured;
    expect(Number(m.lagSeconds)).toBeGreaterThan(LAG.critical);
    expect(m.routerOutMs).not.toBeNull();
    // From the pause: the lag passes critical, the router sees it in its next round (lag resolution one interval), + 2 s for the round on a loaded machine.
    expect(Number(m.routerOutMs)).toBeLessThanOrEqual(LAG.critical * 1000 + INTERVAL + 2000);
    expect(String(m.reads)).toMatch(/served by: replica \(\d+ reads?\), then primary \(\d+ reads?\), then replica \(\d+ reads?\)$/);
    expect(Number(m.backOnReplicaMs)).toBeLessThanOrEqual(INTERVAL + 1000);
    expect(m.failedAfterBound).toBe(0);
    expect(readRouterState(dir)!.healthy).toEqual(["postgres-replica-1"]);
  }, 60_000);

  it("postgres-all-replicas-down: the same fallback, and the suite WARNs while reads are on the primary", async () => {
    const { r } = await drill("postgres-all-replicas-down");
    expect(r.measured.failedAfterBound).toBe(0);
    expect(String(r.measured.reads)).toMatch(/then primary \(\d+ reads?\), then replica \(\d+ reads?\)$/);

    const replica = readState(dir)!.processes.find((p) => p.name === "postgres-replica-1")!;
    await stopProcess(replica);
    await until("the router to fall back to the primary", async () => readRouterState(dir)?.route === "primary-fallback", 3 * INTERVAL + 2000, 50);
    const s = await runSuite(rr.sandbox().outputs!, { only: "pgbouncer", deadlineMs: 15_000, timeoutMs: 8_000, hooks: [] });
    const by = Object.fromEntries(s.results.map((x) => [x.id, `${x.status}: ${x.message}`]));
    expect(by["pgbouncer.read-pool"]).toMatch(/^WARN: reads fall back to the primary: no replica is healthy \(postgres-replica-1 unreachable\)$/);
    expect(by["pgbouncer.read-only"]).toMatch(/^WARN: the read-only pool "app_ro" reaches the primary/);
    expect(by["pgbouncer.read-write"]).toMatch(/^PASS/);
    const healed = await startSandbox({ dir, settings });
    expect(healed.started).toEqual(["postgres-replica-1"]);
    await until("the router to route reads to the replica again", async () => readRouterState(dir)?.route === "replicas", 3 * INTERVAL + 2000, 50);
  }, 60_000);

  it("a killed router: status says so, the suite FAILs it, up starts it again", async () => {
    const router = readState(dir)!.processes.find((p) => p.name === READROUTER_NAME)!;
    await killHard(router);
    const s = await sandboxStatus(dir);
    expect(s.healthy).toBe(false);
    expect(s.problems.join("\n")).toMatch(/the read router \(pid \d+\) is not running/);
    // At once: the suite shares the router's pid namespace, so its pid tells (no waiting out three intervals + 2 s).
    const r = await runSuite(rr.sandbox().outputs!, { only: "pgbouncer.read-router", deadlineMs: 10_000, timeoutMs: 5_000, hooks: [] });
    expect(r.results[0].status).toBe("FAIL");
    expect(r.results[0].message).toMatch(new RegExp(`^the read router \\(pid ${router.pid}, started \\S+\\) is not running`));
    const healed = await startSandbox({ dir, settings });
    expect(healed.started).toEqual([READROUTER_NAME]);
    expect((await settledStatus(dir)).problems).toEqual([]);
  }, 60_000);

  it("prints no secret", () => {
    const all = printed.join("\n");
    for (const s of Object.values(rr.sandbox().state.secrets)) expect(all.includes(s)).toBe(false);
  });
});
