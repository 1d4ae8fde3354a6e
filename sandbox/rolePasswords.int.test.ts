/**
 * Issue 9, item 2, on a real PostgreSQL 15: with pg_stat_statements loaded (the rendered
 * config preloads it) and every statement logged (log_statement = all), no generated
 * password appears after the sandbox's role setup: not in pg_stat_statements, not in
 * any server or process log, not in any file under the primary's and replica's data
 * directories. Then the roles still log in (the client-computed verifiers are right).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackSettings } from "../components/settings/stackFile";
import { startSandbox, stopSandbox } from "./lifecycle";
import { withPg } from "../components/clients/postgres";
import { pgRoot, PRIMARY_NAME, superuserTarget } from "./postgres";
import { SANDBOX_ROLES } from "./schema";
import { serverPassword, type SandboxState } from "./state";

const dir = mkdtempSync(join(tmpdir(), "role-passwords-"));
let state: SandboxState;

beforeAll(async () => {
  const base = loadStackSettings("dev");
  const settings = { ...base, postgres: { ...base.postgres, parameters: { ...base.postgres.parameters, log_statement: "all" } } };
  state = (await startSandbox({ dir, settings, parts: ["postgres", "pgbouncer"], timeoutMs: 60_000 })).state;
}, 90_000);

afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Every regular file below `root`, recursively. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

const primary = () => state.processes.find((p) => p.name === PRIMARY_NAME)!;

describe("role passwords never reach PostgreSQL in clear text", () => {
  it("the server really logs every statement and tracks statements (the test is not vacuous)", async () => {
    await withPg(superuserTarget(state, primary()), async (c) => {
      expect((await c.query("show log_statement")).rows[0].log_statement).toBe("all");
      expect((await c.query("show shared_preload_libraries")).rows[0].shared_preload_libraries).toContain("pg_stat_statements");
      await c.query("create extension if not exists pg_stat_statements");
      const n = (await c.query("select count(*)::int as n from pg_stat_statements where query ilike '%create role%'")).rows[0].n;
      expect(n).toBeGreaterThan(0);
    });
  });

  it("pg_stat_statements holds the CREATE ROLE statements with verifiers only", async () => {
    const texts = await withPg(superuserTarget(state, primary()), async (c) => (await c.query<{ query: string }>("select query from pg_stat_statements")).rows.map((r) => r.query));
    const all = texts.join("\n");
    for (const [key, secret] of Object.entries(state.secrets)) expect(all.includes(secret), `${key} in pg_stat_statements`).toBe(false);
    expect(texts.filter((q) => /create role/i.test(q)).every((q) => /SCRAM-SHA-256\$4096:/.test(q) || !/password/i.test(q))).toBe(true);
  });

  it("no secret in any log or in any file under the data directories (WAL, query-text file, auto.conf...)", async () => {
    // A checkpoint writes everything out, and pg_stat_statements' query texts are in pg_stat_tmp.
    await withPg(superuserTarget(state, primary()), (c) => c.query("checkpoint"));
    const roots = [state.postgres!.primaryDataDir, ...state.postgres!.replicas.map((r) => r.dataDir), join(dir, "logs"), ...readdirSync(pgRoot(dir)).filter((d) => d.endsWith("-log")).map((d) => join(pgRoot(dir), d))];
    const files = roots.flatMap(filesUnder);
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => f.endsWith("pgss_query_texts.stat"))).toBe(true);
    let logBytes = 0;
    for (const f of files) {
      const bytes = readFileSync(f);
      if (/-log\//.test(f)) logBytes += statSync(f).size;
      for (const [key, secret] of Object.entries(state.secrets)) expect(bytes.includes(secret), `${key} in ${f}`).toBe(false);
    }
    // With log_statement = all the log holds the session's statements: it is really written.
    expect(logBytes).toBeGreaterThan(0);
  });

  it("the roles log in with their passwords (verifiers computed client-side are the server's)", async () => {
    const at = primary();
    const who = await withPg({ host: at.host, port: at.port, user: SANDBOX_ROLES.monitoring, password: state.secrets.monitoring, database: state.postgres!.database }, async (c) => (await c.query("select current_user as u")).rows[0].u);
    expect(who).toBe(SANDBOX_ROLES.monitoring);
    // The role's Postgres password is the pool's server login (issue 20), not the application's.
    const app = await withPg({ host: at.host, port: at.port, user: SANDBOX_ROLES.app, password: serverPassword(state.secrets, "app"), database: state.postgres!.database }, async (c) => (await c.query("select current_user as u")).rows[0].u);
    expect(app).toBe(SANDBOX_ROLES.app);
    expect(serverPassword(state.secrets, "app")).not.toBe(state.secrets.app);
    await expect(withPg({ host: at.host, port: at.port, user: SANDBOX_ROLES.app, password: state.secrets.app, database: state.postgres!.database }, (c) => c.query("select 1"))).rejects.toThrow(/password authentication failed/);
    await expect(withPg({ host: at.host, port: at.port, user: SANDBOX_ROLES.app, password: "wrong-password", database: state.postgres!.database }, (c) => c.query("select 1"))).rejects.toThrow(/password authentication failed/);
    // The superuser's verifier came through initdb's password file.
    const rolpassword = await withPg(superuserTarget(state, at), async (c) => (await c.query("select rolpassword from pg_authid where rolname = 'postgres'")).rows[0].rolpassword);
    expect(rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
  });
});
