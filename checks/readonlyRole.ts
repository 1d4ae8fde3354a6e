/**
 * The application's read-only role holds no way to write. `app` owns the application's
 * tables (migrations run as it), so it may GRANT on them, and a SECURITY DEFINER function
 * it creates runs as `app` for anyone who may execute it (PUBLIC, by PostgreSQL's default).
 * Tried as the application: `GRANT INSERT ON <table> TO app_readonly` answered GRANT. The
 * read-only pool falls back to the primary when no replica is healthy, and there such a
 * write succeeds. The server cannot refuse the grant; the suite says when one exists.
 */
import type { StackOutputs } from "../components/contract/outputs";
import { monitorTarget, withPg } from "./lib/postgres";
import type { Check } from "./types";

/** Table privileges that write; a sequence's USAGE and UPDATE (nextval, setval). */
export const WRITE_PRIVILEGES = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"] as const;

/**
 * Every way `$1` may write outside the catalogs and temporary schemas: write privileges on
 * relations, nextval/setval on sequences, EXECUTE on a SECURITY DEFINER function another
 * role owns. Catalog reads only: O(relations + functions).
 */
export const READONLY_WRITES_SQL = `
SELECT 'table ' || c.oid::regclass::text AS object, p.priv AS privilege, pg_catalog.pg_get_userbyid(c.relowner) AS owner
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN pg_catalog.unnest($2::text[]) AS p(priv)
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'
   AND pg_catalog.has_table_privilege($1, c.oid, p.priv)
UNION ALL
SELECT 'sequence ' || c.oid::regclass::text, p.priv, pg_catalog.pg_get_userbyid(c.relowner)
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 CROSS JOIN pg_catalog.unnest(ARRAY['USAGE', 'UPDATE']) AS p(priv)
 WHERE c.relkind = 'S' AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)' AND n.nspname <> 'information_schema'
   AND pg_catalog.has_sequence_privilege($1, c.oid, p.priv)
UNION ALL
SELECT 'SECURITY DEFINER function ' || f.oid::regprocedure::text, 'EXECUTE', pg_catalog.pg_get_userbyid(f.proowner)
  FROM pg_catalog.pg_proc f
  JOIN pg_catalog.pg_namespace n ON n.oid = f.pronamespace
 WHERE f.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND pg_catalog.pg_get_userbyid(f.proowner) <> $1
   AND pg_catalog.has_function_privilege($1, f.oid, 'EXECUTE')
 ORDER BY 1, 2`;

/** The FAIL message for what was found (pure); undefined when nothing was. */
export function readonlyWritesMessage(role: string, rows: { object: string; privilege: string; owner: string }[]): string | undefined {
  if (rows.length === 0) return undefined;
  const byObject = new Map<string, { privileges: string[]; owner: string }>();
  for (const r of rows) {
    const e = byObject.get(r.object) ?? { privileges: [], owner: r.owner };
    e.privileges.push(r.privilege);
    byObject.set(r.object, e);
  }
  const shown = [...byObject].slice(0, 10).map(([o, e]) => `${e.privileges.join(", ")} on ${o} (owner ${e.owner})`);
  const more = byObject.size > 10 ? `, and ${byObject.size - 10} more` : "";
  return `${role} may write: ${shown.join("; ")}${more}. The read-only pool falls back to the primary when no replica is healthy, where these succeed; REVOKE them (an owner may GRANT on what it owns; a SECURITY DEFINER function runs as its owner)`;
}

export function readonlyRoleCheck(outputs: StackOutputs): Check {
  const role = outputs.applicationCredentials.readOnly.username;
  return {
    id: "postgres.readonly-role-writes",
    group: "database",
    title: `The application's read-only role (${role}) holds no way to write`,
    async run(ctx) {
      return withPg(ctx, monitorTarget(outputs, outputs.postgres.primary, "Postgres primary"), async (c) => {
        const r = await c.query<{ object: string; privilege: string; owner: string }>(READONLY_WRITES_SQL, [role, [...WRITE_PRIVILEGES]]);
        const message = readonlyWritesMessage(role, r.rows);
        if (message) return { status: "FAIL", message };
        return { status: "PASS", message: `${role}: no ${WRITE_PRIVILEGES.join("/")} on any table, no nextval/setval, no SECURITY DEFINER function of another role` };
      });
    },
  };
}
