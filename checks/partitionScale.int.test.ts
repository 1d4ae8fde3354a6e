/**
 * The partition checks at a size where full scans would show, against a real sandbox
 * (primary + streaming replica): a pair of ~300k rows spread over two months, with a
 * seeded delta inside the window (rows written with the trigger off) and one outside it
 * (rows missing from an old partition of the twin). The gate's row-delta sees exactly
 * the in-window delta; `npm run reconcile` (on the replica) finds both and names their
 * partitions, resumes an interrupted run, and the gate's reconcile verdict then reads
 * its result. EXPLAIN shows the window queries read only the window's partitions, by
 * index. A dropped index FAILs partition.indexes with the statement that restores it.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackOutputs } from "../components/contract/outputs";
import { loadStackSettings } from "../components/settings/stackFile";
import { startSandbox, stopSandbox, type SandboxInfo } from "../sandbox";
import { withPg } from "../components/clients/postgres";
import { PRIMARY_NAME, superuserTarget } from "../sandbox/postgres";
import { monthlyPartitions } from "../sandbox/schema";
import { bulkLoadSql, partitionsForSpan } from "../bench/partition/load";
import { newestAgeSql, WINDOW_START_SQL, windowCountSql } from "./lib/partitionSql";
import { monitorTarget } from "./lib/postgres";
import { main as reconcileCli } from "./reconcile/cli";
import { reconcile, RECONCILE_EXIT } from "./reconcile/run";
import { runSuite, type SuiteReport } from "./suite";

const ROWS = 300_000;
/** 300k rows over ~70 days: several monthly partitions hold history, the last hour ~180 rows. */
const RATE = 0.05;
const IN_WINDOW_DELTA = 12;
const OUT_OF_WINDOW_DELTA = 150;
const DAYS_BACK = 40;

const dir = mkdtempSync(join(tmpdir(), "partition-scale-"));
let sandbox: SandboxInfo;
let outputs: StackOutputs;
const settings = loadStackSettings("dev");
const pair = settings.postgres.partitionPairs[0];
const now = new Date();
/** The partition holding the rows DAYS_BACK days ago: where the out-of-window delta is seeded. */
const oldPartition = monthlyPartitions(pair.partitioned, now, 6, 2).find((p) => {
  const t = now.getTime() - DAYS_BACK * 86_400_000;
  return Date.parse(p.from) <= t && t < Date.parse(p.to);
})!.name;
const currentPartition = monthlyPartitions(pair.partitioned, now, 0, 0)[0].name;

async function su<T>(fn: (c: import("pg").Client) => Promise<T>): Promise<T> {
  const p = sandbox.state.processes.find((x) => x.name === PRIMARY_NAME)!;
  return withPg(superuserTarget(sandbox.state, p, settings.postgres.databaseName), fn, 120_000);
}

async function partitionSuite(): Promise<SuiteReport> {
  return runSuite(outputs, { only: `partition.*.${pair.legacy},partition.*.${pair.partitioned}`, deadlineMs: 20_000, timeoutMs: 5_000, hooks: [] });
}
const result = (r: SuiteReport, id: string) => r.results.find((x) => x.id === id)!;

/** Names of the relations a plan reads, with the node type that reads each. */
function scans(plan: unknown): { node: string; relation: string }[] {
  const out: { node: string; relation: string }[] = [];
  const walk = (n: Record<string, unknown>) => {
    if (typeof n["Relation Name"] === "string") out.push({ node: n["Node Type"] as string, relation: n["Relation Name"] });
    for (const k of ["Plans"]) for (const c of (n[k] as Record<string, unknown>[] | undefined) ?? []) walk(c);
  };
  walk((plan as { Plan: Record<string, unknown> }[])[0].Plan);
  return out;
}

