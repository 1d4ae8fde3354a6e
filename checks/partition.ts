/**
 * Partition checks, per legacy/partitioned table pair: rows of the recent window agree
 * (one snapshot for both counts), planner estimates are sane, the partitioned table has
 * partitions, the dual-write triggers on the legacy table fire, writes are recent, the
 * timestamp indexes exist, and the last full reconciliation found no difference. Each
 * costs what the window or the catalog costs, never what the table costs (docs/checks.md,
 * "Cost model"). All on the primary, as the monitoring role (which needs SELECT on both
 * tables).
 */
import type { StackOutputs } from "../components/contract/outputs";
import { PARTITION_CHECK_DEFAULTS } from "../components/settings/partitionChecks";
import { absentCheck } from "./absent";
import { judged, round, thresholdOf } from "./lib/measure";
import { createIndexStatement, ESTIMATE_SQL, newestAgeSql, TIMESTAMP_INDEX_SQL, WINDOW_START_SQL, windowCountSql } from "./lib/partitionSql";
import { LOCK_NOT_AVAILABLE, lockHolders, pinForAppTables } from "./lib/appTables";
import { monitorTarget, qualified, sqlState, withPg } from "./lib/postgres";
import { readLatestResult, totalDelta } from "./lib/reconcileResult";
import type { Check, CheckFactory, CheckOutcome } from "./types";

/** Newest row older than this: WARN (writes stopped, or dual-write broke). */
export const RECENT_WRITE_MAX_AGE_SECONDS = 3_600;

const group = "partition" as const;
type Pair = StackOutputs["postgres"]["partitionPairs"][number];

function primary(outputs: StackOutputs) {
  return monitorTarget(outputs, outputs.postgres.primary, "Postgres primary");
}

/** The stack's partition-check settings, or the defaults for outputs that predate them. */
export function partitionSettings(outputs: StackOutputs): { windowSeconds: number; reconcileMaxAgeSeconds: number } {
  return outputs.postgres.partitionChecks ?? PARTITION_CHECK_DEFAULTS;
}

/**
 * Exact parity over the recent window only: both counts in one REPEATABLE READ snapshot
 * (the dual-write trigger writes both rows in the same transaction, so a consistent
 * snapshot shows no in-flight delta), each a range scan of the timestamp index. Its cost
 * follows the rows written in the window, not the table; rows older than the window are
 * the reconciliation's (partition.reconcile.*).
 */
function rowDeltaCheck(outputs: StackOutputs, pair: Pair): Check {
  const def = thresholdOf(outputs, "partitionRowDelta");
  const { windowSeconds } = partitionSettings(outputs);
  return {
    id: `partition.row-delta.${pair.legacy}`,
    group,
    title: `Rows of the last ${windowSeconds} s in ${pair.legacy} and ${pair.partitioned} agree`,
    async run(ctx) {
      return withPg(ctx, primary(outputs), async (c): Promise<CheckOutcome> => {
        const pinned = await pinForAppTables(c, [pair.legacy, pair.partitioned]);
        if (!pinned.ok) return { status: "FAIL", message: pinned.refused };
        await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        try {
          const { since } = (await c.query<{ since: string }>(WINDOW_START_SQL, [windowSeconds])).rows[0];
          const count = async (table: string) => Number((await c.query<{ n: string }>(windowCountSql(pinned.resolved.get(table)!, pair.timestampColumn), [since])).rows[0].n);
          const legacy = await count(pair.legacy);
          const partitioned = await count(pair.partitioned);
          const delta = Math.abs(legacy - partitioned);
          const window = `${pair.timestampColumn} >= ${since} (last ${windowSeconds} s)`;
          return judged(def, delta, `window ${window}: ${pair.legacy} ${legacy} row${legacy === 1 ? "" : "s"}, ${pair.partitioned} ${partitioned}: delta ${delta}`, [
            { name: "PartitionRowDelta", dimensions: { Table: pair.legacy }, value: delta, unit: "Count" },
          ]);
        } catch (e) {
          return await lockedOut(c, e, [...pinned.resolved.values()]);
        } finally {
          await c.query("ROLLBACK").catch(() => undefined);
        }
      });
    },
  };
}

