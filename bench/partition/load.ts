/**
 * Growing a partition pair to a row count, fast, as SQL the bench (and the integration
 * test) run as the superuser: history is bulk-loaded with the dual-write trigger off
 * (both tables from one generate_series, then the timestamp indexes rebuilt and VACUUM
 * ANALYZE), recent rows are written through the trigger as the application would.
 *
 * The model: a constant write rate (`ratePerSecond`) and a history that grows, so the
 * rows inside the checks' window stay the same at every size and only the history
 * (what a full scan would pay for) grows.
 */
import { escapeIdentifier, escapeLiteral } from "pg";
import type { PairNames } from "../../checks/lib/partitionSql";
import { monthlyPartitions, timestampIndexSql } from "../../sandbox/schema";

/**
 * Measured here: 116 MB per 1M rows per table with its primary key and timestamp index
 * (~240 B per row for the pair); the rest is room for WAL and the index builds' sorts.
 */
export const BYTES_PER_ROW = 340;
/** WAL and index-build room on top of the tables. */
export const DISK_MARGIN_BYTES = 3 * 1024 ** 3;

export function diskNeedBytes(rows: number): number {
  return Math.ceil(rows * BYTES_PER_ROW + DISK_MARGIN_BYTES);
}

const id = escapeIdentifier;
const DEMO_COLUMNS = "organization_id, amount_cents, currency, description";
/** One generated row i (organization, amount, currency, description), as the demo schema's seed. */
const ROW_VALUES = "1 + (i % 1000000), 100 + (i * 37) % 100000, (ARRAY['USD','EUR','GBP'])[1 + i % 3], 'row ' || i";

/** Monthly partitions covering `seconds` of history before `anchor` (plus the demo's two ahead). */
export function partitionsForSpan(pair: PairNames, anchor: Date, seconds: number): string[] {
  const back = Math.ceil(seconds / (28 * 86_400)) + 1;
  return monthlyPartitions(pair.partitioned, anchor, back).map(
    (p) => `CREATE TABLE IF NOT EXISTS ${id(p.name)} PARTITION OF ${id(pair.partitioned)} FOR VALUES FROM (${escapeLiteral(p.from)}) TO (${escapeLiteral(p.to)})`,
  );
}

/**
 * Rows [from, to) of the history: row i is dated `anchor - i / rate` seconds, inserted
 * into the legacy table with its triggers off, then copied into the twin by id.
 * Timestamp indexes are dropped first and rebuilt after (one sorted build instead of
 * millions of insertions).
 */
export function bulkLoadSql(pair: PairNames, o: { from: number; to: number; anchor: Date; ratePerSecond: number }): string[] {
  const ts = id(pair.timestampColumn);
  const anchor = escapeLiteral(o.anchor.toISOString());
  const [legacyIndex, twinIndex] = timestampIndexSql(pair);
  const indexName = (stmt: string) => /CREATE INDEX IF NOT EXISTS ("[^"]+")/.exec(stmt)?.[1] as string;
  return [
    "SET maintenance_work_mem = '512MB'",
    "SET synchronous_commit = off",
    `DROP INDEX IF EXISTS ${indexName(legacyIndex)}`,
    `DROP INDEX IF EXISTS ${indexName(twinIndex)}`,
    `ALTER TABLE ${id(pair.legacy)} DISABLE TRIGGER USER`,
    `CREATE TEMP TABLE bench_last AS SELECT coalesce(max(id), 0) AS id FROM ${id(pair.legacy)}`,
    `INSERT INTO ${id(pair.legacy)} (${DEMO_COLUMNS}, ${ts}) SELECT ${ROW_VALUES}, ${anchor}::timestamptz - make_interval(secs => i / ${o.ratePerSecond}::float8) FROM generate_series(${o.from}, ${o.to - 1}) AS i`,
    `INSERT INTO ${id(pair.partitioned)} (id, ${DEMO_COLUMNS}, ${ts}) SELECT id, ${DEMO_COLUMNS}, ${ts} FROM ${id(pair.legacy)} WHERE id > (SELECT id FROM bench_last)`,
    "DROP TABLE bench_last",
    `ALTER TABLE ${id(pair.legacy)} ENABLE TRIGGER USER`,
    legacyIndex,
    twinIndex,
    `VACUUM ANALYZE ${id(pair.legacy)}`,
    `VACUUM ANALYZE ${id(pair.partitioned)}`,
  ];
}

/**
 * Recent rows written through the dual-write trigger, one every 1/rate seconds from
 * now back to the newest existing row: keeps the window holding the same rows per
 * second at every size, however long the bulk load took.
 */
export function topUpSql(pair: PairNames, o: { ratePerSecond: number; maxSeconds: number }): string {
  const ts = id(pair.timestampColumn);
  return `INSERT INTO ${id(pair.legacy)} (${DEMO_COLUMNS}, ${ts})
SELECT ${ROW_VALUES}, now() - make_interval(secs => i / ${o.ratePerSecond}::float8)
FROM generate_series(0, greatest(0, floor(${o.ratePerSecond} * least(${o.maxSeconds},
  extract(epoch FROM now() - coalesce((SELECT max(${ts}) FROM ${id(pair.legacy)} WHERE ${ts} >= now() - make_interval(secs => ${o.maxSeconds})), now() - make_interval(secs => ${o.maxSeconds})))))::int - 1)) AS i`;
}
