/**
 * The bench's "direct" peak connections on a real PostgreSQL 15 behind a real PgBouncer:
 * the server connections PgBouncer keeps idle for the role are not counted as direct
 * ones, the backends opened after the run began are.
 */
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackSettings } from "../../components/settings/stackFile";
import { readWriteDatabaseName } from "../../components/pgbouncer/render";
import { startLocalPgBouncer, until, type LocalPgBouncer } from "../../testing/pgbouncer";
import { countBackends } from "./backends";

const stack = loadStackSettings("dev");
const APP = { name: "bench_it", password: `it-${Math.random().toString(36).slice(2)}-pw` };
const clients: Client[] = [];
let local: LocalPgBouncer;

async function connect(port: number, database: string): Promise<Client> {
  const c = new Client({ host: "127.0.0.1", port, user: APP.name, password: APP.password, database, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  c.on("error", () => undefined);
  clients.push(c);
  await c.connect();
  return c;
}

beforeAll(async () => {
  local = await startLocalPgBouncer({
    settings: stack.pgbouncer,
    maxConnections: stack.postgres.maxConnections,
    database: stack.postgres.databaseName,
    appUser: APP,
    adminPassword: `adm-${Math.random().toString(36).slice(2)}`,
    statsPassword: `st-${Math.random().toString(36).slice(2)}`,
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
  await local?.stop();
}, 30_000);

describe("bench peak connections (countBackends)", () => {
  it("counts only backends opened after the run began, not PgBouncer's idle server connections", async () => {
    const db = stack.postgres.databaseName;
    const sampler = await local.superuser(db);
    try {
      // Three clients at once through PgBouncer: three server connections, left idle in its pool.
      const pooled = await Promise.all([1, 2, 3].map(() => connect(local.pgbouncerPort, readWriteDatabaseName(db))));
      await Promise.all(pooled.map((c) => c.query("BEGIN; SELECT pg_sleep(0.2); COMMIT")));
      await until("PgBouncer's server connections", async () => (await countBackends(sampler, APP.name, db, null)) >= 3, 5000);
      // Same clock as the server: loopback. A run begins.
      const startedAt = new Date();
      await new Promise((r) => setTimeout(r, 20));
      await Promise.all([1, 2].map(() => connect(local.primaryPort, db)));
      expect(await countBackends(sampler, APP.name, db, startedAt)).toBe(2);
      expect(await countBackends(sampler, APP.name, db, null)).toBeGreaterThanOrEqual(5);
    } finally {
      await sampler.end();
    }
  });
});
