/**
 * The pinned PgBouncer version, read from components/pgbouncer/version.env (the one
 * place it is written; the install script sources the same file), and where the build
 * of it lives on this machine. The sandbox runs that binary, the dev-stack image copies
 * it, and the AWS base image must carry the same major.minor (checked by
 * pgbouncerPinProblems: a settings rule and version.test.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const VERSION_ENV = join(__dirname, "version.env");

/** KEY=value lines of a shell env file (comments and blanks skipped). Pure. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(\S*)\s*$/.exec(line.trim());
    if (m) out[m[1]] = m[2];
  }
  return out;
}

const pinned = parseEnvFile(readFileSync(VERSION_ENV, "utf8"));

/** e.g. "1.24.1". */
export const PGBOUNCER_VERSION: string = pinned.PGBOUNCER_VERSION;
/** Where scripts/install-system-packages.sh installs the build. */
export const PGBOUNCER_PREFIX = `/opt/pgbouncer-${PGBOUNCER_VERSION}`;
export const PGBOUNCER_BIN = `${PGBOUNCER_PREFIX}/bin/pgbouncer`;

/** "1.24" from "1.24.1", "v1.24.1-p1", "PgBouncer 1.24.1"; null when there is none. */
export function majorMinor(text: string): string | null {
  const m = /(?:^|[^0-9.])v?(\d+)\.(\d+)(?:\.\d+)?/.exec(text);
  return m ? `${m[1]}.${m[2]}` : null;
}

/**
 * Why an image reference does not run the pinned major.minor (empty when it does): the
 * tag must name the version (a digest alone says nothing checkable).
 */
export function pgbouncerPinProblems(imageRef: string, version = PGBOUNCER_VERSION): string[] {
  const want = majorMinor(version);
  const tag = imageRef.includes("@") ? "" : (/:([^/:]+)$/.exec(imageRef)?.[1] ?? "");
  const got = tag ? majorMinor(tag) : null;
  if (got === null) return [`"${imageRef}" names no PgBouncer version in its tag; expected a tag with ${want}.x (components/pgbouncer/version.env pins ${version})`];
  if (got !== want) return [`"${imageRef}" runs PgBouncer ${got}; expected ${want}.x, the version the sandbox and the dev stack run (components/pgbouncer/version.env pins ${version})`];
  return [];
}

/** Why the pinned build cannot run here (null when it is installed): a clear error before a start. */
export function pgbouncerBinaryProblem(exists: (p: string) => boolean = existsSync): string | null {
  return exists(PGBOUNCER_BIN) ? null : `PgBouncer ${PGBOUNCER_VERSION} is not installed at ${PGBOUNCER_BIN}: run bash scripts/install-system-packages.sh (it builds it from Debian's source archive)`;
}
