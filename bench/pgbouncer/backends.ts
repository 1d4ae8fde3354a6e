/**
 * How the bench counts a role's Postgres backends ("peak connections"). A direct run
 * counts only backends started after it began: PgBouncer's idle server connections for
 * the same role and database, opened earlier and kept for server_idle_timeout, are not
 * pgbench's (they used to be counted as "direct" connections).
 */
import type { Client } from "pg";

export const BACKENDS_SQL =
  "SELECT count(*) AS n FROM pg_stat_activity WHERE usename = $1 AND datname = $2 AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND ($3::timestamptz IS NULL OR backend_start >= $3::timestamptz)";

/** Client backends of `user` on `database`, other than `db`'s own; only those started at or after `since` when given. */
export async function countBackends(db: Client, user: string, database: string, since: Date | null): Promise<number> {
  return Number((await db.query<{ n: string }>(BACKENDS_SQL, [user, database, since?.toISOString() ?? null])).rows[0].n);
}
