/**
 * Issue 20, item 3: drivers this project did not write, with the credentials the
 * contract gives an application, through both pools of a real sandbox PgBouncer under
 * transaction pooling. What works (node-postgres named statements, pgbench -M prepared,
 * psycopg2) is asserted to work; what transaction pooling still breaks (session SET,
 * SQL-level PREPARE, session advisory locks, temp tables outside a transaction, LISTEN)
 * is asserted to misbehave exactly as docs/application.md says, so the document cannot
 * drift from the behaviour.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closePg, openPg, withPg, type PgTarget } from "../../clients/postgres";
import { parseStackOutputs, type StackOutputs } from "../../contract/outputs";
import { loadStackSettings } from "../../settings/stackFile";
import { startSandbox, stopSandbox } from "../../../sandbox/lifecycle";
import { serverPassword, type SandboxState } from "../../../sandbox/state";
import { runSuite } from "../../../checks/suite";
import { majorMinor, PGBOUNCER_VERSION } from "../version";

const dir = mkdtempSync(join(tmpdir(), "pgbouncer-drivers-"));
let state: SandboxState;
let o: StackOutputs;

beforeAll(async () => {
  // Every part: the contract (outputs.json) is written only for a whole sandbox.
  const r = await startSandbox({ dir, settings: loadStackSettings("dev"), timeoutMs: 60_000 });
  state = r.state;
  o = parseStackOutputs(JSON.parse(readFileSync(r.outputsFile!, "utf8")), r.outputsFile!);
}, 90_000);

afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

type Pool = "read-write" | "read-only";
const POOLS: Pool[] = ["read-write", "read-only"];
const cred = (pool: Pool) => (pool === "read-write" ? o.applicationCredentials.readWrite : o.applicationCredentials.readOnly);
const appTarget = (pool: Pool): PgTarget => {
  const c = cred(pool);
  return { host: c.host, port: c.port, user: c.username, password: c.password, database: c.dbname };
};
const adminTarget = (): PgTarget => ({ ...o.pgbouncer.endpoint, user: o.pgbouncer.adminUser, password: state.secrets.pgbouncerAdmin, database: "pgbouncer" });
const admin = (sql: string) => withPg(adminTarget(), (c) => c.query(sql));

async function clients(pool: Pool, n: number): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: n }, async () => {
      const c = openPg(appTarget(pool), { connectTimeoutMs: 5000, queryTimeoutMs: 10_000, applicationName: "drivers-conformance" });
      await c.connect();
      return c;
    }),
  );
}

/** 8 node-postgres clients, each running the same named statement 40 times, concurrently. */
async function namedStatements(pool: Pool): Promise<{ errors: string[]; wrong: number }> {
  const cs = await clients(pool, 8);
  const errors: string[] = [];
  let wrong = 0;
  try {
    await Promise.all(
      cs.map(async (c, k) => {
        for (let i = 0; i < 40; i++) {
          try {
            const r = await c.query<{ n: number }>({ name: "conformance_q", text: "SELECT $1::int + $2::int AS n", values: [i, k] });
            if (r.rows[0].n !== i + k) wrong++;
          } catch (e) {
            errors.push((e as Error).message);
          }
        }
      }),
    );
  } finally {
    await Promise.all(cs.map((c) => closePg(c)));
  }
  return { errors, wrong };
}

describe("the pinned PgBouncer with prepared statements tracked", () => {
  it("runs the pinned version with max_prepared_statements from the settings", async () => {
    const v = await admin("SHOW VERSION");
    expect(majorMinor(String(Object.values(v.rows[0])[0]))).toBe(majorMinor(PGBOUNCER_VERSION));
    const cfg = (await admin("SHOW CONFIG")).rows as { key: string; value: string }[];
    expect(cfg.find((r) => r.key === "max_prepared_statements")?.value).toBe(String(loadStackSettings("dev").pgbouncer.maxPreparedStatements));
    expect(cfg.find((r) => r.key === "pool_mode")?.value).toBe("transaction");
  });
});

