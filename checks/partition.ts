/**
 * Partition checks, per legacy/partitioned table pair: row counts agree (one snapshot
 * for both counts), the partitioned table has partitions, the dual-write triggers on
 * the legacy table fire, and writes are recent. All on the primary, as the monitoring
 * role (which needs SELECT on both tables).
 */
import type { StackOutputs } from "../components/contract/outputs";
import { judged, round, thresholdOf } from "./lib/measure";
import { monitorTarget, qualified, withPg } from "./lib/postgres";
import type { Check, CheckFactory, CheckOutcome } from "./types";

/** Newest row older than this: WARN (writes stopped, or dual-write broke). */
export const RECENT_WRITE_MAX_AGE_SECONDS = 3_600;

const group = "partition" as const;
type Pair = StackOutputs["postgres"]["partitionPairs"][number];

function primary(outputs: StackOutputs) {
  return monitorTarget(outputs, outputs.postgres.primary, "Postgres primary");
}

function rowDeltaCheck(outputs: StackOutputs, pair: Pair): Check {
  const def = thresholdOf(outputs, "partitionRowDelta");
  return {
    id: `partition.row-delta.${pair.legacy}`,
    group,
    title: `Row counts of ${pair.legacy} and ${pair.partitioned} agree`,
    async run(ctx) {
      return withPg(ctx, primary(outputs), async (c) => {
        // One snapshot for both counts: concurrent inserts would otherwise show as a delta.
        await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        try {
          const legacy = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(pair.legacy)}`)).rows[0].n);
          const partitioned = Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${qualified(pair.partitioned)}`)).rows[0].n);
          const delta = Math.abs(legacy - partitioned);
          return judged(def, delta, `${pair.legacy} has ${legacy} rows, ${pair.partitioned} ${partitioned}: delta ${delta}`, [
            { name: "PartitionRowDelta", dimensions: { Table: pair.legacy }, value: delta, unit: "Count" },
          ]);
        } finally {
          await c.query("ROLLBACK").catch(() => undefined);
        }
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

function recentWritesCheck(outputs: StackOutputs, pair: Pair): Check {
  return {
    id: `partition.recent-writes.${pair.partitioned}`,
    group,
    title: `Recent writes in ${pair.legacy} and ${pair.partitioned}`,
    async run(ctx): Promise<CheckOutcome> {
      return withPg(ctx, primary(outputs), async (c) => {
        const col = qualified(pair.timestampColumn);
        const age = async (table: string) => (await c.query<{ age: number | null }>(`SELECT extract(epoch FROM now() - max(${col}))::float8 AS age FROM ${qualified(table)}`)).rows[0].age;
        const ages = { [pair.legacy]: await age(pair.legacy), [pair.partitioned]: await age(pair.partitioned) };
        const empty = Object.entries(ages).filter(([, a]) => a === null).map(([t]) => t);
        const threshold = `newest row younger than ${RECENT_WRITE_MAX_AGE_SECONDS} s`;
        if (empty.length > 0) return { status: "WARN", threshold, message: `${empty.join(" and ")} ${empty.length > 1 ? "are" : "is"} empty: no writes to judge` };
        const oldest = Math.max(0, ...Object.values(ages).map((a) => a as number));
        const text = Object.entries(ages).map(([t, a]) => `${t} ${round(Math.max(0, a as number), 1)} s ago`).join(", ");
        const measured = { value: round(oldest, 1), unit: "seconds" };
        if (oldest > RECENT_WRITE_MAX_AGE_SECONDS) return { status: "WARN", measured, threshold, message: `writes are stale: newest ${pair.timestampColumn} in ${text}` };
        return { status: "PASS", measured, threshold, message: `newest ${pair.timestampColumn}: ${text}` };
      });
    },
  };
}

export const partitionChecks: CheckFactory = (outputs) =>
  outputs.postgres.partitionPairs.flatMap((p) => [rowDeltaCheck(outputs, p), partitionsExistCheck(outputs, p), dualWriteCheck(outputs, p), recentWritesCheck(outputs, p)]);
