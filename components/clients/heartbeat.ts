/**
 * The heartbeat table the database checks write to: replica lag is measured right
 * after a write (an idle primary makes `now() - pg_last_xact_replay_timestamp()` grow
 * without any lag). The sandbox, and a deployment's migrations, create it from
 * heartbeatDdl(); the monitoring role owns it, so the checks need no other write grant.
 */
import { randomBytes } from "node:crypto";
import { escapeIdentifier, type Client } from "pg";

export const HEARTBEAT_SCHEMA = "datatier_smoke";
export const HEARTBEAT_TABLE = `${HEARTBEAT_SCHEMA}.heartbeat`;
/**
 * Emptied and written once per run: the write needs a fresh 8 KiB page on disk. The
 * heartbeat's upserts fit in pages and WAL segments that already exist, so on a full disk
 * they keep succeeding while the application's inserts fail (measured in the fault matrix).
 */
export const DISK_PROBE_TABLE = `${HEARTBEAT_SCHEMA}.disk_probe`;

/** Statements that create the schema and table, owned by `owner` (the monitoring role). */
export function heartbeatDdl(owner: string): string[] {
  const o = escapeIdentifier(owner);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${HEARTBEAT_SCHEMA} AUTHORIZATION ${o}`,
    `CREATE TABLE IF NOT EXISTS ${HEARTBEAT_TABLE} (id text PRIMARY KEY, token text NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp())`,
    `ALTER TABLE ${HEARTBEAT_TABLE} OWNER TO ${o}`,
    `CREATE TABLE IF NOT EXISTS ${DISK_PROBE_TABLE} (id int NOT NULL)`,
    `ALTER TABLE ${DISK_PROBE_TABLE} OWNER TO ${o}`,
  ];
}

/** One row per writer (`id`), so concurrent checks never contend and the table stays tiny. */
export async function writeHeartbeat(client: Client, id: string): Promise<string> {
  const token = randomBytes(8).toString("hex");
  await client.query(`INSERT INTO ${HEARTBEAT_TABLE} (id, token, written_at) VALUES ($1, $2, clock_timestamp()) ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token, written_at = EXCLUDED.written_at`, [id, token]);
  return token;
}

export async function readHeartbeat(client: Client, id: string): Promise<string | null> {
  const r = await client.query<{ token: string }>(`SELECT token FROM ${HEARTBEAT_TABLE} WHERE id = $1`, [id]);
  return r.rows[0]?.token ?? null;
}

/** The row as a server sees it: its token and when the primary wrote it (ms since the epoch). */
export async function readHeartbeatRow(client: Client, id: string): Promise<{ token: string; writtenAtMs: number } | null> {
  const r = await client.query<{ token: string; ms: string }>(`SELECT token, (extract(epoch from written_at) * 1000)::float8 AS ms FROM ${HEARTBEAT_TABLE} WHERE id = $1`, [id]);
  return r.rows[0] ? { token: r.rows[0].token, writtenAtMs: Number(r.rows[0].ms) } : null;
}

/**
 * Whether the server can still allocate a new page: TRUNCATE gives the probe table a new,
 * empty file, and one INSERT extends it by a page. "no-table" when the DDL above has not
 * been applied; the error text on a full disk (SQLSTATE 53100, disk_full).
 */
export async function probeNewPage(client: Client): Promise<"ok" | "no-table" | { diskFull: string }> {
  try {
    await client.query("BEGIN");
    await client.query(`TRUNCATE ${DISK_PROBE_TABLE}`);
    await client.query(`INSERT INTO ${DISK_PROBE_TABLE} (id) VALUES (1)`);
    await client.query("COMMIT");
    return "ok";
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    const code = (e as { code?: string }).code;
    if (code === "42P01") return "no-table";
    if (code === "53100") return { diskFull: (e as Error).message };
    throw e;
  }
}
