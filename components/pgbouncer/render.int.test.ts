/**
 * The rendered pgbouncer.ini and userlist, run for real: a PostgreSQL 15 primary and
 * the pinned PgBouncer build (components/pgbouncer/version.env) on free loopback ports in a fresh temp dir.
 * SHOW CONFIG must say what the settings say; both pools must answer; a wrong
 * password must be refused.
 */
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import type { PgBouncerSettings } from "../settings/schema";
import { startLocalPgBouncer, type LocalPgBouncer } from "../../testing/pgbouncer";
import { readOnlyDatabaseName, readWriteDatabaseName } from "./render";

const stack = loadStackSettings("dev");
// Distinct values, so SHOW CONFIG cannot match a PgBouncer default by chance.
const settings: PgBouncerSettings = {
  ...stack.pgbouncer,
  maxClientConn: 777,
  defaultPoolSize: 23,
  reservePoolSize: 2,
  serverIdleTimeoutSeconds: 321,
  queryWaitTimeoutSeconds: 45,
  clientIdleTimeoutSeconds: 654,
  serverCheckDelaySeconds: 17,
};
const APP = { name: "app_it", password: `it-${Math.random().toString(36).slice(2)}-pw` };
// A double quote exercises the userlist's quoting rule for real.
const ADMIN_PASSWORD = `adm"${Math.random().toString(36).slice(2)}`;
const STATS_PASSWORD = `st-${Math.random().toString(36).slice(2)}`;
const clients: Client[] = [];
let local: LocalPgBouncer;

function connect(user: string, password: string, database: string): Promise<Client> {
  const c = new Client({ host: "127.0.0.1", port: local.pgbouncerPort, user, password, database, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  c.on("error", () => undefined);
  clients.push(c);
  return c.connect().then(() => c);
}

beforeAll(async () => {
  local = await startLocalPgBouncer({
    settings,
    maxConnections: stack.postgres.maxConnections,
    database: stack.postgres.databaseName,
    appUser: APP,
    adminPassword: ADMIN_PASSWORD,
    statsPassword: STATS_PASSWORD,
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
  await local?.stop();
}, 30_000);

describe("PgBouncer from the rendered ini", () => {
  it("reports the configured pool mode, limits and timeouts in SHOW CONFIG", async () => {
    const admin = await connect(settings.adminUser, ADMIN_PASSWORD, "pgbouncer");
    const rows = (await admin.query<{ key: string; value: string }>("SHOW CONFIG")).rows;
    const config = Object.fromEntries(rows.map((r) => [r.key, r.value]));
    expect(config).toMatchObject({
      pool_mode: settings.poolMode,
      max_client_conn: String(settings.maxClientConn),
      default_pool_size: String(settings.defaultPoolSize),
      reserve_pool_size: String(settings.reservePoolSize),
      server_idle_timeout: String(settings.serverIdleTimeoutSeconds),
      query_wait_timeout: String(settings.queryWaitTimeoutSeconds),
      client_idle_timeout: String(settings.clientIdleTimeoutSeconds),
      server_check_delay: String(settings.serverCheckDelaySeconds),
      auth_type: "scram-sha-256",
      ignore_startup_parameters: "extra_float_digits",
      admin_users: settings.adminUser,
      stats_users: settings.statsUser,
    });
  });

  it("answers through the read-write pool and the read-only pool (primary fallback with no replicas)", async () => {
    const database = stack.postgres.databaseName;
    const rw = await connect(APP.name, APP.password, readWriteDatabaseName(database));
    await rw.query("create table if not exists it_probe (n int)");
    await rw.query("insert into it_probe values (42)");
    const ro = await connect(APP.name, APP.password, readOnlyDatabaseName(database));
    const { rows } = await ro.query<{ n: number; db: string }>("select n, current_database() as db from it_probe");
    expect(rows).toEqual([{ n: 42, db: database }]);
    const stats = await connect(settings.statsUser, STATS_PASSWORD, "pgbouncer");
    const pools = (await stats.query<{ database: string; user: string }>("SHOW POOLS")).rows.map((p) => `${p.database}/${p.user}`);
    expect(pools).toEqual(expect.arrayContaining([`${database}/${APP.name}`, `${readOnlyDatabaseName(database)}/${APP.name}`]));
  });

  it("refuses a wrong password for an application role and for the admin console", async () => {
    await expect(connect(APP.name, `${APP.password}-wrong`, stack.postgres.databaseName)).rejects.toThrow(/authentication failed/);
    await expect(connect(settings.adminUser, "not-the-password", "pgbouncer")).rejects.toThrow(/authentication failed/);
  });

  it("lets the stats user read but not administer", async () => {
    const stats = await connect(settings.statsUser, STATS_PASSWORD, "pgbouncer");
    expect((await stats.query("SHOW STATS")).rows.length).toBeGreaterThan(0);
    await expect(stats.query("RELOAD")).rejects.toThrow(/admin/i);
  });
});
