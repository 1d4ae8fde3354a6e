/**
 * Issue 20: what the application roles may do in PostgreSQL, judged through both pools of
 * a real sandbox with the credentials the contract gives an application (never the
 * operator's). Privileges are walked by class from PostgreSQL's own catalogue: every
 * privilege type an object kind has (`aclexplode(acldefault(kind, …))`), every predefined
 * `pg_*` role, every role attribute; then the reproductions run for real.
 */
import { describe, expect, it } from "vitest";
import { withPg, type PgTarget } from "../clients/postgres";
import { useDevSandbox } from "../../testing/devSandbox";
import { APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS, APP_ROLE_STATEMENT_TIMEOUT_MS } from "./appRoleDefaults";

const sandbox = useDevSandbox("pg-app-privileges-");

type Pool = "readWrite" | "readOnly";
const target = (pool: Pool): PgTarget => {
  const c = sandbox.outputs().applicationCredentials[pool];
  return { host: c.host, port: c.port, user: c.username, password: c.password, database: c.dbname };
};
const rows = <T>(pool: Pool, sql: string) => withPg(target(pool), async (c) => (await c.query(sql)).rows as T[]);
const errorOf = (pool: Pool, sql: string) => withPg(target(pool), (c) => c.query(sql)).then(() => "succeeded", (e: Error) => e.message);

/** Every privilege type of an object kind (d database, n schema, r table, s sequence), from the server. */
const privilegesOf = (kind: string) => `SELECT DISTINCT privilege_type AS p FROM aclexplode(acldefault('${kind}', 10)) ORDER BY 1`;

/** What each application role holds, per object kind: the rest of the kind's privileges must be refused. */
const EXPECTED: Record<Pool, { database: string[]; schema: string[]; table: string[]; sequence: string[] }> = {
  // TEMPORARY: temp tables inside a transaction (ON COMMIT DROP) are a pooling-safe pattern.
  readWrite: { database: ["CONNECT", "TEMPORARY"], schema: ["CREATE", "USAGE"], table: ["DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"], sequence: ["SELECT", "UPDATE", "USAGE"] },
  // TEMPORARY comes from PUBLIC (PostgreSQL's default); on a replica nothing can be created anyway.
  readOnly: { database: ["CONNECT", "TEMPORARY"], schema: ["USAGE"], table: ["SELECT"], sequence: ["SELECT"] },
};

describe.each(["readWrite", "readOnly"] as Pool[])("the %s role through its pool", (pool) => {
  it("holds exactly its privileges on the database, schema public, and every table and sequence there (each privilege type the server knows)", async () => {
    const held: Record<string, string[]> = {};
    const kinds = { database: ["d", "has_database_privilege(current_database(), $p)"], schema: ["n", "has_schema_privilege('public', $p)"] } as const;
    for (const [name, [kind, test]] of Object.entries(kinds)) {
      const all = (await rows<{ p: string }>(pool, privilegesOf(kind))).map((r) => r.p);
      expect(all.length, name).toBeGreaterThan(1);
      held[name] = (await rows<{ p: string }>(pool, `SELECT p FROM (${privilegesOf(kind)}) k WHERE ${test.replace("$p", "k.p")}`)).map((r) => r.p);
    }
    for (const [name, kind, fn, relkinds] of [["table", "r", "has_table_privilege", "'r','p','v','m'"], ["sequence", "s", "has_sequence_privilege", "'S'"]] as const) {
      // Per privilege type: held on every object of the kind in public (and there are some).
      const r = await rows<{ p: string; held: number; total: number }>(
        pool,
        `SELECT k.p, count(*) FILTER (WHERE ${fn}(c.oid, k.p))::int AS held, count(*)::int AS total
           FROM (${privilegesOf(kind)}) k CROSS JOIN pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind IN (${relkinds}) GROUP BY k.p ORDER BY 1`,
      );
      expect(r.length, name).toBeGreaterThan(1);
      expect(r.filter((x) => x.held !== 0 && x.held !== x.total), `${name}: held on some objects only`).toEqual([]);
      held[name] = r.filter((x) => x.held > 0).map((x) => x.p);
    }
    expect(held).toEqual(EXPECTED[pool]);
  });

  it("has no role attribute, no predefined pg_* role, no other role, and does not own the database", async () => {
    const [attrs] = await rows<Record<string, boolean>>(pool, "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls FROM pg_roles WHERE rolname = current_user");
    expect(attrs).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false, rolbypassrls: false });
    const member = await rows<{ rolname: string }>(pool, "SELECT rolname FROM pg_roles WHERE rolname <> current_user AND pg_has_role(current_user, oid, 'USAGE') ORDER BY 1");
    expect(member.map((r) => r.rolname)).toEqual([]);
    const [db] = await rows<{ owner: string }>(pool, "SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()");
    expect(db.owner).not.toMatch(/^app/);
  });

  it(`runs under a statement_timeout of ${APP_ROLE_STATEMENT_TIMEOUT_MS} ms and an idle-in-transaction bound of ${APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS} ms by default (a runaway query or an abandoned transaction ends), raised per transaction with SET LOCAL`, async () => {
    const [t] = await rows<{ ms: string; idle: string }>(pool, "SELECT current_setting('statement_timeout') AS ms, (SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout') AS idle");
    expect(t).toEqual({ ms: `${APP_ROLE_STATEMENT_TIMEOUT_MS / 1000}s`, idle: String(APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS) });
    const raised = await withPg(target(pool), async (c) => {
      await c.query("BEGIN");
      await c.query("SET LOCAL statement_timeout = 0");
      const r = await c.query("SELECT current_setting('statement_timeout') AS s");
      await c.query("COMMIT");
      return r.rows[0].s as string;
    });
    expect(raised).toBe("0");
  });

  it("is refused what the issue's tryout reached: the database's settings, schemas, server files and programs, other roles", async () => {
    const refused: Record<string, RegExp> = {
      // As the database's owner `app` could do both, for every role (the sandbox made it owner).
      "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I CONNECTION LIMIT 0', current_database()); END $$": /must be owner|read-only/,
      "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET statement_timeout = 1', current_database()); END $$": /must be owner|read-only/,
      "CREATE SCHEMA app_private": /permission denied|read-only/,
      "CREATE EXTENSION dblink": /permission denied|superuser|read-only|not available/,
      "COPY (SELECT 1) TO PROGRAM 'true'": /pg_execute_server_program|superuser/,
      "SELECT pg_read_file('/etc/hostname')": /permission denied/,
      "SELECT lo_import('/etc/hostname')": /permission denied|read-only/,
      "SET ROLE datatier_monitor": /permission denied/,
      "SET session_replication_role = replica": /permission denied/,
      "ALTER ROLE CURRENT_USER CONNECTION LIMIT 1": /permission denied|read-only/,
    };
    const wrong: string[] = [];
    for (const [sql, expected] of Object.entries(refused)) {
      const e = await errorOf(pool, sql);
      if (!expected.test(e)) wrong.push(`${sql}: ${e}`);
    }
    expect(wrong).toEqual([]);
    // Other roles' query texts stay hidden.
    const others = await rows<{ q: string }>(pool, "SELECT DISTINCT query AS q FROM pg_stat_activity WHERE usename IS NOT NULL AND usename <> current_user");
    expect(others.filter((r) => r.q !== "<insufficient privilege>")).toEqual([]);
  });
});
