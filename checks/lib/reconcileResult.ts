/**
 * Where a full reconciliation (`npm run reconcile`) leaves its verdict for the gate: a
 * small table beside the heartbeat, on the primary, owned by the monitoring role. The
 * same table serves every realization: locally the command writes it, on AWS the
 * scheduled in-VPC task runs the same command; the gate check reads the newest complete
 * row per pair (one index probe) and shows its age.
 */
import { escapeIdentifier, type Client } from "pg";
import { HEARTBEAT_SCHEMA } from "./heartbeat";

export const RECONCILE_TABLE = `${HEARTBEAT_SCHEMA}.reconcile_result`;
/** Rows kept per pair: enough history to see a trend, never a growing table. */
export const RECONCILE_ROWS_KEPT = 30;

/** One partition whose legacy rows (by its range) and its own rows disagree. */
export interface PartitionDifference {
  partition: string;
  legacyRows: number;
  partitionedRows: number;
  /** partitionedRows - legacyRows. */
  delta: number;
  /** Counts equal but the key checksums differ (rows swapped, not lost). */
  keysDiffer: boolean;
}

export interface ReconcileResult {
  legacy: string;
  partitioned: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  /** Lower bound of `--since`, or null for every partition. */
  since: string | null;
  partitions: number;
  /** Where it read: e.g. "replica replica-1 (127.0.0.1:15433)". */
  source: string;
  differing: PartitionDifference[];
}

/** Sum of |delta| over the differing partitions: what the gate judges against partitionRowDelta. */
export function totalDelta(r: Pick<ReconcileResult, "differing">): number {
  return r.differing.reduce((n, d) => n + Math.abs(d.delta), 0);
}

/** Statements that create the table, owned by `owner` (the monitoring role, as the heartbeat). */
export function reconcileDdl(owner: string): string[] {
  const o = escapeIdentifier(owner);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${HEARTBEAT_SCHEMA} AUTHORIZATION ${o}`,
    `CREATE TABLE IF NOT EXISTS ${RECONCILE_TABLE} (
  legacy text NOT NULL, partitioned text NOT NULL, run_id text NOT NULL,
  started_at timestamptz NOT NULL, finished_at timestamptz NOT NULL, since timestamptz,
  partitions int NOT NULL, source text NOT NULL, differing jsonb NOT NULL,
  PRIMARY KEY (legacy, run_id))`,
    `CREATE INDEX IF NOT EXISTS reconcile_result_newest ON ${RECONCILE_TABLE} (legacy, finished_at DESC)`,
    `ALTER TABLE ${RECONCILE_TABLE} OWNER TO ${o}`,
  ];
}

/** Records one pair's result and drops that pair's rows beyond the newest RECONCILE_ROWS_KEPT. */
export async function writeReconcileResult(c: Client, r: ReconcileResult): Promise<void> {
  await c.query(
    `INSERT INTO ${RECONCILE_TABLE} (legacy, partitioned, run_id, started_at, finished_at, since, partitions, source, differing)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
     ON CONFLICT (legacy, run_id) DO UPDATE SET finished_at = EXCLUDED.finished_at, partitions = EXCLUDED.partitions, differing = EXCLUDED.differing`,
    [r.legacy, r.partitioned, r.runId, r.startedAt, r.finishedAt, r.since, r.partitions, r.source, JSON.stringify(r.differing)],
  );
  await c.query(
    `DELETE FROM ${RECONCILE_TABLE} WHERE legacy = $1 AND run_id NOT IN (SELECT run_id FROM ${RECONCILE_TABLE} WHERE legacy = $1 ORDER BY finished_at DESC LIMIT ${RECONCILE_ROWS_KEPT})`,
    [r.legacy],
  );
}

export interface StoredResult extends ReconcileResult {
  ageSeconds: number;
}

/** The newest result for `legacy`, or null when none (or the table does not exist yet). */
export async function readLatestResult(c: Client, legacy: string): Promise<StoredResult | null> {
  const exists = await c.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [RECONCILE_TABLE]);
  if (!exists.rows[0].t) return null;
  const r = await c.query<{
    legacy: string;
    partitioned: string;
    run_id: string;
    started_at: string;
    finished_at: string;
    since: string | null;
    partitions: number;
    source: string;
    differing: PartitionDifference[];
    age: number;
  }>(
    `SELECT legacy, partitioned, run_id, started_at::text, finished_at::text, since::text, partitions, source, differing,
       extract(epoch FROM now() - finished_at)::float8 AS age
     FROM ${RECONCILE_TABLE} WHERE legacy = $1 ORDER BY finished_at DESC LIMIT 1`,
    [legacy],
  );
  const row = r.rows[0];
  if (!row) return null;
  return {
    legacy: row.legacy,
    partitioned: row.partitioned,
    runId: row.run_id,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    since: row.since,
    partitions: row.partitions,
    source: row.source,
    differing: row.differing,
    ageSeconds: Math.max(0, row.age),
  };
}
