/**
 * The whole suite against real servers (Redis + replica + 3 Sentinels, Postgres primary
 * + streaming replica, PgBouncer): healthy first, then each fault turns exactly the
 * expected checks to FAIL or WARN, with clear messages, within the deadline.
 */
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatConsoleReport } from "./report/console";
import type { CheckResult } from "./runner";
import { runSuite, type SuiteReport } from "./suite";
import { startLocalTopology, type LocalTopology } from "./testing/localTopology";
import { faultResults, healthyExitCode, healthyOverall } from "../testing/loadSensitive";

const DEADLINE_MS = 15_000;
let topo: LocalTopology;
let previous: Map<string, CheckResult["status"]>;

beforeAll(async () => {
  topo = await startLocalTopology();
}, 60_000);
afterAll(async () => topo?.stop());

async function suite(): Promise<SuiteReport> {
  const t0 = Date.now();
  const r = await runSuite(topo.outputs, { deadlineMs: DEADLINE_MS, hooks: [] });
  expect(Date.now() - t0).toBeLessThan(DEADLINE_MS);
  console.log(formatConsoleReport(r, false));
  return r;
}

/** Checks whose status changed since the previous run, as id -> new status. */
function changed(r: SuiteReport): Record<string, string> {
  const out: Record<string, string> = {};
  // Load-sensitive checks (GET p99 on a busy machine) are reported, not compared: testing/loadSensitive.ts.
  for (const x of faultResults(r)) if (previous.get(x.id) !== x.status) out[x.id] = x.status;
  previous = new Map(r.results.map((x) => [x.id, x.status]));
  return out;
}

const msg = (r: SuiteReport, id: string) => r.results.find((x) => x.id === id)?.message ?? "";

