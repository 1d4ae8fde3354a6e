/**
 * The SQL of the partition checks and of the reconciliation, as pure functions, so the
 * statements the checks run are the statements the tests EXPLAIN. Every statement is
 * written to be answered from the timestamp index (a range on `timestampColumn`), never
 * a scan of the whole table: at a billion rows a full scan takes minutes of disk reads.
 */
import { escapeIdentifier } from "pg";
import { qualified } from "./postgres";

export interface PairNames {
  legacy: string;
  partitioned: string;
  timestampColumn: string;
}

/** The window's lower bound, as text (microseconds kept), taken in the caller's snapshot. */
export const WINDOW_START_SQL = "SELECT (now() - make_interval(secs => $1::float8))::text AS since, now()::text AS until";

/**
 * Rows of `table` with a timestamp at or after $1 (no upper bound: rows dated ahead of
 * the clock are written by the same triggers and belong to the same verdict). With an
 * index on the column this is a range scan; on the partitioned twin, partitions wholly
 * before $1 are pruned at plan time.
 */
export function windowCountSql(table: string, timestampColumn: string): string {
  return `SELECT count(*)::bigint AS n FROM ${qualified(table)} WHERE ${qualified(timestampColumn)} >= $1::timestamptz`;
}

/** Age in seconds of the newest row at or after $1 (NULL when none): reads the index's upper end of the window only. */
export function newestAgeSql(table: string, timestampColumn: string): string {
  const col = qualified(timestampColumn);
  return `SELECT extract(epoch FROM now() - max(${col}))::float8 AS age FROM ${qualified(table)} WHERE ${col} >= $1::timestamptz`;
}

/**
 * Planner statistics (`reltuples`, refreshed by ANALYZE / autovacuum) of the legacy table
 * and the sum over the twin's leaf partitions; -1 (never analysed) is returned as NULL.
 * Catalog only: constant cost whatever the row count.
 */
export const ESTIMATE_SQL = `SELECT
  (SELECT CASE WHEN reltuples < 0 THEN NULL ELSE reltuples END FROM pg_class WHERE oid = to_regclass($1))::float8 AS legacy,
  (SELECT CASE WHEN bool_or(c.reltuples < 0) THEN NULL ELSE sum(c.reltuples) END
     FROM pg_partition_tree(to_regclass($2)) t JOIN pg_class c ON c.oid = t.relid WHERE t.isleaf)::float8 AS partitioned`;

/**
 * Each table the checks read by timestamp (the legacy table and every leaf partition of
 * the twin) and whether it has a valid, non-partial btree index led by the column.
 * Catalog only; one row per leaf partition.
 */
export const TIMESTAMP_INDEX_SQL = `WITH tables AS (
  SELECT to_regclass($1) AS relid
  UNION ALL
  SELECT t.relid FROM pg_partition_tree(to_regclass($2)) t WHERE t.isleaf
)
SELECT n.nspname AS schema, c.relname AS name,
  EXISTS (
    SELECT 1 FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid
    JOIN pg_am am ON am.oid = ic.relam
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
    WHERE i.indrelid = c.oid AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree' AND a.attname = $3
  ) AS indexed
FROM tables JOIN pg_class c ON c.oid = tables.relid JOIN pg_namespace n ON n.oid = c.relnamespace
ORDER BY (c.oid = to_regclass($1)) DESC, c.relname`;

const MAX_IDENT = 63;

/**
 * The statement that creates the missing index without blocking writes. PostgreSQL 15
 * cannot build an index CONCURRENTLY on a partitioned table, so it is one statement per
 * partition (and for the legacy table). IF NOT EXISTS makes a re-run harmless; the name
 * is cut to PostgreSQL's 63 characters as the server would.
 */
export function createIndexStatement(schema: string, table: string, timestampColumn: string): string {
  const name = `${table}_${timestampColumn}_idx`.slice(0, MAX_IDENT);
  return `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${escapeIdentifier(name)} ON ${escapeIdentifier(schema)}.${escapeIdentifier(table)} (${escapeIdentifier(timestampColumn)});`;
}
