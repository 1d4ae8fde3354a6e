/**
 * What the application can make others run or believe through the objects it owns, tried on
 * a real sandbox with only the credentials the contract gives an application (the tryout
 * of issue 20, second round):
 * - its trigger function ran as the superuser when `up` wrote the demo rows through
 *   `SET ROLE` (a `RESET ROLE` inside it was enough);
 * - a row-level-security policy hid missing rows from the gate (`partition.row-delta` and
 *   `npm run reconcile` said everything matched) and ran its function as the monitoring role;
 * - a view in place of a table would run its functions as the monitoring role;
 * - `ALTER ROLE app SET default_transaction_read_only = on` made new pooled sessions refuse
 *   writes while the suite stayed healthy.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { withPg, type PgTarget } from "../components/clients/postgres";
import { PRIMARY_NAME, refreshDemoRows, superuserTarget } from "../sandbox/postgres";
import { readState } from "../sandbox/state";
import { reconcile } from "./reconcile/run";
import { monitorTarget } from "./lib/postgres";
import { runSuite } from "./suite";
import { useDevSandbox } from "../testing/devSandbox";

const sandbox = useDevSandbox("app-owned-code-");
const { dir } = sandbox;
const o = () => sandbox.outputs();

/** The application, through its read-write pool, with the contract's credentials. */
const app = (): PgTarget => {
  const c = o().applicationCredentials.readWrite;
  return { host: c.host, port: c.port, user: c.username, password: c.password, database: c.dbname };
};
const asApp = (statements: string[]) =>
  withPg(app(), async (c) => {
    for (const sql of statements) await c.query(sql);
  });
const asSuperuser = <T>(fn: (c: import("pg").Client) => Promise<T>) => {
  const state = readState(dir)!;
  const p = state.processes.find((x) => x.name === PRIMARY_NAME)!;
  return withPg(superuserTarget(state, p, o().postgres.database), fn);
};
const checks = async (only: string) => Object.fromEntries((await runSuite(o(), { only, hooks: [] })).results.map((r) => [r.id, `${r.status}: ${r.message}`]));

/** A table anyone may write to, and a function that records who called it: what the application would plant. */
const SPY = [
  "CREATE TABLE public.spied (who text, at timestamptz DEFAULT now())",
  "GRANT INSERT ON public.spied TO PUBLIC",
  "CREATE FUNCTION public.spy() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN INSERT INTO public.spied (who) VALUES (current_user); RETURN true; END $$",
];
const spiedBy = () => asSuperuser(async (c) => (await c.query<{ who: string }>("SELECT DISTINCT who FROM public.spied ORDER BY 1")).rows.map((r) => r.who));