/** A read that timed out on a lock FAILs naming who holds it; any other error is rethrown as it was. */
async function lockedOut(c: import("pg").Client, e: unknown, tables: string[]): Promise<CheckOutcome> {
  if (sqlState(e) !== LOCK_NOT_AVAILABLE) throw e;
  await c.query("ROLLBACK").catch(() => undefined);
  const holders = await lockHolders(c, tables).catch((x: Error) => `the holder could not be read: ${x.message}`);
  return { status: "FAIL", message: `${(e as Error).message} (the reads wait at most the session's lock_timeout): ${holders}` };
}

/** Relative gap between the planner's estimates past which the sanity check warns. */
export const ESTIMATE_WARN_RATIO = 0.01;
/** ... and the absolute gap (estimates wander by tens of rows at millions, measured ±60 at 5-20M). */
export const ESTIMATE_WARN_ROWS = 1_000;

/**
 * A sanity check on the whole tables from planner statistics (catalog only). Estimates
 * are far too coarse for the documented row-delta thresholds (> 10, > 100), so this
 * never FAILs and never feeds PartitionRowDelta: it WARNs on a gross gap only.
 */
function sizeEstimateCheck(outputs: StackOutputs, pair: Pair): Check {
  return {
    id: `partition.size-estimate.${pair.legacy}`,
    group,
    title: `Estimated sizes of ${pair.legacy} and ${pair.partitioned} (reltuples, sanity only)`,
    async run(ctx) {
      return withPg(ctx, primary(outputs), async (c) => {
        const r = (await c.query<{ legacy: number | null; partitioned: number | null }>(ESTIMATE_SQL, [qualified(pair.legacy), qualified(pair.partitioned)])).rows[0];
        const threshold = `estimate only: WARN when the gap exceeds ${ESTIMATE_WARN_RATIO * 100}% and ${ESTIMATE_WARN_ROWS} rows; exact parity is row-delta (window) and reconcile (full)`;
        if (r.legacy === null || r.partitioned === null) return { status: "SKIP", threshold, message: `no estimate yet: ${r.legacy === null ? pair.legacy : pair.partitioned} (or one of its partitions) was never analysed` };
        const gap = Math.abs(r.legacy - r.partitioned);
        const measured = { value: Math.round(gap), unit: "rows (estimate)" };
        const text = `estimates ${pair.legacy} ~${Math.round(r.legacy)} rows, ${pair.partitioned} ~${Math.round(r.partitioned)}: gap ~${Math.round(gap)}`;
        const gross = gap > ESTIMATE_WARN_ROWS && gap > ESTIMATE_WARN_RATIO * Math.max(r.legacy, r.partitioned);
        return { status: gross ? "WARN" : "PASS", measured, threshold, message: gross ? `${text}: a gross gap (see partition.reconcile.${pair.legacy})` : text };
      });
    },
  };
}

function partitionsExistCheck(outputs: StackOutputs, pair: Pair): Check {
  return {
    id: `partition.partitions.${pair.partitioned}`,
    group,
    title: `${pair.partitioned} has partitions`,
    async run(ctx) {
      return withPg(ctx, primary(outputs), async (c) => {
        const r = await c.query<{ relkind: string; n: number }>(
          "SELECT c.relkind, (SELECT count(*)::int FROM pg_inherits i WHERE i.inhparent = c.oid) AS n FROM pg_class c WHERE c.oid = to_regclass($1)",
          [qualified(pair.partitioned)],
        );
        if (r.rows.length === 0) return { status: "FAIL", message: `table ${pair.partitioned} does not exist` };
        const { relkind, n } = r.rows[0];
        const kind = relkind === "p" ? "partitioned table" : "table";
        if (n === 0) return { status: "FAIL", measured: { value: 0, unit: "count" }, message: `${pair.partitioned} (${kind}) has no partitions: inserts into it fail` };
        return { status: "PASS", measured: { value: n, unit: "count" }, message: `${pair.partitioned} (${kind}) has ${n} partition(s)` };
      });
    },
  };
}

