import { describe, expect, it } from "vitest";
import { DEFAULT_ROLE_NAMES } from "../components/postgres/roles";
import { verifierMatches } from "../components/postgres/scram";
import { loadStackSettings } from "../components/settings/stackFile";
import { demoSchemaSql, freshDemoRowsSql, monthlyPartitions, rolesSql, SANDBOX_ROLES } from "./schema";

const settings = loadStackSettings("dev");
const now = new Date("2026-01-15T12:00:00Z");

describe("role names", () => {
  it("are the ones the Pulumi component creates", () => {
    expect(SANDBOX_ROLES).toEqual({ app: DEFAULT_ROLE_NAMES.app, readonly: DEFAULT_ROLE_NAMES.readonly, monitoring: DEFAULT_ROLE_NAMES.monitoring, replication: DEFAULT_ROLE_NAMES.replication });
  });
});

describe("rolesSql", () => {
  const pw = { replication: "pw-replication-1", app: "pw-app-2", readonly: "pw-readonly-3", monitoring: "pw-monitor'4", pgbouncerAdmin: "pw-admin-5", pgbouncerStats: "pw-stats-6" };
  const sql = rolesSql(settings, pw);
  const verifierIn = (stmt: string | undefined) => /PASSWORD '(SCRAM-SHA-256\$[^']+)'$/.exec(stmt ?? "")?.[1] ?? "";
  it("creates the replication, app, read-only, monitoring and PgBouncer console roles, then the database", () => {
    expect(sql[0]).toMatch(/^CREATE ROLE "replicator" LOGIN REPLICATION PASSWORD 'SCRAM-SHA-256\$4096:/);
    expect(sql.find((s) => s.includes('"datatier_monitor"'))).toMatch(/LOGIN IN ROLE pg_monitor, "app_readonly" PASSWORD 'SCRAM-SHA-256\$/);
    expect(sql.find((s) => s.includes(settings.pgbouncer.adminUser))).toMatch(/NOLOGIN/);
    // The superuser owns it (as on docker and RDS): an owner `app` could ALTER DATABASE for every role.
    expect(sql.at(-1)).toBe(`CREATE DATABASE "${settings.postgres.databaseName}"`);
    expect(sql.filter((s) => /^ALTER ROLE "(app|app_readonly)" SET (statement_timeout|idle_in_transaction_session_timeout) = \d+$/.test(s))).toHaveLength(4);
  });
  it("sends SCRAM verifiers, never a password (issue 9: pg_stat_statements held them)", () => {
    const text = sql.join("\n");
    for (const p of Object.values(pw)) expect(text).not.toContain(p);
    expect(verifierMatches(verifierIn(sql[0]), pw.replication)).toBe(true);
    expect(verifierMatches(verifierIn(sql.find((s) => s.includes('"datatier_monitor"'))), pw.monitoring)).toBe(true);
  });
});

describe("monthlyPartitions", () => {
  it("covers six months back to two ahead, contiguous, across a year boundary", () => {
    const parts = monthlyPartitions("t_p", now);
    expect(parts).toHaveLength(9);
    expect(parts[0]).toEqual({ name: "t_p_y2025m07", from: "2025-07-01", to: "2025-08-01" });
    expect(parts.at(-1)).toEqual({ name: "t_p_y2026m03", from: "2026-03-01", to: "2026-04-01" });
    for (let i = 1; i < parts.length; i++) expect(parts[i].from).toBe(parts[i - 1].to);
  });
});

describe("demoSchemaSql", () => {
  const sql = demoSchemaSql(settings, { now, rows: 300 });
  const text = sql.join(";\n");
  it("creates each pair: legacy table, partitioned twin with monthly and default partitions", () => {
    for (const p of settings.postgres.partitionPairs) {
      expect(text).toContain(`CREATE TABLE "${p.legacy}" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`);
      expect(text).toContain(`CREATE TABLE "${p.partitioned}" (id bigint NOT NULL`);
      expect(text).toContain(`PARTITION BY RANGE ("${p.timestampColumn}")`);
      expect(text).toContain(`CREATE TABLE "${p.partitioned}_y2026m01" PARTITION OF "${p.partitioned}" FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`);
      expect(text).toContain(`CREATE TABLE "${p.partitioned}_default" PARTITION OF "${p.partitioned}" DEFAULT`);
    }
    expect(settings.postgres.partitionPairs.map((p) => p.legacy)).toEqual(["revenue_transactions", "expense_transactions"]);
  });

  it("mirrors insert, update and delete from the legacy table with one trigger", () => {
    const fn = sql.find((s) => s.startsWith('CREATE FUNCTION "revenue_transactions_dual_write"'))!;
    expect(fn).toMatch(/TG_OP = 'INSERT'[\s\S]*INSERT INTO "revenue_transactions_partitioned"/);
    expect(fn).toMatch(/TG_OP = 'UPDATE'[\s\S]*UPDATE "revenue_transactions_partitioned" SET/);
    expect(fn).toMatch(/DELETE FROM "revenue_transactions_partitioned" WHERE id = OLD.id/);
    expect(text).toContain('CREATE TRIGGER "revenue_transactions_dual_write" AFTER INSERT OR UPDATE OR DELETE ON "revenue_transactions" FOR EACH ROW');
  });

  it("seeds rows into the legacy table only (the trigger fills the twin), newest first", () => {
    const seeds = sql.filter((s) => s.startsWith("INSERT INTO"));
    expect(seeds).toHaveLength(2);
    expect(seeds[0]).toMatch(/^INSERT INTO "revenue_transactions" .*generate_series\(0, 299\)/);
    // 300 rows over ~150 days: one every 43200 s, the first at now().
    expect(seeds[0]).toContain("now() - make_interval(secs => i * 43200)");
  });

  it("grants the read-only role (and so the monitoring role) SELECT on tables and sequences, as roles.ts does", () => {
    expect(sql.slice(-5)).toEqual([
      'GRANT USAGE ON SCHEMA public TO "app_readonly"',
      'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "app_readonly"',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO "app_readonly"',
      'GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO "app_readonly"',
      'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON SEQUENCES TO "app_readonly"',
    ]);
  });

  it("refuses a table name whose partitions would pass PostgreSQL's 63-character limit", () => {
    const long = "t".repeat(60);
    const s = { ...settings, postgres: { ...settings.postgres, partitionPairs: [{ legacy: "x", partitioned: long, timestampColumn: "created_at" }] } };
    expect(() => demoSchemaSql(s, { now })).toThrow(/partition name: "t{60}_y2025m07" is longer than PostgreSQL's 63 characters/);
  });
});

describe("freshDemoRowsSql (up on a reused sandbox)", () => {
  it("writes one row per partition pair into the legacy table, stamped now(), so the dual-write trigger mirrors it", () => {
    const s = loadStackSettings("dev");
    const sql = freshDemoRowsSql(s);
    expect(sql).toHaveLength(s.postgres.partitionPairs.length);
    s.postgres.partitionPairs.forEach((pair, i) => {
      expect(sql[i]).toMatch(new RegExp(`^INSERT INTO "?${pair.legacy}"? \\(.*"?${pair.timestampColumn}"?\\) VALUES \\(.*now\\(\\)\\)$`));
      expect(sql[i]).not.toContain(pair.partitioned);
    });
  });
});
