/**
 * Pure renderers for PostgreSQL: the server parameters shared by RDS and self-managed
 * nodes, the RDS parameter group, postgresql.conf and pg_hba.conf for containers and the
 * sandbox. One source of truth, so the realizations cannot drift apart.
 *
 * Values that could smuggle in another config line (newline, NUL, other control
 * characters) are refused with an error naming the parameter; the value is never echoed.
 */
import type { Settings } from "../settings/schema";

/** What the renderers read of the settings: the postgres section and the platform. */
export type PostgresRenderSettings = Pick<Settings, "postgres" | "platform">;
import { checkParameter, needsRestart } from "./catalogue";

/** Self-managed node facts the settings do not hold. */
export interface PostgresRuntime {
  /** Same file for both roles (so a promoted replica keeps its settings); recorded in the header. */
  role: "primary" | "replica";
  port: number;
  /** listen_addresses, e.g. "127.0.0.1" or "*" in a container. */
  listenAddresses: string;
  /** unix_socket_directories: a postgres-owned folder (not /var/run/postgresql in the sandbox). */
  socketDir: string;
  /** log_directory; relative paths are inside the data directory. @default "log" */
  logDir?: string;
  /**
   * cluster_name: a replica's WAL receiver connects under it (application_name), so the
   * primary's pg_stat_replication names the replica. @default none ("walreceiver")
   */
  clusterName?: string;
}

/** pg_stat_statements must be preloaded; the smoke suite and Performance Insights read it. */
export const PRELOAD_LIBRARIES = "pg_stat_statements";

function checkValue(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new Error(`postgres config: the value of "${name}" contains a control character (newline, tab, NUL, ...); expected a single-line value`);
  }
  return value;
}

/**
 * `postgres.parameters` checked against the allow list (catalogue/index.ts) and
 * normalised: lower-case names, values in the spelling RDS takes. The settings rules
 * refuse the same entries with the config key first (exit 2); this throw is the guard
 * for callers that bypass them. The value is never echoed.
 */
export function userParameters(s: PostgresRenderSettings): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(s.postgres.parameters)) {
    const c = checkParameter(name, value, s.platform);
    if (!c.ok) throw new Error(`postgres.parameters.${name.replace(/[^\x20-\x7e]/g, "?").slice(0, 64)}: ${c.problem}`);
    if (c.name in out) throw new Error(`postgres.parameters.${c.name}: given twice (names are case-insensitive)`);
    out[c.name] = c.value;
  }
  return out;
}

/**
 * GUCs common to RDS and self-managed nodes, from the settings; then the allowed
 * `postgres.parameters`, normalised. Booleans are "1"/"0": the only spelling the
 * RDS API takes, and one Postgres reads too.
 */
export function postgresParameters(s: PostgresRenderSettings): Record<string, string> {
  const p = s.postgres;
  const user = userParameters(s);
  const base: Record<string, string> = {
    max_connections: String(p.maxConnections),
    superuser_reserved_connections: String(p.reservedConnections),
    shared_preload_libraries: PRELOAD_LIBRARIES,
    // "all" also counts statements inside functions and triggers (the dual-write triggers).
    "pg_stat_statements.track": "all",
    "pg_stat_statements.max": "10000",
    password_encryption: "scram-sha-256",
    log_min_duration_statement: String(p.logMinDurationStatementMs),
    log_lock_waits: "1",
    // kB: temp files above 10 MB mean work_mem is too small for a query.
    log_temp_files: "10240",
    log_autovacuum_min_duration: "1000",
    log_checkpoints: "1",
    track_io_timing: "1",
    // ms: an idle-in-transaction client pins a PgBouncer server connection in transaction mode.
    idle_in_transaction_session_timeout: "300000",
  };
  // Derived names are refused in `postgres.parameters`, so nothing here overrides `base`.
  return { ...base, ...user };
}

export interface RdsParameter {
  name: string;
  value: string;
  applyMethod: "immediate" | "pending-reboot";
}

/** The RDS parameter group: the common GUCs plus TLS enforced, sorted by name. */
export function rdsParameters(s: PostgresRenderSettings): RdsParameter[] {
  // rds.force_ssl is derived (refused in postgres.parameters): TLS is always forced.
  const all: Record<string, string> = { "rds.force_ssl": "1", ...postgresParameters(s) };
  return Object.keys(all)
    .sort()
    .map((name) => ({ name, value: all[name], applyMethod: needsRestart(name) ? "pending-reboot" : "immediate" }));
}

/** Whether the RDS parameter group demands TLS (what the contract's `tls` reports). */
export function rdsForcesTls(s: PostgresRenderSettings): boolean {
  return rdsParameters(s).find((x) => x.name === "rds.force_ssl")?.value === "1";
}

