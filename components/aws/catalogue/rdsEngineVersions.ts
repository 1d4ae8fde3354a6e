/**
 * RDS PostgreSQL engine versions as RDS names them (rds.json, engines.postgres15.engineVersions,
 * dated, with its sources). CreateDBInstance refuses a version RDS never offered ("15.99")
 * and one it no longer creates; "15" alone takes RDS's default minor.
 */
import rds from "./rds.json";
import type { CatalogueProblem } from "./problem";

export interface RdsEngineVersions {
  source: string;
  date: string;
  /** Every version of the major the sources name, creatable or not. */
  versions: string[];
  /** Versions RDS no longer creates, with the date and source of that. */
  notCreatable: Record<string, string>;
  /** The minor RDS picks for "15" alone, when a source states it. */
  default: string | null;
}

const ENGINES = (rds as unknown as { engines: Record<string, { engineVersions?: RdsEngineVersions }> }).engines;

/** The catalogue's versions for a PostgreSQL major ("15" or "15.8" -> postgres15), or undefined when it has none. */
export function rdsEngineVersions(engineVersion: string): RdsEngineVersions | undefined {
  const family = `postgres${engineVersion.split(".")[0]}`;
  return Object.hasOwn(ENGINES, family) ? ENGINES[family].engineVersions : undefined;
}

/** Versions a new instance (or replica) can be created with. */
export function creatableVersions(c: RdsEngineVersions): string[] {
  return c.versions.filter((v) => !Object.hasOwn(c.notCreatable, v));
}

/** What RDS would refuse for postgres.engineVersion, per the catalogue. */
export function rdsEngineVersionProblems(engineVersion: string): CatalogueProblem[] {
  const c = rdsEngineVersions(engineVersion);
  if (!c) return [];
  const creatable = creatableVersions(c);
  const major = engineVersion.split(".")[0];
  const stamp = `(catalogue of ${c.date})`;
  const takes = `RDS creates ${creatable.join(", ")}`;
  // A major alone is RDS's default minor: any creatable one will do.
  if (engineVersion === major) {
    return creatable.length > 0 ? [] : [{ path: ["postgres", "engineVersion"], message: `is ${major}; RDS creates no PostgreSQL ${major} minor ${stamp}` }];
  }
  if (!c.versions.includes(engineVersion)) {
    return [{ path: ["postgres", "engineVersion"], message: `is not an RDS PostgreSQL ${major} version ${stamp}; ${takes} (or "${major}" for RDS's default minor)` }];
  }
  if (Object.hasOwn(c.notCreatable, engineVersion)) {
    // An instance left on it is upgraded by RDS after the end of standard support, so the setting would no longer match.
    return [{ path: ["postgres", "engineVersion"], message: `is a version RDS no longer creates: ${c.notCreatable[engineVersion]} ${stamp}; ${takes}` }];
  }
  return [];
}
