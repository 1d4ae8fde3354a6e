/**
 * The program's @pulumi/postgresql resources (roles, grants, default privileges), as
 * the provider would apply them: pure SQL from the recorded inputs, run by the runner
 * against the provider's own connection settings once the primary is healthy.
 */
import { escapeIdentifier as id, escapeLiteral as lit } from "pg";
import type { ProgramRun, RecordedResource } from "../tools/evaluate/program";

export const PG_PROVIDER = "pulumi:providers:postgresql";
const ROLE = "postgresql:index/role:Role";
const GRANT = "postgresql:index/grant:Grant";
const DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges";

export interface PgStatement {
  /** Database to run it in; undefined = the provider's database. */
  database?: string;
  sql: string;
  /** For messages: the resource it realizes (never the SQL, which may hold a password). */
  resource: string;
}

export interface PgProviderTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export function pgProviderTarget(run: ProgramRun): PgProviderTarget | null {
  const p = run.resources.find((r) => r.type === PG_PROVIDER);
  if (!p) return null;
  const i = p.inputs;
  return { host: String(i.host), port: Number(i.port), user: String(i.username), password: String(i.password), database: String(i.database ?? "postgres") };
}

const privs = (p: string[]) => p.map((x) => x.toUpperCase().replace(/[^A-Z ]/g, "")).join(", ");
const plural: Record<string, string> = { table: "TABLES", sequence: "SEQUENCES", function: "FUNCTIONS", type: "TYPES", schema: "SCHEMAS" };

/**
 * The Role inputs the runner applies. Any other is an error, never dropped: the role
 * defaults (statementTimeout, idleInTransactionSessionTimeout) were, until the suite's
 * postgres.app-role-settings found the dev stack's application roles without them.
 */
const ROLE_INPUTS = new Set(["name", "login", "password", "connectionLimit", "roles", "statementTimeout", "idleInTransactionSessionTimeout"]);
/** Role inputs the provider turns into per-role settings (ALTER ROLE ... SET; 0 resets, as the provider does). */
const ROLE_SETTINGS: Record<string, string> = { statementTimeout: "statement_timeout", idleInTransactionSessionTimeout: "idle_in_transaction_session_timeout" };

/** One resource -> idempotent statements (a re-run of `up` finds the role and alters it). */
export function statementsFor(r: RecordedResource): PgStatement[] {
  const i = r.inputs;
  const at = (sql: string, database?: string): PgStatement => ({ sql, database, resource: r.name });
  if (r.type === ROLE) {
    const unknown = Object.keys(i).filter((k) => !ROLE_INPUTS.has(k) && !k.startsWith("__"));
    if (unknown.length) throw new Error(`postgresql Role "${r.name}": input(s) ${unknown.join(", ")} not applied by the dev-stack runner (devstack/postgresql.ts)`);
    const opts = [i.login ? "LOGIN" : "NOLOGIN", i.connectionLimit !== undefined ? `CONNECTION LIMIT ${Number(i.connectionLimit)}` : "", i.password !== undefined ? `PASSWORD ${lit(String(i.password))}` : ""].filter(Boolean).join(" ");
    const name = id(String(i.name));
    const settings = Object.entries(ROLE_SETTINGS)
      .filter(([input]) => i[input] !== undefined)
      .map(([input, setting]) => {
        const ms = Number(i[input]);
        if (!Number.isInteger(ms) || ms < 0) throw new Error(`postgresql Role "${r.name}": ${input} must be a whole number of ms, got ${String(i[input])}`);
        return at(ms === 0 ? `ALTER ROLE ${name} RESET ${setting}` : `ALTER ROLE ${name} SET ${setting} = ${ms}`);
      });
    return [
      at(`DO $do$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${lit(String(i.name))}) THEN CREATE ROLE ${name}; END IF; END $do$`),
      at(`ALTER ROLE ${name} ${opts}`),
      ...settings,
      ...((i.roles ?? []) as string[]).map((m) => at(`GRANT ${id(m)} TO ${name}`)),
    ];
  }
  if (r.type === GRANT) {
    const role = id(String(i.role));
    const db = String(i.database);
    switch (i.objectType) {
      case "database":
        return [at(`GRANT ${privs(i.privileges)} ON DATABASE ${id(db)} TO ${role}`, db)];
      case "schema":
        return [at(`GRANT ${privs(i.privileges)} ON SCHEMA ${id(String(i.schema))} TO ${role}`, db)];
      case "table":
      case "sequence": {
        const objects = (i.objects ?? []) as string[];
        const target = objects.length ? objects.map((o) => `${id(String(i.schema))}.${id(o)}`).join(", ") : `ALL ${plural[i.objectType]} IN SCHEMA ${id(String(i.schema))}`;
        return [at(`GRANT ${privs(i.privileges)} ON ${objects.length ? (i.objectType === "table" ? "TABLE " : "SEQUENCE ") : ""}${target} TO ${role}`, db)];
      }
      default:
        throw new Error(`postgresql Grant "${r.name}": objectType "${i.objectType}" is not supported by the dev-stack runner`);
    }
  }
  if (r.type === DEFAULT_PRIVILEGES) {
    const kind = plural[String(i.objectType)];
    if (!kind) throw new Error(`postgresql DefaultPrivileges "${r.name}": objectType "${i.objectType}" is not supported by the dev-stack runner`);
    return [at(`ALTER DEFAULT PRIVILEGES FOR ROLE ${id(String(i.owner))} IN SCHEMA ${id(String(i.schema))} GRANT ${privs(i.privileges)} ON ${kind} TO ${id(String(i.role))}`, String(i.database))];
  }
  throw new Error(`${r.type} "${r.name}": not supported by the dev-stack runner`);
}

/** Every postgresql resource of the run, in registration order (dependencies come first there). */
export function postgresStatements(run: ProgramRun): PgStatement[] {
  return run.resources.filter((r) => r.custom && r.type.startsWith("postgresql:")).flatMap(statementsFor);
}