describe("the smoke suite against a real topology", () => {
  it("is healthy, with every check PASS or SKIP, concurrently", async () => {
    const r = await suite();
    const notPass = faultResults(r).filter((x) => x.status !== "PASS").map((x) => `${x.id}=${x.status}`);
    // No reconcile has run yet: the full-table verdict is SKIP.
    expect(notPass).toEqual(["redis.replica-read.redis-master=SKIP", "redis.hit-rate=SKIP", "partition.reconcile.revenue_transactions=SKIP"]);
    expect(r.overall).toBe(healthyOverall(r));
    expect(r.exitCode).toBe(healthyExitCode(r));
    // redis.invalidation (on main since i16/i10s) emits its rate too.
    expect(r.metrics.map((m) => m.name).sort()).toEqual(["CacheGetTimeP99", "CacheInvalidationFailureRate", "PartitionRowDelta"]);
    expect(r.sumCheckMs).toBeGreaterThan(r.wallTimeMs * 2);
    previous = new Map(r.results.map((x) => [x.id, x.status]));
  });

  it("partition drift: rows written with the dual-write trigger off show as a delta and a disabled trigger", async () => {
    await topo.sql("ALTER TABLE revenue_transactions DISABLE TRIGGER revenue_transactions_dual_write; INSERT INTO revenue_transactions (org_id, amount) SELECT 1, g FROM generate_series(1, 12) g");
    const r = await suite();
    expect(changed(r)).toEqual({ "partition.row-delta.revenue_transactions": "WARN", "partition.dual-write.revenue_transactions": "FAIL" });
    expect(msg(r, "partition.row-delta.revenue_transactions")).toMatch(/^window created_at >= \S+ \S+ \(last 3600 s\): revenue_transactions 62 rows, revenue_transactions_partitioned 50: delta 12: beyond the warning level > 10$/);
    expect(r.metrics.find((m) => m.name === "PartitionRowDelta")).toEqual({ name: "PartitionRowDelta", dimensions: { Table: "revenue_transactions" }, value: 12, unit: "Count" });
    expect(msg(r, "partition.dual-write.revenue_transactions")).toContain("every trigger on revenue_transactions is off: revenue_transactions_dual_write (disabled)");
    await topo.sql("ALTER TABLE revenue_transactions ENABLE TRIGGER revenue_transactions_dual_write; INSERT INTO revenue_transactions_partitioned SELECT * FROM revenue_transactions WHERE id > 50");
    expect(changed(await suite())).toEqual({ "partition.row-delta.revenue_transactions": "PASS", "partition.dual-write.revenue_transactions": "PASS" });
  });

  it("judges the hit rate on application traffic only, not on the suite's own GETs", async () => {
    const app = new Redis({ host: "127.0.0.1", port: topo.outputs.redis.primary.port, password: topo.outputs.applicationCredentials.redisPassword, lazyConnect: true, connectTimeout: 1000, commandTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    app.on("error", () => undefined);
    await app.connect();
    await app.set("app:hot", "1");
    let stop = false;
    // 3 hits, 2 misses: 60%, between the critical (< 50%) and warning (< 70%) levels.
    const traffic = (async () => {
      for (let i = 0; !stop; i++) await app.get(i % 5 < 3 ? "app:hot" : `app:cold:${i}`);
    })();
    try {
      const r = await suite();
      expect(changed(r)).toEqual({ "redis.hit-rate": "WARN" });
      expect(msg(r, "redis.hit-rate")).toMatch(/^hit rate (59\.\d+|60(\.\d+)?)% over \d+ application lookups in 1000 ms on 2 node\(s\): beyond the warning level < 70%$/);
    } finally {
      stop = true;
      await traffic;
      app.disconnect();
    }
    expect(changed(await suite())).toEqual({ "redis.hit-rate": "SKIP" });
  });

  it("a killed Redis replica fails its node, its replica read and the replica count", async () => {
    await topo.killRedisReplica();
    const r = await suite();
    // The replica is the only reader too.
    expect(changed(r)).toEqual({ "redis.node.redis-replica-1": "FAIL", "redis.replica-read.redis-replica-1": "FAIL", "redis.replicas-connected": "FAIL", "redis.readers": "FAIL" });
    expect(msg(r, "redis.node.redis-replica-1")).toMatch(/^cannot connect to Redis node redis-replica-1 at 127\.0\.0\.1:\d+: connection refused/);
    expect(msg(r, "redis.replicas-connected")).toBe("only 0 of 1 expected replica(s) online on the master: no replica can take over");
    expect(msg(r, "redis.auth-enforced")).toContain("redis-replica-1 unreachable");
  });

  it("a killed Sentinel makes the agreement check warn, and nothing else", async () => {
    await topo.killSentinel(2);
    const r = await suite();
    expect(changed(r)).toEqual({ "redis.sentinel-agreement": "WARN" });
    // Refused once it is gone; reset when the connect races the dying process (seen under load).
    expect(msg(r, "redis.sentinel-agreement")).toMatch(/^2 of 3 Sentinels name 127\.0\.0\.1:\d+; not answering: 127\.0\.0\.1:\d+ \(cannot connect to Sentinel at 127\.0\.0\.1:\d+: connection (refused|reset by the server)/);
  });

  it("a stopped Postgres replica fails its checks, streaming, and the read-only pool that routes to it", async () => {
    await topo.stopPostgresReplica();
    const r = await suite();
    expect(changed(r)).toEqual({
      "postgres.streaming": "FAIL",
      "postgres.replica-readonly.replica-1": "FAIL",
      "postgres.replica-lag.replica-1": "FAIL",
      "pgbouncer.read-only": "FAIL",
      "pgbouncer.app-login.read-only": "FAIL",
    });
    expect(msg(r, "postgres.streaming")).toBe("only 0 of 1 replica(s) streaming from the primary");
    expect(msg(r, "postgres.replica-lag.replica-1")).toMatch(/^cannot connect to Postgres replica replica-1 at 127\.0\.0\.1:\d+\/app as datatier_monitor: connection refused/);
    // PgBouncer queues the client until the check's timeout, or, when its last login to the
    // server already failed (server_login_retry), answers at once with the cached error: which
    // one depends on whether the client arrived before that first failed login (both seen in CI).
    expect(msg(r, "pgbouncer.read-only")).toMatch(
      /^(timed out after 5000 ms while waiting for an answer through pool "app_ro" \(PgBouncer queues clients while it cannot reach the server behind the pool\)|PgBouncer read-only pool at 127\.0\.0\.1:\d+\/app_ro: server login has been failing, cached error: connect failed \(server_login_retry\))$/,
    );
  });

  it("a killed PgBouncer fails exactly the PgBouncer checks", async () => {
    await topo.killPgBouncer();
    const r = await suite();
    expect(changed(r)).toEqual({ "pgbouncer.read-write": "FAIL", "pgbouncer.app-login.read-write": "FAIL", "pgbouncer.pool-roles": "FAIL", "pgbouncer.config": "FAIL", "pgbouncer.pools": "FAIL" });
    for (const id of ["pgbouncer.read-write", "pgbouncer.app-login.read-write", "pgbouncer.pool-roles", "pgbouncer.config", "pgbouncer.pools"]) expect(msg(r, id)).toMatch(/^cannot connect to PgBouncer .* at 127\.0\.0\.1:\d+\/\w+ as \w+: connection refused/);
    expect(r.overall).toBe("unhealthy");
    expect(r.exitCode).toBe(2);
  });
});