describe.each(POOLS)("drivers through the %s pool (transaction pooling)", (pool) => {
  it("node-postgres named prepared statements: every answer right, no 'does not exist' / 'already exists'", async () => {
    const r = await namedStatements(pool);
    expect(r.errors).toEqual([]);
    expect(r.wrong).toBe(0);
  });

  it("pgbench -M prepared exits 0 with no failed transaction", () => {
    const script = join(dir, "conformance.pgbench");
    writeFileSync(script, "\\set a random(1, 100000)\nSELECT :a::int + 1;\nSELECT count(*) FROM pg_class WHERE oid > :a;\n");
    const c = cred(pool);
    const r = spawnSync("/usr/lib/postgresql/15/bin/pgbench", ["-n", "-h", c.host, "-p", String(c.port), "-U", c.username, "-M", "prepared", "-c", "8", "-j", "2", "-t", "100", "-f", script, c.dbname], {
      encoding: "utf8",
      env: { ...process.env, PGPASSWORD: c.password },
      timeout: 60_000,
    });
    expect(r.stderr + r.stdout).not.toMatch(/does not exist|already exists/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/number of transactions actually processed: 800\/800/);
    expect(r.stdout).toMatch(/number of failed transactions: 0 /);
  });

  it("psycopg2 (libpq): transactions, parameters, a server-side cursor; writes refused on the read-only pool", () => {
    const c = cred(pool);
    const r = spawnSync("/usr/bin/python3", [join(__dirname, "psycopg2_probe.py"), pool === "read-write" ? "rw" : "ro"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.username, PGPASSWORD: c.password, PGDATABASE: c.dbname },
      timeout: 30_000,
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ user: c.username, n: 42, cursor_rows: 25 });
    if (pool === "read-write") expect(out).toMatchObject({ recovery: false, sum: 45 });
    // 25006: read_only_sql_transaction (a hot standby refuses the write).
    else expect(out).toMatchObject({ recovery: true, write: "25006" });
  });
});

describe("the test can fail: without prepared-statement tracking the issue's errors come back", () => {
  it("max_prepared_statements = 0 (PgBouncer's behaviour before 1.21) breaks named statements", async () => {
    // 8 clients on 2 server connections: a statement prepared on one is executed on the other.
    await admin("SET max_prepared_statements = 0");
    await admin("SET default_pool_size = 2");
    await admin(`RECONNECT ${o.pgbouncer.readWriteDatabase}`);
    try {
      const r = await namedStatements("read-write");
      expect(r.errors.length).toBeGreaterThan(0);
      expect(r.errors.every((m) => /prepared statement "conformance_q" (does not exist|already exists)/.test(m))).toBe(true);
    } finally {
      const s = loadStackSettings("dev").pgbouncer;
      await admin(`SET max_prepared_statements = ${s.maxPreparedStatements}`);
      await admin(`SET default_pool_size = ${s.defaultPoolSize}`);
    }
  });
});

/**
 * What transaction pooling still breaks. With one server connection per pool, client B
 * gets the very server connection client A just left, so each leak shows every time
 * (with a larger pool it shows at random, which is worse, not better).
 */
