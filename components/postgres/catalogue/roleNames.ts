/**
 * Role names PostgreSQL or RDS refuse, from their own definitions rather than examples:
 * - every reserved SQL key word of PostgreSQL 15 (keywords.json, `pg_get_keywords()`
 *   with catcode 'R', read from the engine; `CREATE ROLE user` is a syntax error);
 * - names the engine reserves (src/backend/commands/user.c: "pg_" prefixes;
 *   src/backend/utils/adt/acl.c: "public" and "none");
 * - names RDS reserves for its own roles ("rds" prefixes: rdsadmin, rds_superuser, ...)
 *   and refuses as MasterUsername ("admin": "cannot be used as it is a reserved word
 *   used by the engine").
 */
import keywords from "./keywords.json";

export const RESERVED_KEYWORDS: ReadonlySet<string> = new Set((keywords as { reservedKeywords: string[] }).reservedKeywords);

/** Names RDS refuses as the master user name besides the engine's own list. */
export const RDS_RESERVED_MASTER_NAMES = ["admin"] as const;

/** Why a role name is refused, or undefined. `master`: the RDS master user (RDS's own reservations apply). */
export function roleNameProblem(name: string, opts: { master: boolean; platform: "aws" | "docker" }): string | undefined {
  const n = name.toLowerCase();
  if (RESERVED_KEYWORDS.has(n)) return `"${name}" is a reserved SQL key word in PostgreSQL 15 (pg_get_keywords); it cannot name a role`;
  if (n.startsWith("pg_")) return `"${name}" is reserved: PostgreSQL reserves role names starting with pg_`;
  if (n === "public" || n === "none") return `"${name}" is reserved by PostgreSQL as a role name`;
  if (opts.platform === "aws" && n.startsWith("rds")) return `"${name}" is reserved: RDS reserves role names starting with rds`;
  if (opts.master && opts.platform === "aws" && (RDS_RESERVED_MASTER_NAMES as readonly string[]).includes(n)) return `"${name}" is refused by RDS as a master user name (a reserved word used by the engine)`;
  return undefined;
}
