/**
 * The read router with two replicas (one sandbox: Postgres primary + 2 replicas +
 * PgBouncer + the router; low replica-lag levels so the lag cases take seconds). What a
 * single replica cannot show: losing one keeps reads on the other (never the primary),
 * exactly the broken or lagging one leaves the pool, the primary only once none is left,
 * and `pgbouncer.read-pool` judging a pool of one healthy replica out of two.
 * The full sandbox (the suite reads its outputs). The only-replica case is sandbox/readRouting.int.test.ts. Bounds, not exact values.
 */
import { describe, expect, it } from "vitest";
import { runSuite } from "../checks/suite";
import { until } from "../testing/local";
import type { DrillName } from "./drills";
import { startSandbox } from "./lifecycle";
import { readRoutingSandbox } from "../testing/readRoutingSandbox";
import { withPg } from "../components/clients/postgres";
import { superuserTarget } from "./postgres";
import { stopProcess } from "./procs";
import { readRouterState, READROUTER_NAME } from "./readrouter";
import { readState } from "./state";
import { settledStatus } from "../testing/sandboxHealth";

const LAG = { warning: 2, critical: 4 };
const R1 = "postgres-replica-1";
const R2 = "postgres-replica-2";
const rr = readRoutingSandbox({ prefix: "read-routing-2r-", lag: LAG, replicas: 2 });
const { dir, settings, printed } = rr;
const INTERVAL = rr.intervalMs;
/** Long enough for the router to notice anything: lag past critical plus two rounds and slack for a loaded machine. */
const NOTICE_MS = LAG.critical * 1000 + 3 * INTERVAL + 4000;
const drill = async (name: DrillName) => (await rr.drill(name)).r.measured;

/** `pgbouncer.read-pool` as the smoke suite runs it: "STATUS: message". */
async function readPoolCheck(): Promise<string> {
  const r = await runSuite(rr.sandbox().outputs!, { only: "pgbouncer.read-pool", deadlineMs: 20_000, timeoutMs: INTERVAL + 10_000, hooks: [] });
  const x = r.results.find((y) => y.id === "pgbouncer.read-pool")!;
  printed.push(x.message);
  return `${x.status}: ${x.message}`;
}

const proc = (name: string) => readState(dir)!.processes.find((p) => p.name === name)!;
const routerHealthy = () => readRouterState(dir)?.healthy.join(",") ?? "";
const untilRouter = (healthy: string[], what: string) => until(`the router's healthy set to be ${healthy.join(", ") || "empty"} (${what})`, async () => routerHealthy() === healthy.join(","), NOTICE_MS, 50);

async function healed(expected: string[]): Promise<void> {
  const h = await startSandbox({ dir, settings });
  expect(h.started).toEqual(expected);
  await untilRouter([R1, R2], "after up");
  expect((await settledStatus(dir)).problems).toEqual([]);
}