function dualWriteCheck(outputs: StackOutputs, pair: Pair): Check {
  return {
    id: `partition.dual-write.${pair.legacy}`,
    group,
    title: `Dual-write triggers on ${pair.legacy} are enabled`,
    async run(ctx): Promise<CheckOutcome> {
      return withPg(ctx, primary(outputs), async (c) => {
        const exists = await c.query("SELECT 1 FROM pg_class WHERE oid = to_regclass($1)", [qualified(pair.legacy)]);
        if (exists.rows.length === 0) return { status: "FAIL", message: `table ${pair.legacy} does not exist` };
        const r = await c.query<{ tgname: string; tgenabled: string }>("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = to_regclass($1) AND NOT tgisinternal ORDER BY tgname", [qualified(pair.legacy)]);
        // O: fires in normal sessions, A: always. D: disabled; R: only in replica sessions (not on writes here).
        const on = r.rows.filter((t) => t.tgenabled === "O" || t.tgenabled === "A").map((t) => t.tgname);
        const off = r.rows.filter((t) => !(t.tgenabled === "O" || t.tgenabled === "A")).map((t) => `${t.tgname} (${t.tgenabled === "D" ? "disabled" : "replica-only"})`);
        if (r.rows.length === 0) return { status: "FAIL", message: `${pair.legacy} has no triggers: writes do not reach ${pair.partitioned}` };
        if (on.length === 0) return { status: "FAIL", message: `every trigger on ${pair.legacy} is off: ${off.join(", ")}; writes do not reach ${pair.partitioned}` };
        if (off.length > 0) return { status: "WARN", message: `${on.join(", ")} enabled but ${off.join(", ")} on ${pair.legacy}` };
        return { status: "PASS", message: `${on.length} trigger(s) enabled on ${pair.legacy}: ${on.join(", ")}` };
      });
    },
  };
}

/**
 * The newest row, looked up within the last RECENT_WRITE_MAX_AGE_SECONDS only: on the
 * twin that prunes every partition before the bound, and the index answers max() from
 * its upper end. A table with no row in that range is stale (or empty) either way.
 */
function recentWritesCheck(outputs: StackOutputs, pair: Pair): Check {
  return {
    id: `partition.recent-writes.${pair.partitioned}`,
    group,
    title: `Recent writes in ${pair.legacy} and ${pair.partitioned}`,
    async run(ctx): Promise<CheckOutcome> {
      return withPg(ctx, primary(outputs), async (c): Promise<CheckOutcome> => {
        const pinned = await pinForAppTables(c, [pair.legacy, pair.partitioned]);
        if (!pinned.ok) return { status: "FAIL", message: pinned.refused };
        const { since } = (await c.query<{ since: string }>(WINDOW_START_SQL, [RECENT_WRITE_MAX_AGE_SECONDS])).rows[0];
        const age = async (table: string) => (await c.query<{ age: number | null }>(newestAgeSql(pinned.resolved.get(table)!, pair.timestampColumn), [since])).rows[0].age;
        let ages: Record<string, number | null>;
        try {
          ages = { [pair.legacy]: await age(pair.legacy), [pair.partitioned]: await age(pair.partitioned) };
        } catch (e) {
          return await lockedOut(c, e, [...pinned.resolved.values()]);
        }
        const none = Object.entries(ages).filter(([, a]) => a === null).map(([t]) => t);
        const threshold = `newest row younger than ${RECENT_WRITE_MAX_AGE_SECONDS} s`;
        if (none.length > 0) return { status: "WARN", threshold, message: `no row newer than ${RECENT_WRITE_MAX_AGE_SECONDS} s in ${none.join(" and ")}: writes are stale (or the table is empty)` };
        const oldest = Math.max(0, ...Object.values(ages).map((a) => a as number));
        const text = Object.entries(ages).map(([t, a]) => `${t} ${round(Math.max(0, a as number), 1)} s ago`).join(", ");
        const measured = { value: round(oldest, 1), unit: "seconds" };
        if (oldest > RECENT_WRITE_MAX_AGE_SECONDS) return { status: "WARN", measured, threshold, message: `writes are stale: newest ${pair.timestampColumn} in ${text}` };
        return { status: "PASS", measured, threshold, message: `newest ${pair.timestampColumn}: ${text}` };
      });
    },
  };
}

/**
 * The indexes the bounded checks rely on: a btree led by the timestamp column on the
 * legacy table and on every leaf partition. Without one, row-delta and recent-writes
 * silently turn into full scans; this FAILs with the statements that fix it.
 */