describe("what transaction pooling still breaks (docs/application.md, pooling rules)", () => {
  let a: Client;
  let b: Client;
  beforeAll(async () => {
    await admin("SET default_pool_size = 1");
    await admin("SET reserve_pool_size = 0");
    await admin(`RECONNECT ${o.pgbouncer.readWriteDatabase}`);
    [a, b] = await clients("read-write", 2);
  });
  afterAll(async () => {
    await Promise.all([a, b].filter(Boolean).map((c) => closePg(c)));
    const s = loadStackSettings("dev").pgbouncer;
    await admin(`SET default_pool_size = ${s.defaultPoolSize}`);
    await admin(`SET reserve_pool_size = ${s.reservePoolSize}`);
  });

  it("a session SET leaks to another client; SET LOCAL inside a transaction does not", async () => {
    await a.query("SET statement_timeout = '4321ms'");
    expect((await b.query("SHOW statement_timeout")).rows[0].statement_timeout).toBe("4321ms");
    await a.query("RESET statement_timeout");
    await a.query("BEGIN");
    await a.query("SET LOCAL statement_timeout = '1234ms'");
    expect((await a.query("SHOW statement_timeout")).rows[0].statement_timeout).toBe("1234ms");
    await a.query("COMMIT");
    expect((await b.query("SHOW statement_timeout")).rows[0].statement_timeout).not.toBe("1234ms");
  });

  it("SQL-level PREPARE is not tracked: another client can EXECUTE it, the preparing one may not find it", async () => {
    await a.query("PREPARE conformance_sql AS SELECT 7 AS v");
    expect((await b.query("EXECUTE conformance_sql")).rows[0].v).toBe(7);
    await b.query("DEALLOCATE conformance_sql");
    await expect(a.query("EXECUTE conformance_sql")).rejects.toThrow(/prepared statement "conformance_sql" does not exist/);
  });

  it("a session advisory lock stays on the server connection: another client 'acquires' it too", async () => {
    await a.query("SELECT pg_advisory_lock(4242)");
    expect((await b.query("SELECT pg_try_advisory_lock(4242) AS got")).rows[0].got).toBe(true);
    await b.query("SELECT pg_advisory_unlock_all()");
  });

  it("a temp table created outside a transaction is visible to another client", async () => {
    await a.query("CREATE TEMP TABLE conformance_tmp (x int)");
    await a.query("INSERT INTO conformance_tmp VALUES (1)");
    expect((await b.query("SELECT count(*)::int AS n FROM conformance_tmp")).rows[0].n).toBe(1);
    await b.query("DROP TABLE conformance_tmp");
  });

  it("LISTEN does not deliver: the notification goes to whatever client holds the connection", async () => {
    let got = 0;
    a.on("notification", () => got++);
    await a.query("LISTEN conformance_chan");
    await b.query("NOTIFY conformance_chan, 'x'");
    await new Promise((r) => setTimeout(r, 500));
    expect(got).toBe(0);
    await a.query("UNLISTEN *");
  });
});

/**
 * Issue 20, item 4: the smoke suite proves the refusals with the contract's credentials,
 * and fails when they stop holding (outputs altered the way a regression would).
 */
describe("the smoke checks prove the refusals", () => {
  const ids = "pgbouncer.pool-roles,postgres.app-direct-refused";
  const verdicts = async (outputs: StackOutputs) => {
    const r = await runSuite(outputs, { only: ids, deadlineMs: 20_000, timeoutMs: 8_000, hooks: [] });
    return Object.fromEntries(r.results.map((x) => [x.id, { status: x.status, message: x.message }]));
  };

  it("both PASS on the sandbox: each role refused on the other pool, both refused at every server directly", async () => {
    const v = await verdicts(o);
    expect(v["pgbouncer.pool-roles"].status).toBe("PASS");
    expect(v["pgbouncer.pool-roles"].message).toMatch(/app_readonly on "app".*app on "app_ro"/);
    expect(v["postgres.app-direct-refused"].status).toBe("PASS");
    expect(v["postgres.app-direct-refused"].message).toMatch(/app at primary refused.*app_readonly at primary refused.*postgres-replica-1 refused/);
    expect(JSON.stringify(v)).not.toContain(o.applicationCredentials.readWrite.password);
  });

  it("the bypass check FAILs when the application holds the role's Postgres password", async () => {
    const leaked = structuredClone(o);
    leaked.applicationCredentials.readWrite.password = serverPassword(state.secrets, "app");
    const v = await verdicts(leaked);
    expect(v["postgres.app-direct-refused"]).toMatchObject({ status: "FAIL" });
    expect(v["postgres.app-direct-refused"].message).toMatch(/app at primary/);
    expect(v["postgres.app-direct-refused"].message).not.toContain(serverPassword(state.secrets, "app"));
  });

  it("the pool check FAILs when a role is admitted to both pools (monitoring is, by design)", async () => {
    const wide = structuredClone(o);
    wide.applicationCredentials.readOnly.username = o.postgres.monitoringUser;
    wide.applicationCredentials.readOnly.password = o.credentials.postgresMonitoringPassword;
    const v = await verdicts(wide);
    expect(v["pgbouncer.pool-roles"]).toMatchObject({ status: "FAIL" });
    expect(v["pgbouncer.pool-roles"].message).toContain(`${o.postgres.monitoringUser} logged in to pool "${o.pgbouncer.readWriteDatabase}"`);
  });
});