describe("the read router with two replicas", () => {
  it("both replicas run side by side (their own socket directories) and the read pool points at both", async () => {
    expect(rr.sandbox().started.filter((n) => /^(postgres|pgbouncer|readrouter)/.test(n))).toEqual(["postgres-primary", R1, R2, "pgbouncer", READROUTER_NAME]);
    await untilRouter([R1, R2], "at start");
    expect(readRouterState(dir)!.poolHosts).toEqual(["127.0.0.1", "127.0.0.2"]);
    expect(await readPoolCheck()).toBe(`PASS: pool "app_ro" points at ${R1}, ${R2}, the replicas healthy now`);
  }, 30_000);

  it("postgres-replica-down: the other replica serves every read after one interval + 1 s, never the primary; the stopped one is back within one interval", async () => {
    const m = await drill("postgres-replica-down");
    expect(m.replicas).toBe(R1);
    expect(m.healthyWhenOut).toBe(R2);
    expect(m.failedAfterBound).toBe(0);
    expect(Number(m.routerOutMs)).toBeLessThanOrEqual(INTERVAL + 1500);
    expect(Number(m.routerInMs)).toBeLessThanOrEqual(INTERVAL + 1000);
    expect(String(m.reads)).toMatch(/^reads: \d+ ok, \d+ failed; longest gap \d+ ms; served by: replica \(\d+ reads?\)$/);
  }, 60_000);

  it("postgres-replica-lag: exactly the lagging replica leaves (reads stay on the other) and comes back once it caught up", async () => {
    const m = await drill("postgres-replica-lag");
    expect(Number(m.lagSeconds)).toBeGreaterThan(LAG.critical);
    expect(m.healthyWhenOut).toBe(R2);
    // From the pause: the lag passes critical, the router sees it in its next round (lag resolution one interval), + 2 s for the round on a loaded machine.
    expect(Number(m.routerOutMs)).toBeLessThanOrEqual(LAG.critical * 1000 + INTERVAL + 2000);
    expect(Number(m.routerInMs)).toBeLessThanOrEqual(INTERVAL + 1000);
    expect(m.failedAfterBound).toBe(0);
    expect(String(m.reads)).toMatch(/served by: replica \(\d+ reads?\)$/);
    expect(routerHealthy()).toBe(`${R1},${R2}`);
  }, 60_000);

  it("postgres-all-replicas-down: reads fall back to the primary, and return to the replicas", async () => {
    const m = await drill("postgres-all-replicas-down");
    expect(m.replicas).toBe(`${R1}, ${R2}`);
    expect(m.healthyWhenOut).toBe("");
    expect(m.failedAfterBound).toBe(0);
    expect(Number(m.rerouteMs)).toBeLessThanOrEqual(INTERVAL + 2000);
    expect(Number(m.backOnReplicaMs)).toBeLessThanOrEqual(INTERVAL + 1000);
    expect(String(m.reads)).toMatch(/served by: replica \(\d+ reads?\), then primary \(\d+ reads?\), then replica \(\d+ reads?\)$/);
  }, 60_000);

  it("pgbouncer.read-pool: PASS with one replica down (the pool on the other), WARN once both are down (reads on the primary)", async () => {
    await stopProcess(proc(R1));
    await untilRouter([R2], `${R1} stopped`);
    expect(await readPoolCheck()).toBe(`PASS: pool "app_ro" points at ${R2}, the replicas healthy now`);
    await stopProcess(proc(R2));
    await until("the router to fall back to the primary", async () => readRouterState(dir)?.route === "primary-fallback", NOTICE_MS, 50);
    expect(await readPoolCheck()).toBe(`WARN: reads fall back to the primary: no replica is healthy (${R1} unreachable, ${R2} unreachable)`);
    await healed([R1, R2]);
  }, 60_000);

  it("pgbouncer.read-pool: PASS with one replica past the critical lag (the pool on the other)", async () => {
    const r2 = proc(R2);
    await withPg(superuserTarget(readState(dir)!, r2), (c) => c.query("select pg_wal_replay_pause()"), 3000);
    try {
      // The router writes its heartbeat every round: the paused replica's lag grows by itself.
      await untilRouter([R1], `${R2} paused`);
      expect(await readPoolCheck()).toBe(`PASS: pool "app_ro" points at ${R1}, the replicas healthy now`);
    } finally {
      await withPg(superuserTarget(readState(dir)!, r2), (c) => c.query("select pg_wal_replay_resume()"), 3000);
    }
    await untilRouter([R1, R2], `${R2} resumed`);
  }, 60_000);

  it("pgbouncer.read-pool: FAIL when the pool still points at a dead replica (the router stopped)", async () => {
    await stopProcess(proc(READROUTER_NAME));
    await stopProcess(proc(R1));
    const got = await readPoolCheck();
    expect(got).toMatch(new RegExp(`^FAIL: pool "app_ro" points at ${R1}, ${R2}, but the healthy replicas now are ${R2} \\(${R1}: unreachable`));
    await healed([R1, READROUTER_NAME]);
  }, 60_000);

  it("prints no secret", () => {
    const all = printed.join("\n");
    for (const s of Object.values(rr.sandbox().state.secrets)) expect(all.includes(s)).toBe(false);
  });
});
