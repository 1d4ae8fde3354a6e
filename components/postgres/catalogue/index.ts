/**
 * What `postgres.parameters` may hold: an allow list built from the catalogue of a real
 * PostgreSQL 15 (pg15.json, generated from `pg_settings` by generate.ts and checked
 * against a live server by catalogue.int.test.ts), narrowed to the categories that are
 * safe to set, minus named exceptions; plus the few RDS-only parameters RDS documents.
 *
 * A name not on the list is refused (typos such as `max_conections`, and config-file
 * directives such as `include_if_exists`, which are not parameters at all). Parameters the
 * project derives from validated settings are refused with the setting to use instead.
 * Values are checked for the parameter's type and range, and normalised to the spelling
 * RDS takes: booleans as 1/0, sizes and durations as plain numbers in the parameter's
 * own unit (RDS refuses "64MB" for work_mem; Postgres reads both).
 */
import catalogue from "./pg15.json";

export interface PgParameter {
  type: "bool" | "integer" | "real" | "enum" | "string";
  /** pg_settings.context: "postmaster" parameters are read at server start only. */
  context: string;
  category: string;
  /** pg_settings.unit, e.g. "kB", "8kB", "ms", "s", "min". */
  unit?: string;
  min?: number;
  max?: number;
  values?: string[];
}

export const PG_CATALOGUE = catalogue as unknown as { serverVersion: string; parameters: Record<string, PgParameter> };

/**
 * RDS-only parameters (not in pg_settings), from the RDS for PostgreSQL parameter
 * documentation; accepted on the aws platform only.
 */
export const RDS_ONLY_PARAMETERS: Record<string, PgParameter> = {
  "rds.logical_replication": { type: "bool", context: "postmaster", category: "RDS" },
  "rds.log_retention_period": { type: "integer", context: "sighup", category: "RDS", unit: "min", min: 1440, max: 10080 },
};

/** Categories whose parameters tune behaviour without touching files, code loading, auth or replication plumbing. */
const ALLOWED_CATEGORIES = [
  "Autovacuum",
  "Client Connection Defaults / Locale and Formatting",
  "Client Connection Defaults / Statement Behavior",
  "Client Connection Defaults / Other Defaults",
  "Connections and Authentication / Connection Settings",
  "Customized Options",
  "Error Handling",
  "Lock Management",
  "Query Tuning /",
  "Replication / Primary Server",
  "Replication / Sending Servers",
  "Replication / Standby Servers",
  "Replication / Subscribers",
  "Reporting and Logging /",
  "Resource Usage /",
  "Statistics /",
  "Version and Platform Compatibility /",
  "Write-Ahead Log / Checkpoints",
  "Write-Ahead Log / Recovery",
  "Write-Ahead Log / Settings",
  "Write-Ahead Log / Archiving",
  "RDS",
];

/** Parameters the project sets from a validated setting: overriding them verbatim would bypass its rules. */
export const DERIVED_PARAMETERS: Record<string, string> = {
  max_connections: "set postgres.maxConnections instead (the pool rule and the connections alarm read it)",
  superuser_reserved_connections: "set postgres.reservedConnections instead",
  log_min_duration_statement: "set postgres.logMinDurationStatementMs instead",
  port: "set postgres.port instead",
  password_encryption: "is fixed to scram-sha-256, the only method pg_hba.conf and PgBouncer admit; it cannot be overridden",
  shared_preload_libraries: "is fixed to pg_stat_statements (the smoke suite and Performance Insights read it); loading other server code is refused",
  "rds.force_ssl": "is derived: RDS always forces TLS; set pgbouncer.tls.server for PgBouncer's side",
  max_wal_senders: "is derived from postgres.replicas (one sender per replica plus room for a rebuild); set postgres.replicas instead",
  max_replication_slots: "is derived from postgres.replicas; set postgres.replicas instead",
};

/** Named exceptions inside the allowed categories, each with why. */
const REFUSED_PARAMETERS: Record<string, string> = {
  listen_addresses: "is set by the realization (where the server listens)",
  unix_socket_directories: "is set by the realization",
  unix_socket_group: "is set by the realization",
  unix_socket_permissions: "is set by the realization",
  bonjour: "is set by the realization",
  bonjour_name: "is set by the realization",
  dynamic_library_path: "would let the server load code from another folder",
  wal_level: "is set by the realization (streaming replicas need replica)",
  fsync: "turns off crash safety; refused",
  full_page_writes: "turns off crash safety; refused",
  hot_standby: "is set by the realization (replicas serve reads)",
  primary_conninfo: "is replication plumbing the realization owns (it would carry a password)",
  primary_slot_name: "is replication plumbing the realization owns",
  promote_trigger_file: "names a file on the server; refused",
  archive_mode: "is set by the realization (RDS manages archiving)",
  archive_command: "runs a shell command as the server's OS user; refused",
  archive_library: "loads server code; refused",
  logging_collector: "is set by the realization",
  log_destination: "is set by the realization (RDS exports the server log)",
  log_directory: "is set by the realization",
  log_filename: "is set by the realization",
  log_file_mode: "is set by the realization (logs stay 0600)",
  log_rotation_age: "is set by the realization",
  log_truncate_on_rotation: "is set by the realization",
  log_line_prefix: "is set by the realization (the smoke suite and log parsing read it)",
  event_source: "is Windows-only",
  session_replication_role: "replica would silently disable the dual-write triggers the partition sync relies on",
};

