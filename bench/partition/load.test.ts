import { describe, expect, it } from "vitest";
import { testTempDir } from "../../testing/tempDir";
import { bulkLoadSql, diskNeedBytes, partitionsForSpan, topUpSql } from "./load";
import { assertDiskRoom, DiskSpaceError } from "./run";

const pair = { legacy: "revenue_transactions", partitioned: "revenue_transactions_partitioned", timestampColumn: "created_at" };

describe("bench partition: loading", () => {
  it("loads history with the trigger off, copies it to the twin by id, rebuilds the timestamp indexes, then VACUUM ANALYZE", () => {
    const sql = bulkLoadSql(pair, { from: 1000, to: 3000, anchor: new Date("2026-12-01T00:00:00Z"), ratePerSecond: 2 });
    const at = (re: RegExp) => sql.findIndex((s) => re.test(s));
    expect(at(/DISABLE TRIGGER USER/)).toBeLessThan(at(/generate_series\(1000, 2999\)/));
    expect(sql.find((s) => /generate_series/.test(s))).toContain("'2026-12-01T00:00:00.000Z'::timestamptz - make_interval(secs => i / 2::float8)");
    expect(at(/INSERT INTO "revenue_transactions_partitioned"/)).toBeLessThan(at(/ENABLE TRIGGER USER/));
    expect(at(/DROP INDEX IF EXISTS "revenue_transactions_created_at_idx"/)).toBeLessThan(at(/INSERT INTO "revenue_transactions" /));
    expect(at(/CREATE INDEX IF NOT EXISTS "revenue_transactions_partitioned_created_at_idx"/)).toBeGreaterThan(at(/ENABLE TRIGGER USER/));
    expect(sql.slice(-2)).toEqual(['VACUUM ANALYZE "revenue_transactions"', 'VACUUM ANALYZE "revenue_transactions_partitioned"']);
  });

  it("creates monthly partitions back far enough for the history (30M rows at 2/s is ~174 days)", () => {
    const sql = partitionsForSpan(pair, new Date("2026-12-15T00:00:00Z"), 30_000_000 / 2);
    expect(sql[0]).toContain("revenue_transactions_partitioned_y2026m04");
    expect(sql.at(-1)).toContain("revenue_transactions_partitioned_y2027m02");
  });

  it("tops up the window through the trigger (an INSERT into the legacy table only), bounded to a day", () => {
    const sql = topUpSql(pair, { ratePerSecond: 2, maxSeconds: 86_400 });
    expect(sql).toMatch(/^INSERT INTO "revenue_transactions" \(/);
    expect(sql).not.toContain("revenue_transactions_partitioned");
    expect(sql).toContain("least(86400,");
  });

  it("states its disk need and refuses a size the disk cannot hold", () => {
    const dir = testTempDir("bench-disk-");
    expect(diskNeedBytes(30_000_000)).toBeGreaterThan(30_000_000 * 300);
    expect(assertDiskRoom(dir, 1_000).need).toBe(diskNeedBytes(1_000));
    expect(() => assertDiskRoom(dir, 2_000_000_000_000)).toThrow(DiskSpaceError);
    expect(() => assertDiskRoom(dir, 2_000_000_000_000)).toThrow(/2000000000000 rows need about \d+\.\d GB on the disk of .*, only \d+\.\d GB free; choose smaller --rows/);
  });
});