beforeAll(async () => {
  sandbox = await startSandbox({ dir, settings });
  if (!sandbox.outputs) throw new Error("the sandbox returned no outputs");
  outputs = sandbox.outputs;
  await su(async (c) => {
    for (const s of partitionsForSpan(pair, now, ROWS / RATE)) await c.query(s);
    for (const s of bulkLoadSql(pair, { from: 0, to: ROWS, anchor: now, ratePerSecond: RATE })) await c.query(s);
    // The bulk load commits asynchronously; the deltas below commit as an application's writes do.
    await c.query("RESET synchronous_commit");
    // Inside the window: rows that reached the legacy table only (the trigger off, as a broken dual write).
    await c.query(`ALTER TABLE ${pair.legacy} DISABLE TRIGGER USER`);
    await c.query(`INSERT INTO ${pair.legacy} (organization_id, amount_cents, description, ${pair.timestampColumn}) SELECT 7, g, 'in-window drift', now() - interval '10 minutes' FROM generate_series(1, ${IN_WINDOW_DELTA}) g`);
    await c.query(`ALTER TABLE ${pair.legacy} ENABLE TRIGGER USER`);
    // Outside the window: rows lost from an old partition of the twin.
    await c.query(`DELETE FROM ${pair.partitioned} WHERE id IN (SELECT id FROM ${pair.partitioned} WHERE ${pair.timestampColumn} < now() - interval '${DAYS_BACK} days' ORDER BY ${pair.timestampColumn} DESC LIMIT ${OUT_OF_WINDOW_DELTA})`);
  });
  // Reconcile reads the replica: the seed must have been replayed there first (replay of
  // the bulk load can trail the primary by seconds on a busy machine). The insert
  // position, not pg_current_wal_lsn(): that is only what has been written out, and an
  // asynchronous commit's record can still sit beyond it in the WAL buffers (the replica
  // then "caught up" without the DELETE: CI failed so, 1 run in 3 here).
  const lsn = await su(async (c) => (await c.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn()::text AS lsn")).rows[0].lsn);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const replayed = await withPg(monitorTarget(outputs, outputs.postgres.replicas[0], "replica"), async (c) => (await c.query<{ ok: boolean }>("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok", [lsn])).rows[0].ok);
    if (replayed) break;
    if (Date.now() > deadline) throw new Error(`the replica has not replayed the seed (primary at ${lsn}) within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}, 180_000);

afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe(`partition checks on a ${ROWS}-row pair with seeded deltas`, () => {
  it("the gate's row-delta sees exactly the in-window delta and says which window it judged; no reconcile yet is SKIP", async () => {
    const r = await partitionSuite();
    const delta = result(r, `partition.row-delta.${pair.legacy}`);
    expect(delta.status).toBe("WARN");
    expect(delta.measured).toEqual({ value: IN_WINDOW_DELTA, unit: "count" });
    expect(delta.message).toMatch(new RegExp(`^window ${pair.timestampColumn} >= \\S+ \\S+ \\(last 3600 s\\): ${pair.legacy} \\d+ rows, ${pair.partitioned} \\d+: delta ${IN_WINDOW_DELTA}: beyond the warning level > 10$`));
    expect(result(r, `partition.reconcile.${pair.legacy}`).status).toBe("SKIP");
    // The estimate is labelled as such and never judged against the exact thresholds.
    expect(result(r, `partition.size-estimate.${pair.legacy}`).measured?.unit).toBe("rows (estimate)");
    for (const id of [`partition.recent-writes.${pair.partitioned}`, `partition.indexes.${pair.legacy}`, `partition.partitions.${pair.partitioned}`]) expect(result(r, id).status, id).toBe("PASS");
  });

  it("the window queries read only the partitions of the window, through the timestamp index, never a full scan", async () => {
    await su(async (c) => {
      const { since } = (await c.query<{ since: string }>(WINDOW_START_SQL, [3600])).rows[0];
      const rowsOf = async (rel: string) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${rel}`)).rows[0].n);
      for (const sql of [windowCountSql(pair.legacy, pair.timestampColumn), windowCountSql(pair.partitioned, pair.timestampColumn), newestAgeSql(pair.partitioned, pair.timestampColumn), newestAgeSql(pair.legacy, pair.timestampColumn)]) {
        const plan = (await c.query(`EXPLAIN (FORMAT JSON) ${sql}`, [since])).rows[0]["QUERY PLAN"];
        const read = scans(plan);
        expect(read.length, sql).toBeGreaterThan(0);
        // Only the window's partitions (this month's, the ones ahead, the default): the history is pruned.
        expect(read.map((s) => s.relation), sql).not.toContain(oldPartition);
        for (const s of read) {
          // A sequential scan is allowed only of a relation that holds no row at all (an empty partition ahead).
          if (s.node === "Seq Scan") expect(await rowsOf(s.relation), `${s.node} on ${s.relation} in ${sql}`).toBe(0);
          else expect(s.node, sql).toMatch(/Index Only Scan|Index Scan|Bitmap Heap Scan/);
        }
      }
    });
  });

  it("reconcile on the replica finds both deltas, names their partitions, resumes an interrupted run, and the gate reads its result", async () => {
    const statePath = join(dir, "reconcile-state.json");
    const replica = outputs.postgres.replicas[0];
    // Interrupted after the second partition: exit 2, progress kept.
    const ac = new AbortController();
    const first = await reconcile({
      outputs,
      pairs: [pair],
      read: monitorTarget(outputs, replica, `replica ${replica.id}`),
      write: monitorTarget(outputs, outputs.postgres.primary, "primary"),
      statementTimeoutMs: 30_000,
      pauseMs: 0,
      keyColumn: "id",
      statePath,
      signal: ac.signal,
      onProgress: (e) => e.index === 2 && ac.abort(),
    });
    expect(first.exitCode).toBe(RECONCILE_EXIT.incomplete);
    expect(first.pairs[0].checked).toBe(2);
    expect(existsSync(statePath)).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(statePath, "utf8")).done[pair.legacy])).toHaveLength(2);

    // The command line resumes it (same target, pair, no --since), on the replica by default.
    const out: string[] = [];
    const err: string[] = [];
    const code = await reconcileCli(["--outputs", sandbox.outputsFile!, "--pair", pair.legacy, "--state", statePath, "--pause", "10"], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } });
    const text = out.join("");
    expect(code, `${text}\n${err.join("")}`).toBe(RECONCILE_EXIT.differing);
    expect(text).toContain(`(resumed) on replica ${replica.id} (`);
    expect(text).toMatch(new RegExp(`${oldPartition}: legacy \\d+ rows, partitioned \\d+: ${OUT_OF_WINDOW_DELTA} missing in the partition`));
    expect(text).toMatch(new RegExp(`${currentPartition}: legacy \\d+ rows, partitioned \\d+: ${IN_WINDOW_DELTA} missing in the partition`));
    expect(text).toContain(`2 differing, total delta ${OUT_OF_WINDOW_DELTA + IN_WINDOW_DELTA} (recorded)`);
    expect(err.join("").match(/done earlier/g)).toHaveLength(2);
    expect(existsSync(statePath)).toBe(false);
    // Never a credential in what it prints.
    for (const secret of Object.values(outputs.credentials)) expect(text + err.join("")).not.toContain(secret);

    // The gate's full-table verdict now comes from that result: past the critical level, naming the partitions, with its age.
    const r = await partitionSuite();
    const verdict = result(r, `partition.reconcile.${pair.legacy}`);
    expect(verdict.status).toBe("FAIL");
    expect(verdict.measured).toEqual({ value: OUT_OF_WINDOW_DELTA + IN_WINDOW_DELTA, unit: "count" });
    expect(verdict.message).toMatch(new RegExp(`^last reconcile \\d+ s ago \\(run \\S+, \\d+ partition\\(s\\), on replica ${replica.id} `));
    expect(verdict.message).toContain(`${oldPartition} -${OUT_OF_WINDOW_DELTA}`);
    expect(verdict.message).toContain(`${currentPartition} -${IN_WINDOW_DELTA}`);
    // The window check still judges only the window.
    expect(result(r, `partition.row-delta.${pair.legacy}`).measured?.value).toBe(IN_WINDOW_DELTA);
  });

  it("missing timestamp indexes FAIL partition.indexes with the CREATE INDEX CONCURRENTLY statements that fix them; running them heals the check", async () => {
    // As the issue found the twin: no index on its timestamp column (dropping the parent's drops every partition's), and none on the legacy table.
    await su(async (c) => {
      await c.query(`DROP INDEX ${pair.partitioned}_${pair.timestampColumn}_idx`);
      await c.query(`DROP INDEX ${pair.legacy}_${pair.timestampColumn}_idx`);
    });
    const r = await partitionSuite();
    const check = result(r, `partition.indexes.${pair.legacy}`);
    const leaves = Number((await su((c) => c.query<{ n: string }>("SELECT count(*) AS n FROM pg_partition_tree($1::regclass) WHERE isleaf", [pair.partitioned]))).rows[0].n);
    expect(check.status).toBe("FAIL");
    expect(check.message).toContain(`${leaves + 1} of ${leaves + 1} table(s) lack an index on ${pair.timestampColumn}`);
    const statements = check.message.match(/CREATE INDEX CONCURRENTLY [^;]+;/g) ?? [];
    expect(statements).toHaveLength(leaves + 1);
    expect(statements[0]).toBe(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "${pair.legacy}_${pair.timestampColumn}_idx" ON "public"."${pair.legacy}" ("${pair.timestampColumn}");`);
    expect(statements).toContain(`CREATE INDEX CONCURRENTLY IF NOT EXISTS "${oldPartition}_${pair.timestampColumn}_idx" ON "public"."${oldPartition}" ("${pair.timestampColumn}");`);
    // Exactly what an operator would paste: one statement at a time, outside a transaction.
    await su(async (c) => {
      for (const stmt of statements) await c.query(stmt);
    });
    expect(result(await partitionSuite(), `partition.indexes.${pair.legacy}`).status).toBe("PASS");
  });
});
