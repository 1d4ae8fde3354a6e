/**
 * Reading rows of tables the application owns (the partition pairs), as the monitoring
 * role. The owner decides part of what runs when someone reads its tables, and it runs as
 * the reader: a row-level-security policy's expressions, a view's functions (a table
 * replaced by a view, or by a `_RETURN` rule), and any function or operator in a schema the
 * owner may write to that matches an argument better than the built-in one. Tried as the
 * application (issue 20's tryout): a policy hid 1,000 missing rows from the gate
 * (`partition.row-delta` PASS, `npm run reconcile` "every partition matches") and its
 * function ran as the monitoring role, reading every role's query text.
 *
 * So before the first row is read, the session is pinned: names resolved once as the
 * session's search_path resolves them, then `search_path = pg_catalog, pg_temp` (nothing the
 * application wrote is found by name) and `row_security = off` (a policy that would apply is
 * an error, never a silent filter); and a table that is not a plain or partitioned table,
 * or has row-level security on while the reader does not bypass it, is refused with why.
 */
import type { Client } from "pg";

/** Each name as PostgreSQL resolved it (`schema.table`, unquoted parts), or why the tables cannot be read safely. */
export type AppTablesVerdict = { ok: true; resolved: Map<string, string> } | { ok: false; refused: string };

const KINDS: Record<string, string> = { v: "a view", m: "a materialized view", f: "a foreign table", S: "a sequence", c: "a composite type", i: "an index", I: "a partitioned index", t: "a TOAST table" };

/** Pins the session and resolves `names`; call before reading any of their rows. */
export async function pinForAppTables(c: Client, names: string[]): Promise<AppTablesVerdict> {
  const r = await c.query<{ name: string; schema: string | null; rel: string | null; relkind: string | null; rls: boolean | null; forced: boolean | null; bypass: boolean }>(
    `SELECT t.name, n.nspname AS schema, c.relname AS rel, c.relkind::text AS relkind, c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
            (SELECT r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) AS bypass
       FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS t(name, i)
       LEFT JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.name)
       LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      ORDER BY t.i`,
    [names],
  );
  await c.query("SET search_path = pg_catalog, pg_temp");
  await c.query("SET row_security = off");
  const problems: string[] = [];
  const resolved = new Map<string, string>();
  for (const t of r.rows) {
    if (t.relkind === null || t.schema === null || t.rel === null) {
      problems.push(`table ${t.name} does not exist`);
      continue;
    }
    if (t.relkind !== "r" && t.relkind !== "p") {
      problems.push(`${t.name} is ${KINDS[t.relkind] ?? `relkind ${t.relkind}`}, not a table: the suite does not read it (reading it runs code its owner wrote, as the monitoring role)`);
      continue;
    }
    if (t.rls && !t.bypass) {
      problems.push(`row-level security is on for ${t.name}${t.forced ? " (forced)" : ""}: its owner's policies would decide which rows the suite counts, and run as the monitoring role; the checks do not count through them (give the monitoring role BYPASSRLS to count every row, or turn it off)`);
      continue;
    }
    resolved.set(t.name, `${t.schema}.${t.rel}`);
  }
  return problems.length ? { ok: false, refused: problems.join("; ") } : { ok: true, resolved };
}

/** SQLSTATE lock_not_available: lock_timeout (the checks' sessions set 2 s) expired. */
export const LOCK_NOT_AVAILABLE = "55P03";

/**
 * Who holds a lock that conflicts with reading `tables` (resolved names): pid, role, state
 * and how long its transaction has been open, from pg_locks and pg_stat_activity (the
 * monitoring role sees both through pg_monitor). Run on the same session once its failed
 * transaction is rolled back, so a check that timed out on a lock says whose lock it was.
 */
export async function lockHolders(c: Client, tables: string[]): Promise<string> {
  const r = await c.query<{ pid: number; who: string | null; state: string | null; open_s: number | null; mode: string; rel: string }>(
    `SELECT l.pid, a.usename AS who, a.state, extract(epoch FROM now() - a.xact_start)::int AS open_s, l.mode, l.relation::regclass::text AS rel
       FROM pg_catalog.pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
      WHERE l.granted AND l.locktype = 'relation' AND l.relation = ANY($1::regclass[]) AND l.mode = 'AccessExclusiveLock'
      ORDER BY a.xact_start NULLS LAST LIMIT 5`,
    [tables],
  );
  if (r.rows.length === 0) return "the lock was released before it could be named";
  return r.rows.map((h) => `${h.rel} held in ${h.mode} by pid ${h.pid} (role ${h.who ?? "?"}, ${h.state ?? "state unknown"}${h.open_s === null ? "" : `, transaction open ${h.open_s} s`})`).join("; ");
}