describe("code the application owns runs only as the application", () => {
  beforeAll(() => asApp(SPY));

  it("its trigger function, replaced to RESET ROLE, runs as the application when `up` writes the demo rows (it ran as the superuser)", async () => {
    const fn = "revenue_transactions_dual_write";
    const original = await asSuperuser(async (c) => (await c.query<{ def: string }>("SELECT pg_get_functiondef($1::regproc) AS def", [fn])).rows[0].def);
    await asApp([
      `CREATE OR REPLACE FUNCTION public.${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RESET ROLE; INSERT INTO public.spied (who) VALUES (current_user || ' as ' || session_user); RETURN NULL; END $$`,
    ]);
    try {
      await refreshDemoRows(readState(dir)!);
    } finally {
      await asApp([original]);
    }
    const who = await spiedBy();
    expect(who).toEqual(["app as app"]);
    await asApp(["DELETE FROM public.spied"]);
  });

  it("a row-level-security policy: the gate refuses to count through it (it hid 1,000 missing rows) and its function never runs as the monitoring role", async () => {
    await asApp([
      // Rows the partitioned twin never gets, then a policy that shows only the rows both have.
      "ALTER TABLE public.revenue_transactions DISABLE TRIGGER revenue_transactions_dual_write",
      "INSERT INTO public.revenue_transactions (organization_id, amount_cents) SELECT 1, g FROM generate_series(1, 500) g",
      "ALTER TABLE public.revenue_transactions ENABLE TRIGGER revenue_transactions_dual_write",
      "CREATE POLICY hide ON public.revenue_transactions FOR SELECT USING (public.spy() AND (current_user = 'app' OR EXISTS (SELECT 1 FROM public.revenue_transactions_partitioned p WHERE p.id = revenue_transactions.id)))",
      "ALTER TABLE public.revenue_transactions ENABLE ROW LEVEL SECURITY",
    ]);
    try {
      const r = await checks("partition.row-delta.revenue_transactions,partition.recent-writes.revenue_transactions_partitioned");
      for (const id of ["partition.row-delta.revenue_transactions", "partition.recent-writes.revenue_transactions_partitioned"]) {
        expect(r[id], id).toMatch(/^FAIL: row-level security is on for revenue_transactions: its owner's policies would decide which rows the suite counts/);
      }
      const state = readState(dir)!;
      const replica = o().postgres.replicas[0];
      const rec = await reconcile({
        outputs: o(),
        pairs: o().postgres.partitionPairs.filter((p) => p.legacy === "revenue_transactions"),
        read: { ...monitorTarget(o(), replica, `replica ${replica.id}`) },
        write: monitorTarget(o(), o().postgres.primary, "primary"),
        statementTimeoutMs: 30_000,
        pauseMs: 0,
        keyColumn: "id",
        statePath: join(state.dir, "reconcile-state.json"),
        fresh: true,
      });
      expect(rec.pairs[0].recorded).toBe(false);
      expect(rec.pairs[0].failed.map((f) => f.error).join(" ")).toMatch(/row-level security is on for revenue_transactions/);
      expect(rec.exitCode).not.toBe(0);
      // The policy's function ran for the application's own statements only.
      expect(await spiedBy()).not.toContain(o().postgres.monitoringUser);
    } finally {
      await asApp(["ALTER TABLE public.revenue_transactions DISABLE ROW LEVEL SECURITY", "DROP POLICY hide ON public.revenue_transactions"]);
    }
    // Without the policy the same checks count again, and see the rows the twin lacks.
    const after = await checks("partition.row-delta.revenue_transactions");
    // 500, and the row the first test's trigger did not mirror.
    expect(after["partition.row-delta.revenue_transactions"]).toMatch(/^FAIL: window .*: delta 50[01]: beyond the critical level > 100$/);
    await asApp(["ALTER TABLE public.revenue_transactions DISABLE TRIGGER revenue_transactions_dual_write", "DELETE FROM public.revenue_transactions WHERE organization_id = 1 AND description IS NULL", "ALTER TABLE public.revenue_transactions ENABLE TRIGGER revenue_transactions_dual_write"]);
    expect((await checks("partition.row-delta.revenue_transactions"))["partition.row-delta.revenue_transactions"]).toMatch(/^PASS/);
  });

  it("a view in place of a table is not read (its functions would run as the monitoring role)", async () => {
    await asApp([
      "ALTER TABLE public.expense_transactions RENAME TO expense_transactions_real",
      "CREATE VIEW public.expense_transactions AS SELECT * FROM public.expense_transactions_real WHERE public.spy()",
    ]);
    try {
      const r = await checks("partition.row-delta.expense_transactions,partition.recent-writes.expense_transactions_partitioned");
      expect(r["partition.row-delta.expense_transactions"]).toMatch(/^FAIL: expense_transactions is a view, not a table: the suite does not read it/);
      expect(r["partition.recent-writes.expense_transactions_partitioned"]).toMatch(/^FAIL: expense_transactions is a view/);
      expect(await spiedBy()).not.toContain(o().postgres.monitoringUser);
    } finally {
      await asApp(["DROP VIEW public.expense_transactions", "ALTER TABLE public.expense_transactions_real RENAME TO expense_transactions"]);
    }
    expect((await checks("partition.row-delta.expense_transactions"))["partition.row-delta.expense_transactions"]).toMatch(/^PASS/);
  });

  it("a transaction of the application holding ACCESS EXCLUSIVE on a legacy table: the reading checks FAIL at the lock timeout naming its pid, role and state", async () => {
    const { openPg } = await import("../components/clients/postgres");
    const t = app();
    const holder = openPg(t, { connectTimeoutMs: 5_000 });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("LOCK TABLE public.revenue_transactions IN ACCESS EXCLUSIVE MODE");
      const r = await checks("partition.row-delta.revenue_transactions,partition.recent-writes.revenue_transactions_partitioned");
      for (const id of ["partition.row-delta.revenue_transactions", "partition.recent-writes.revenue_transactions_partitioned"]) {
        expect(r[id], id).toMatch(/^FAIL: .*lock timeout.*: public\.revenue_transactions held in AccessExclusiveLock by pid \d+ \(role app, idle in transaction, transaction open \d+ s\)$/);
      }
    } finally {
      await holder.query("COMMIT").catch(() => undefined);
      await holder.end();
    }
  });

  it("what the application grants its read-only role: postgres.readonly-role-writes FAILs naming the table or function and its owner, PASSes once revoked", async () => {
    const id = "postgres.readonly-role-writes";
    // The spy table above is writable by PUBLIC on purpose, and PUBLIC includes app_readonly: the check sees that too.
    expect((await checks(id))[id]).toMatch(/^FAIL: app_readonly may write: INSERT on table spied \(owner app\)\./);
    await asApp(["REVOKE INSERT ON public.spied FROM PUBLIC"]);
    expect((await checks(id))[id]).toMatch(/^PASS: app_readonly: no INSERT\/UPDATE\/DELETE\/TRUNCATE on any table/);
    await asApp([
      "GRANT INSERT, DELETE ON public.expense_transactions TO app_readonly",
      "CREATE FUNCTION public.write_for_anyone(n bigint) RETURNS void LANGUAGE sql SECURITY DEFINER AS $$ DELETE FROM public.expense_transactions WHERE id = n $$",
    ]);
    try {
      const r = (await checks(id))[id];
      expect(r).toMatch(/^FAIL: app_readonly may write: /);
      expect(r).toContain("DELETE, INSERT on table expense_transactions (owner app)");
      expect(r).toContain("EXECUTE on SECURITY DEFINER function write_for_anyone(bigint) (owner app)");
    } finally {
      await asApp(["REVOKE INSERT, DELETE ON public.expense_transactions FROM app_readonly", "DROP FUNCTION public.write_for_anyone(bigint)"]);
    }
    expect((await checks(id))[id]).toMatch(/^PASS/);
    await asApp(["GRANT INSERT ON public.spied TO PUBLIC"]);
  });

  it("defaults the application gives its own role: postgres.app-role-settings FAILs naming each, and PASSes once they are put back", async () => {
    expect((await checks("postgres.app-role-settings"))["postgres.app-role-settings"]).toMatch(/^PASS: app, app_readonly: statement_timeout = 30000 ms, idle_in_transaction_session_timeout = 60000 ms, nothing else$/);
    await asApp(["ALTER ROLE CURRENT_USER SET default_transaction_read_only = on", "ALTER ROLE CURRENT_USER SET statement_timeout = 0"]);
    try {
      const r = (await checks("postgres.app-role-settings"))["postgres.app-role-settings"];
      expect(r).toMatch(/^FAIL: /);
      expect(r).toContain("app has statement_timeout = 0, not 30000 ms");
      expect(r).toContain("app has default_transaction_read_only = on");
    } finally {
      // Read-write explicitly: new server connections of the role now start read-only.
      await asApp(["BEGIN READ WRITE", "ALTER ROLE CURRENT_USER RESET default_transaction_read_only", "ALTER ROLE CURRENT_USER SET statement_timeout = 30000", "COMMIT"]);
    }
    expect((await checks("postgres.app-role-settings"))["postgres.app-role-settings"]).toMatch(/^PASS/);
  });
});