/** Values refused for an allowed parameter (value as rendered), each with why. */
const REFUSED_VALUES: Record<string, Record<string, string>> = {
  // The program's own statements (roles, grants, the partition triggers) are writes: PostgreSQL refuses them in a read-only transaction.
  default_transaction_read_only: { "1": "on makes every transaction read-only: PostgreSQL then refuses the program's own CREATE ROLE, GRANT and trigger statements (\"cannot execute ... in a read-only transaction\") and every application write; set it per role or session instead" },
  // postgres.streaming tells a live replica from a frozen one by its write-position reports.
  wal_receiver_status_interval: { "0": "0 turns off the replicas' progress reports: the primary could no longer tell a live replica from a frozen one (the smoke suite's postgres.streaming would FAIL every replica); use 1 or more seconds" },
};

/** Why a catalogue entry is not on the allow list, or undefined when it is. */
function refusal(name: string, p: PgParameter): string | undefined {
  if (DERIVED_PARAMETERS[name]) return DERIVED_PARAMETERS[name];
  if (REFUSED_PARAMETERS[name]) return REFUSED_PARAMETERS[name];
  if (p.context === "internal") return "is read-only (fixed when PostgreSQL was built or initialised)";
  if (!ALLOWED_CATEGORIES.some((c) => p.category === c || (c.endsWith("/") && p.category.startsWith(c)))) {
    return `is in the category "${p.category}" (files, server code, authentication, TLS or recovery plumbing), which stack files cannot set`;
  }
  return undefined;
}

/** The allow list: names a stack may set on a platform, for docs and tests. */
export function allowedParameterNames(platform: "aws" | "docker"): string[] {
  const names = [...BY_LOWER_NAME]
    .filter(([n, p]) => refusal(n, p) === undefined)
    .map(([n]) => n);
  if (platform === "aws") names.push(...Object.keys(RDS_ONLY_PARAMETERS));
  return names.sort();
}

/**
 * The catalogue by lower-case name. pg_settings spells three names in mixed case
 * (DateStyle, IntervalStyle, TimeZone) and PostgreSQL matches names case-insensitively:
 * a lookup by the lower-cased name must find them (issue 21: they could never be set).
 */
const BY_LOWER_NAME: ReadonlyMap<string, PgParameter> = new Map(Object.entries(PG_CATALOGUE.parameters).map(([n, p]) => [n.toLowerCase(), p]));

/** The catalogue entry for a name (any case), RDS-only ones included on aws. */
export function pgParameter(name: string, platform: "aws" | "docker"): PgParameter | undefined {
  const p = BY_LOWER_NAME.get(name.toLowerCase());
  if (p) return p;
  return platform === "aws" ? RDS_ONLY_PARAMETERS[name] : undefined;
}

/** Whether RDS must apply the parameter at the next reboot (Postgres reads it at start only). */
export function needsRestart(name: string): boolean {
  const p = pgParameter(name.toLowerCase(), "aws");
  return p?.context === "postmaster";
}

const MEMORY_UNITS: Record<string, number> = { B: 1, kB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };
const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Size of one of the parameter's units in bytes or milliseconds, and which kind. */
function baseUnit(unit: string | undefined): { kind: "memory" | "time"; size: number } | undefined {
  if (!unit) return undefined;
  const m = /^(\d*)(B|kB|MB|GB|TB|us|ms|s|min|h|d)$/.exec(unit);
  if (!m) return undefined;
  const factor = m[1] ? Number(m[1]) : 1;
  if (m[2] in MEMORY_UNITS) return { kind: "memory", size: factor * MEMORY_UNITS[m[2]] };
  return { kind: "time", size: factor * TIME_UNITS[m[2]] };
}

export type ValueCheck = { ok: true; value: string } | { ok: false; problem: string };

/** An RDS formula such as {DBInstanceClassMemory*3/4}: RDS evaluates it, so no range can be checked here. */
const RDS_FORMULA = /^\{[A-Za-z0-9*/+\-() ]{1,200}\}$/;

/**
 * PostgreSQL's own boolean grammar (parse_bool_with_len, src/backend/utils/adt/bool.c), in
 * any case: any prefix of true, false, yes, no; "on"; "of" or "off" (one "o" is
 * ambiguous); "1" and "0". Undefined when PostgreSQL would refuse the value.
 */
