/**
 * The application roles' own defaults (components/postgres/appRoleDefaults.ts) as the
 * stack set them, and nothing else. PostgreSQL lets any role change its own defaults
 * (`ALTER ROLE CURRENT_USER SET …`), and every server connection PgBouncer opens for that
 * role afterwards starts with them. Tried as the application: `ALTER ROLE app SET
 * default_transaction_read_only = on` made 3 of 4 new pooled sessions refuse INSERT while
 * the suite stayed HEALTHY; `statement_timeout = 0` lifts the bound the stack promises.
 * The server cannot refuse it (PostgreSQL 15 has no privilege for it); the suite says so.
 */
import type { StackOutputs } from "../components/contract/outputs";
import { APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS, APP_ROLE_STATEMENT_TIMEOUT_MS } from "../components/postgres/appRoleDefaults";
import { monitorTarget, withPg } from "./lib/postgres";
import type { Check } from "./types";

/** What each application role carries, for every database (the role-wide entry); values in ms. */
export const EXPECTED_APP_ROLE_SETTINGS: Record<string, number> = {
  statement_timeout: APP_ROLE_STATEMENT_TIMEOUT_MS,
  idle_in_transaction_session_timeout: APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS,
};

/** One row of pg_db_role_setting for a role: `database` null for the role-wide entry. */
export interface RoleSettingRow {
  role: string;
  database: string | null;
  config: string[];
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A time setting as PostgreSQL stores it ("30000", "30s", "1min") in ms; NaN when it is not one. */
export function settingMs(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(value);
  return m ? Number(m[1]) * UNIT_MS[m[2] ?? "ms"] : Number.NaN;
}

/** Every way the roles' stored settings differ from the expected ones, in words (pure); [] when they match. */
export function roleSettingDrift(roles: string[], rows: RoleSettingRow[], expected: Record<string, number> = EXPECTED_APP_ROLE_SETTINGS): string[] {
  const out: string[] = [];
  for (const role of roles) {
    const own = rows.filter((r) => r.role === role);
    for (const r of own.filter((x) => x.database !== null)) out.push(`${role} has settings for database ${r.database}: ${r.config.join(", ")}`);
    const wide = new Map(own.filter((x) => x.database === null).flatMap((r) => r.config.map((c): [string, string] => [c.split("=")[0], c.slice(c.indexOf("=") + 1)])));
    for (const [name, ms] of Object.entries(expected)) {
      const v = wide.get(name);
      if (v === undefined) out.push(`${role} lacks ${name} = ${ms} ms`);
      else if (settingMs(v) !== ms) out.push(`${role} has ${name} = ${v}, not ${ms} ms`);
    }
    for (const [name, v] of wide) if (!(name in expected)) out.push(`${role} has ${name} = ${v}`);
  }
  return out;
}

export function appRoleSettingsCheck(outputs: StackOutputs): Check {
  const roles = [...new Set([outputs.applicationCredentials.readWrite.username, outputs.applicationCredentials.readOnly.username])];
  return {
    id: "postgres.app-role-settings",
    group: "database",
    title: "The application roles carry the stack's defaults and nothing else (pg_db_role_setting)",
    async run(ctx) {
      return withPg(ctx, monitorTarget(outputs, outputs.postgres.primary, "Postgres primary"), async (c) => {
        const r = await c.query<RoleSettingRow>(
          `SELECT r.rolname AS role, d.datname AS database, s.setconfig AS config
             FROM pg_catalog.pg_db_role_setting s
             JOIN pg_catalog.pg_roles r ON r.oid = s.setrole
             LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase AND s.setdatabase <> 0
            WHERE r.rolname = ANY($1::text[])
            ORDER BY 1, 2 NULLS FIRST`,
          [roles],
        );
        const drift = roleSettingDrift(roles, r.rows);
        const expected = Object.entries(EXPECTED_APP_ROLE_SETTINGS).map(([n, ms]) => `${n} = ${ms} ms`).join(", ");
        if (drift.length) {
          return { status: "FAIL", message: `${drift.join("; ")}: every new server connection of the role starts with these (a role may change its own defaults: ALTER ROLE ... SET); put back with ALTER ROLE ... RESET / SET as the stack's owner, then RECONNECT the pools (PgBouncer's console) so no old server connection keeps them` };
        }
        return { status: "PASS", message: `${roles.join(", ")}: ${expected}, nothing else` };
      });
    },
  };
}
