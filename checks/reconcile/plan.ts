/**
 * What a reconciliation reads, as pure functions: the partitions of a twin from their
 * bounds (`pg_get_expr(relpartbound)`), and per partition the predicate on the timestamp
 * column that selects "its" rows, so the same statement counts them in the legacy table
 * (a range scan of its timestamp index) and in the twin (pruned to that one partition).
 * The default partition's rows are everything no other partition covers: the gaps
 * between the ranges, before the first and after the last, and NULL.
 */
import { qualified } from "../lib/postgres";

/** A bound as PostgreSQL prints it: a literal (unquoted text) or open (MINVALUE/MAXVALUE). */
export type Bound = string | null;

export interface PartitionRange {
  name: string;
  /** Inclusive lower bound; null for MINVALUE. */
  from: Bound;
  /** Exclusive upper bound; null for MAXVALUE. */
  to: Bound;
}

export interface PlannedPartition {
  name: string;
  isDefault: boolean;
  /** Ranges whose union is this partition's rows (one for a range partition). */
  ranges: { from: Bound; to: Bound }[];
  /** The default partition also holds rows whose timestamp is NULL. */
  withNull: boolean;
}

/** One literal of a single-column range bound: 'text' (quotes doubled inside), MINVALUE or MAXVALUE. */
function parseBoundValue(v: string, partition: string): Bound {
  const t = v.trim();
  if (t === "MINVALUE" || t === "MAXVALUE") return null;
  const m = /^'((?:[^']|'')*)'(?:::[a-z ]+)?$/.exec(t);
  if (!m) throw new Error(`partition ${partition}: bound ${t} is not a single timestamp literal (only single-column range partitioning is supported)`);
  return m[1].replace(/''/g, "'");
}

/** "FOR VALUES FROM (...) TO (...)" or "DEFAULT" -> a range, or "default". */
export function parsePartitionBound(name: string, bound: string): PartitionRange | "default" {
  if (bound.trim() === "DEFAULT") return "default";
  const m = /^FOR VALUES FROM \((.*)\) TO \((.*)\)$/s.exec(bound.trim());
  if (!m) throw new Error(`partition ${name}: bound "${bound}" is not a range (only RANGE partitioning on the timestamp column is supported)`);
  return { name, from: parseBoundValue(m[1], name), to: parseBoundValue(m[2], name) };
}

/**
 * Every partition with the ranges that select its rows. `epoch` orders bound literals
 * (the caller asks the server, which parses them as it does); the default partition
 * gets the complement of the others.
 */
export function planPartitions(partitions: { name: string; bound: string }[], epoch: (literal: string) => number): PlannedPartition[] {
  const ranges: PartitionRange[] = [];
  let defaultName: string | null = null;
  for (const p of partitions) {
    const r = parsePartitionBound(p.name, p.bound);
    if (r === "default") defaultName = p.name;
    else ranges.push(r);
  }
  const lo = (b: Bound) => (b === null ? -Infinity : epoch(b));
  const hi = (b: Bound) => (b === null ? Infinity : epoch(b));
  ranges.sort((a, b) => lo(a.from) - lo(b.from));
  const out: PlannedPartition[] = ranges.map((r) => ({ name: r.name, isDefault: false, ranges: [{ from: r.from, to: r.to }], withNull: false }));
  if (defaultName !== null) {
    const gaps: { from: Bound; to: Bound }[] = [];
    let cursor: Bound = null;
    let cursorAt = -Infinity;
    for (const r of ranges) {
      if (lo(r.from) > cursorAt) gaps.push({ from: cursor, to: r.from });
      if (hi(r.to) > cursorAt) {
        cursor = r.to;
        cursorAt = hi(r.to);
      }
    }
    if (cursorAt < Infinity) gaps.push({ from: cursor, to: null });
    out.push({ name: defaultName, isDefault: true, ranges: gaps, withNull: true });
  }
  return out;
}

/** Partitions holding rows at or after `sinceEpoch`: those whose range ends after it, and the default. */
export function partitionsSince(plan: PlannedPartition[], sinceEpoch: number, epoch: (literal: string) => number): PlannedPartition[] {
  return plan.filter((p) => p.isDefault || p.ranges.some((r) => r.to === null || epoch(r.to) > sinceEpoch));
}

/** WHERE clause and parameters selecting a partition's rows by the timestamp column. */
export function partitionPredicate(p: PlannedPartition, timestampColumn: string): { where: string; params: string[] } {
  const col = qualified(timestampColumn);
  const params: string[] = [];
  const param = (v: string) => {
    params.push(v);
    return `$${params.length}::timestamptz`;
  };
  const terms = p.ranges.map((r) => {
    const parts = [r.from !== null ? `${col} >= ${param(r.from)}` : "", r.to !== null ? `${col} < ${param(r.to)}` : ""].filter(Boolean);
    return parts.length ? `(${parts.join(" AND ")})` : "true";
  });
  if (p.withNull) terms.push(`${col} IS NULL`);
  return { where: terms.length ? terms.join(" OR ") : "false", params };
}

/**
 * Count and an order-independent checksum of the key column over a partition's rows:
 * equal counts with different sums mean rows swapped, not lost. hashtext of the key's
 * text form works for any key type; summed as bigint it cannot overflow below 4e9 rows.
 */
export function partitionDigestSql(table: string, keyColumn: string, where: string): string {
  return `SELECT count(*)::bigint AS n, coalesce(sum(hashtext(${qualified(keyColumn)}::text)::bigint), 0)::text AS h FROM ${qualified(table)} WHERE ${where}`;
}

/** The twin's partitions and their bounds, as PostgreSQL prints them. */
export const PARTITIONS_SQL = `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = to_regclass($1) ORDER BY c.relname`;

/** Seconds since the epoch of each literal, as the server parses it (the session's time zone applies to zone-less text). */
export const EPOCH_SQL = "SELECT l AS literal, extract(epoch FROM l::timestamptz)::float8 AS epoch FROM unnest($1::text[]) AS l";