function timestampIndexCheck(outputs: StackOutputs, pair: Pair): Check {
  return {
    id: `partition.indexes.${pair.legacy}`,
    group,
    title: `${pair.legacy} and every partition of ${pair.partitioned} are indexed on ${pair.timestampColumn}`,
    async run(ctx): Promise<CheckOutcome> {
      return withPg(ctx, primary(outputs), async (c) => {
        const r = await c.query<{ schema: string; name: string; indexed: boolean }>(TIMESTAMP_INDEX_SQL, [qualified(pair.legacy), qualified(pair.partitioned), pair.timestampColumn]);
        const missing = r.rows.filter((t) => !t.indexed);
        const measured = { value: missing.length, unit: "table(s) without the index" };
        if (r.rows.length === 0) return { status: "FAIL", measured, message: `neither ${pair.legacy} nor ${pair.partitioned} exists` };
        if (missing.length > 0) {
          const fix = missing.map((t) => createIndexStatement(t.schema, t.name, pair.timestampColumn)).join(" ");
          return { status: "FAIL", measured, message: `${missing.length} of ${r.rows.length} table(s) lack an index on ${pair.timestampColumn} (the window checks would scan them); run: ${fix}` };
        }
        return { status: "PASS", measured, message: `${r.rows.length} table(s) indexed on ${pair.timestampColumn}: ${pair.legacy} and ${r.rows.length - 1} partition(s)` };
      });
    },
  };
}

/** An age in words: seconds, minutes or hours. */
const hours = (s: number) => (s < 120 ? `${Math.round(s)} s` : s < 7_200 ? `${Math.round(s / 60)} min` : `${round(s / 3_600, 1)} h`);

/**
 * The full-table verdict, which the gate no longer computes itself: the newest result of
 * `npm run reconcile` (locally, or the scheduled in-VPC task on AWS) from the result
 * table, judged against partitionRowDelta, with its age. None yet: SKIP (a fresh
 * environment is not degraded); older than reconcileMaxAgeSeconds: WARN.
 */
function reconcileVerdictCheck(outputs: StackOutputs, pair: Pair): Check {
  const def = thresholdOf(outputs, "partitionRowDelta");
  const { reconcileMaxAgeSeconds } = partitionSettings(outputs);
  return {
    id: `partition.reconcile.${pair.legacy}`,
    group,
    title: `Last full reconciliation of ${pair.legacy} and ${pair.partitioned}`,
    async run(ctx): Promise<CheckOutcome> {
      return withPg(ctx, primary(outputs), async (c) => {
        const last = await readLatestResult(c, pair.legacy);
        if (!last) return { status: "SKIP", message: `no reconciliation of ${pair.legacy} recorded yet (npm run reconcile -- --outputs <file>): the full-table verdict is unknown` };
        const delta = totalDelta(last);
        const swapped = last.differing.filter((d) => d.delta === 0 && d.keysDiffer).length;
        const about = `last reconcile ${hours(last.ageSeconds)} ago (run ${last.runId}, ${last.partitions} partition(s), ${last.since ? `since ${last.since}, ` : ""}on ${last.source})`;
        const parts = last.differing.map((d) => `${d.partition} ${d.delta > 0 ? "+" : ""}${d.delta}${d.keysDiffer && d.delta === 0 ? " (keys differ)" : ""}`).join(", ");
        const verdict = judged(def, delta, `${about}: ${last.differing.length ? `differing ${parts}` : "every partition matches"}; total delta ${delta}`);
        const stale = last.ageSeconds > reconcileMaxAgeSeconds;
        let status = verdict.status;
        if (status === "PASS" && (stale || swapped > 0)) status = "WARN";
        const notes = [stale ? `older than ${hours(reconcileMaxAgeSeconds)}: stale` : "", swapped ? `${swapped} partition(s) with equal counts but different keys` : ""].filter(Boolean);
        return { ...verdict, status, message: notes.length ? `${verdict.message} (${notes.join("; ")})` : verdict.message };
      });
    },
  };
}

export const partitionChecks: CheckFactory = (outputs) =>
  outputs.postgres.partitionPairs.length === 0
    ? [absentCheck("partition.pairs", "partition", "Partition migration pairs", "outputs.postgres.partitionPairs is empty: no legacy/partitioned table pair to compare")]
    : outputs.postgres.partitionPairs.flatMap((p) => [
        rowDeltaCheck(outputs, p),
        sizeEstimateCheck(outputs, p),
        partitionsExistCheck(outputs, p),
        dualWriteCheck(outputs, p),
        recentWritesCheck(outputs, p),
        timestampIndexCheck(outputs, p),
        reconcileVerdictCheck(outputs, p),
      ]);
