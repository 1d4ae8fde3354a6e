/**
 * Database names RDS or PostgreSQL refuse, from their own definitions:
 * - RDS CreateDBInstance `DBName` (PostgreSQL): "Can't be a word reserved by the
 *   specified database engine": PostgreSQL 15's reserved key words (keywords.json, read
 *   from `pg_get_keywords()`). Only on aws: on docker the image's entrypoint creates the
 *   database with a quoted identifier (`CREATE DATABASE :"db"`), which the engine takes.
 * - `template0` / `template1` exist in every cluster; `rdsadmin` is RDS's own database.
 */
import { RESERVED_KEYWORDS } from "./roleNames";

/** Why a database name is refused on the platform, or undefined. */
export function databaseNameProblem(name: string, platform: "aws" | "docker"): string | undefined {
  if (["template0", "template1", "rdsadmin"].includes(name)) return `"${name}" is reserved by PostgreSQL or RDS`;
  if (platform === "aws" && RESERVED_KEYWORDS.has(name.toLowerCase())) {
    return `"${name}" is a reserved SQL key word in PostgreSQL 15 (pg_get_keywords); RDS refuses a DBName the engine reserves`;
  }
  return undefined;
}
