import { describe, expect, it } from "vitest";
import { createIndexStatement, windowCountSql } from "../lib/partitionSql";
import { totalDelta } from "../lib/reconcileResult";
import { parsePartitionBound, partitionDigestSql, partitionPredicate, partitionsSince, planPartitions } from "./plan";

/** Bound literals as PostgreSQL prints them, ordered as the server would. */
const epoch = (l: string) => Date.parse(l.replace(" ", "T").replace(/\+00$/, "Z")) / 1000;
const month = (y: number, m: number) => `${y}-${String(m).padStart(2, "0")}-01 00:00:00+00`;
const bound = (a: string, b: string) => `FOR VALUES FROM ('${a}') TO ('${b}')`;

describe("partition bounds", () => {
  it("reads range bounds, MINVALUE/MAXVALUE and DEFAULT", () => {
    expect(parsePartitionBound("p1", bound(month(2026, 1), month(2026, 2)))).toEqual({ name: "p1", from: month(2026, 1), to: month(2026, 2) });
    expect(parsePartitionBound("p0", `FOR VALUES FROM (MINVALUE) TO ('${month(2026, 1)}')`)).toEqual({ name: "p0", from: null, to: month(2026, 1) });
    expect(parsePartitionBound("pd", "DEFAULT")).toBe("default");
  });

  it("refuses list and multi-column partitioning, naming the partition", () => {
    expect(() => parsePartitionBound("pl", "FOR VALUES IN ('a', 'b')")).toThrow(/partition pl: bound "FOR VALUES IN \('a', 'b'\)" is not a range/);
    expect(() => parsePartitionBound("pm", "FOR VALUES FROM ('2026-01-01', 1) TO ('2026-02-01', 1)")).toThrow(/partition pm: .* not a single timestamp literal/);
  });
});

describe("planPartitions", () => {
  const parts = [
    { name: "t_m03", bound: bound(month(2026, 3), month(2026, 4)) },
    { name: "t_m01", bound: bound(month(2026, 1), month(2026, 2)) },
    // A gap: February has no partition, so its rows land in the default.
    { name: "t_default", bound: "DEFAULT" },
  ];

  it("orders ranges and gives the default the complement: before the first, the gaps, after the last, and NULL", () => {
    const plan = planPartitions(parts, epoch);
    expect(plan.map((p) => p.name)).toEqual(["t_m01", "t_m03", "t_default"]);
    expect(plan[2]).toEqual({
      name: "t_default",
      isDefault: true,
      withNull: true,
      ranges: [
        { from: null, to: month(2026, 1) },
        { from: month(2026, 2), to: month(2026, 3) },
        { from: month(2026, 4), to: null },
      ],
    });
  });

  it("--since keeps the partitions ending after it, and always the default", () => {
    const plan = planPartitions(parts, epoch);
    expect(partitionsSince(plan, epoch(month(2026, 2)), epoch).map((p) => p.name)).toEqual(["t_m03", "t_default"]);
    expect(partitionsSince(plan, epoch(month(2025, 6)), epoch).map((p) => p.name)).toEqual(["t_m01", "t_m03", "t_default"]);
  });

  it("a default with nothing left over (MINVALUE to MAXVALUE covered) selects only NULL", () => {
    const plan = planPartitions(
      [
        { name: "lo", bound: `FOR VALUES FROM (MINVALUE) TO ('${month(2026, 1)}')` },
        { name: "hi", bound: `FOR VALUES FROM ('${month(2026, 1)}') TO (MAXVALUE)` },
        { name: "d", bound: "DEFAULT" },
      ],
      epoch,
    );
    expect(partitionPredicate(plan[2], "created_at")).toEqual({ where: '"created_at" IS NULL', params: [] });
  });
});

describe("partitionPredicate and the digest", () => {
  it("selects a range partition's rows by the timestamp column, as parameters", () => {
    const [p] = planPartitions([{ name: "t_m01", bound: bound(month(2026, 1), month(2026, 2)) }], epoch);
    const q = partitionPredicate(p, "created_at");
    expect(q).toEqual({ where: '("created_at" >= $1::timestamptz AND "created_at" < $2::timestamptz)', params: [month(2026, 1), month(2026, 2)] });
    expect(partitionDigestSql("public.t", "id", q.where)).toBe(
      `SELECT count(*)::bigint AS n, coalesce(sum(hashtext("id"::text)::bigint), 0)::text AS h FROM "public"."t" WHERE ${q.where}`,
    );
  });

  it("totals the absolute deltas of the differing partitions", () => {
    expect(totalDelta({ differing: [{ partition: "a", legacyRows: 10, partitionedRows: 4, delta: -6, keysDiffer: true }, { partition: "b", legacyRows: 1, partitionedRows: 3, delta: 2, keysDiffer: true }] })).toBe(8);
  });
});

describe("the window and index SQL", () => {
  it("counts rows at or after the window's start, with no upper bound", () => {
    expect(windowCountSql("revenue_transactions", "created_at")).toBe('SELECT count(*)::bigint AS n FROM "revenue_transactions" WHERE "created_at" >= $1::timestamptz');
  });

  it("writes the CREATE INDEX CONCURRENTLY an operator can paste, the name cut to 63 characters", () => {
    expect(createIndexStatement("public", "revenue_transactions", "created_at")).toBe('CREATE INDEX CONCURRENTLY IF NOT EXISTS "revenue_transactions_created_at_idx" ON "public"."revenue_transactions" ("created_at");');
    const long = "t".repeat(60);
    expect(createIndexStatement("s", long, "created_at")).toContain(`"${`${long}_created_at_idx`.slice(0, 63)}" ON "s"."${long}"`);
  });
});