/** A postgresql.conf value: always single-quoted, which Postgres accepts for every type. */
export function quoteConfValue(name: string, value: string): string {
  checkValue(name, value);
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`postgres config: "port" is ${port}; expected a port from 1 to 65535`);
  return port;
}

/** WAL senders / slots: one per replica, room for a base backup and a rebuild in progress. */
export function walSenders(s: PostgresRenderSettings): number {
  return Math.max(10, 2 * s.postgres.replicas + 4);
}

/**
 * postgresql.conf for a self-managed node. The same file serves primary and replicas
 * (replication settings are harmless on a primary and needed after a promotion); a
 * replica's primary_conninfo comes from `pg_basebackup -R`.
 */
export function renderPostgresConf(s: PostgresRenderSettings, rt: PostgresRuntime): string {
  const senders = walSenders(s);
  const replication: Record<string, string> = {
    wal_level: "replica",
    max_wal_senders: String(senders),
    max_replication_slots: String(senders),
    wal_keep_size: "256MB",
    hot_standby: "on",
    // Replicas serve read traffic: tell the primary which rows their queries still need.
    hot_standby_feedback: "on",
  };
  const runtime: Record<string, string> = {
    port: String(checkPort(rt.port)),
    listen_addresses: rt.listenAddresses,
    unix_socket_directories: rt.socketDir,
    logging_collector: "on",
    log_destination: "stderr",
    log_directory: rt.logDir ?? "log",
    log_filename: "postgresql-%a.log",
    log_rotation_age: "1d",
    log_truncate_on_rotation: "on",
    log_file_mode: "0600",
    log_line_prefix: "%m [%p] %q%u@%d ",
  };
  if (rt.clusterName !== undefined) {
    // Postgres keeps printable ASCII in cluster_name and truncates at 63 bytes: refuse rather than mangle.
    if (!/^[A-Za-z0-9_.-]{1,63}$/.test(rt.clusterName)) throw new Error(`postgres config: "cluster_name" is ${JSON.stringify(rt.clusterName.slice(0, 80))}; expected 1-63 letters, digits, "_", "." or "-"`);
    runtime.cluster_name = rt.clusterName;
  }
  if (rt.listenAddresses.trim() === "") throw new Error('postgres config: "listen_addresses" is empty; expected "*", a host or a comma-separated list');
  const sections: [string, Record<string, string>][] = [
    ["Replication (streaming; replicas are hot standbys)", replication],
    ["Server parameters shared with the RDS parameter group (postgres.parameters win)", postgresParameters(s)],
    ["Where this node listens and logs", runtime],
  ];
  const lines = [`# Generated from the stack's postgres settings (components/postgres/render.ts) for a ${rt.role}.`];
  for (const [title, values] of sections) {
    lines.push("", `# ${title}`);
    for (const [name, value] of Object.entries(values)) lines.push(`${name} = ${quoteConfValue(name, value)}`);
  }
  return `${lines.join("\n")}\n`;
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const HBA_ADDRESS = /^(samenet|samehost|all|[0-9a-fA-F:.]+\/\d{1,3})$/;

export interface PgHbaRuntime {
  /** Role streaming replicas connect as. */
  replicationUser: string;
  /** Clients admitted over TCP: a CIDR, "samenet" (a container network) or "samehost". @default loopback (127.0.0.1/32 and ::1/128) */
  localCidr?: string;
}

/** pg_hba.conf: every connection, local or TCP, authenticates with SCRAM-SHA-256. */
export function renderPgHba(rt: PgHbaRuntime): string {
  if (!ROLE_NAME.test(rt.replicationUser)) throw new Error(`pg_hba: replicationUser must be a lower-case role name (letters, digits, _), got ${JSON.stringify(rt.replicationUser.slice(0, 64))}`);
  const addresses = rt.localCidr === undefined ? ["127.0.0.1/32", "::1/128"] : [rt.localCidr];
  for (const a of addresses) {
    if (!HBA_ADDRESS.test(a)) throw new Error(`pg_hba: localCidr must be a CIDR such as "10.0.0.0/16", "samenet" or "samehost"`);
  }
  const lines = [
    "# Generated by components/postgres/render.ts. First match wins; no trust, no peer, no md5.",
    "# TYPE  DATABASE     USER  ADDRESS  METHOD",
    "local   all          all            scram-sha-256",
    ...addresses.map((a) => `host    replication  ${rt.replicationUser}  ${a}  scram-sha-256`),
    ...addresses.map((a) => `host    all          all  ${a}  scram-sha-256`),
  ];
  return `${lines.join("\n")}\n`;
}