export function pgBool(value: string): boolean | undefined {
  const v = value.toLowerCase();
  if (v === "") return undefined;
  const prefixOf = (word: string) => word.startsWith(v);
  if (prefixOf("true") || prefixOf("yes") || v === "on" || v === "1") return true;
  if (prefixOf("false") || prefixOf("no") || v === "of" || v === "off" || v === "0") return false;
  return undefined;
}

/** Checks a value against the parameter's type and range; returns the spelling to render. */
export function checkParameterValue(p: PgParameter, raw: string, platform: "aws" | "docker"): ValueCheck {
  const value = raw.trim();
  const range = () => `${p.min ?? "-inf"} to ${p.max ?? "inf"}${p.unit ? ` (${p.unit})` : ""}`;
  switch (p.type) {
    case "bool": {
      const b = pgBool(value);
      if (b !== undefined) return { ok: true, value: b ? "1" : "0" };
      return { ok: false, problem: "expected a boolean (on/off, true/false, yes/no, 1/0, or a prefix PostgreSQL takes such as t/f)" };
    }
    case "enum": {
      const hit = p.values?.find((v) => v.toLowerCase() === value.toLowerCase());
      return hit !== undefined ? { ok: true, value: hit } : { ok: false, problem: `expected one of ${p.values?.join(", ")}` };
    }
    case "integer":
    case "real": {
      if (platform === "aws" && p.type === "integer" && RDS_FORMULA.test(value)) return { ok: true, value };
      const m = /^(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*([a-zA-Z]+)?$/.exec(value);
      if (!m) return { ok: false, problem: `expected a${p.type === "integer" ? "n integer" : " number"}${p.unit ? ` in ${p.unit} or with a unit` : ""}, from ${range()}` };
      let n = Number(m[1]);
      if (m[2] !== undefined) {
        const base = baseUnit(p.unit);
        const given = MEMORY_UNITS[m[2]] !== undefined ? { kind: "memory", size: MEMORY_UNITS[m[2]] } : TIME_UNITS[m[2]] !== undefined ? { kind: "time", size: TIME_UNITS[m[2]] } : undefined;
        if (!base || !given || given.kind !== base.kind) {
          return { ok: false, problem: `unit "${m[2]}" does not fit this parameter${p.unit ? ` (its unit is ${p.unit})` : " (it takes no unit)"}` };
        }
        n = (n * given.size) / base.size;
      }
      if (p.type === "integer") {
        if (!Number.isInteger(n) && m[2] === undefined) return { ok: false, problem: `expected an integer from ${range()}` };
        n = Math.round(n);
      }
      if (!Number.isFinite(n) || (p.min !== undefined && n < p.min) || (p.max !== undefined && n > p.max)) {
        return { ok: false, problem: `is out of range; expected ${range()}` };
      }
      return { ok: true, value: String(n) };
    }
    case "string":
      if (value.length > 1024) return { ok: false, problem: "is longer than 1024 characters" };
      return { ok: true, value };
  }
}

export type ParameterCheck = { ok: true; name: string; value: string; restart: boolean } | { ok: false; problem: string };

const NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** One `postgres.parameters` entry: allowed, well-typed, in range; the names and values to render. */
export function checkParameter(rawName: string, rawValue: unknown, platform: "aws" | "docker"): ParameterCheck {
  const name = rawName.toLowerCase();
  if (!NAME.test(name)) return { ok: false, problem: 'is not a parameter name; expected letters, digits and _ (optionally "prefix.name")' };
  if (typeof rawValue !== "string") return { ok: false, problem: "expected a string value" };
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(rawValue)) return { ok: false, problem: "the value contains a control character (newline, tab, NUL, ...); expected a single-line value" };
  if (DERIVED_PARAMETERS[name]) return { ok: false, problem: DERIVED_PARAMETERS[name] };
  const p = pgParameter(name, platform);
  if (!p) {
    if (name.startsWith("rds.") && platform === "docker") return { ok: false, problem: "is an RDS-only parameter; the docker platform runs stock PostgreSQL 15" };
    return { ok: false, problem: `is not a PostgreSQL ${PG_CATALOGUE.serverVersion.split(".")[0]} parameter${platform === "aws" ? " nor an RDS one" : ""} (pg_settings has no such name)` };
  }
  const why = refusal(name, p);
  if (why) return { ok: false, problem: why };
  const v = checkParameterValue(p, rawValue, platform);
  if (!v.ok) return { ok: false, problem: v.problem };
  const refusedValue = REFUSED_VALUES[name]?.[v.value];
  if (refusedValue) return { ok: false, problem: refusedValue };
  return { ok: true, name, value: v.value, restart: p.context === "postmaster" };
}
