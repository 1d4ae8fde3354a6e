/**
 * Pure renderers for PgBouncer: pgbouncer.ini and the auth file (userlist.txt), shared
 * by the ECS task, the docker container and the sandbox process so they cannot drift.
 *
 * Two pools per database: `<db>` (read-write) to the primary and `<db>_ro` (read-only)
 * spread over the replicas. PgBouncer (1.24, components/pgbouncer/version.env) accepts a
 * comma-separated host list in one [databases] entry and opens new server connections
 * round-robin over it, with a single port for all hosts. So the read-only pool is
 * one entry over every replica sharing one port, and falls back to the primary when
 * there are no replicas. See docs/pgbouncer.md for what a dead replica does.
 *
 * Values that reach the file are checked, never escaped into something clever: a value
 * that could start another line or key is refused with an error naming the field but
 * never echoing a secret.
 */
import type { PgBouncerSettings } from "../settings/schema";

/** Per-instance facts the settings do not hold: where PgBouncer listens and what it pools. */
export interface PgBouncerRuntime {
  /** Address(es) to listen on, e.g. "127.0.0.1" or "0.0.0.0" in a container. */
  listenAddr: string;
  listenPort: number;
  /** Where the read-write pool goes. */
  primary: { host: string; port: number };
  /** Read replicas; empty sends the read-only pool to the primary. All on one port. */
  replicas: { host: string; port: number }[];
  /** The real database on the servers. */
  database: string;
  /** Path of the userlist (auth_file). */
  authFile: string;
  /** Log file; unset logs to stderr (containers). */
  logFile?: string;
  pidFile?: string;
  /** Unix socket directory; unset disables the Unix socket. */
  unixSocketDir?: string;
  /** Role PgBouncer uses to run auth_query for users missing from the auth file. */
  authUser?: string;
  /**
   * Who may use which pool. When given, PgBouncer checks logins against `hbaFile`
   * (auth_type = hba, rendered by renderPgBouncerHba): each role is admitted only to its
   * pools, the console users only to the console, anyone else is refused.
   */
  poolUsers?: PoolUsers;
  /**
   * The login each pool uses on the servers, when it is not the client's own: every
   * client of the pool then reaches Postgres as this role, with a password applications
   * never see (their own password is only PgBouncer's, in the auth file), so an
   * application's credentials are refused at Postgres directly. The ini then holds a
   * secret: it must be written like the auth file (0600, secret uploads).
   */
  serverLogins?: { readWrite?: ServerLogin; readOnly?: ServerLogin };
  /** Path of the rendered hba file; required with `poolUsers`. */
  hbaFile?: string;
  /** TLS material; required when the settings ask for client (or verified server) TLS. */
  tls?: { clientCertFile?: string; clientKeyFile?: string; serverCaFile?: string };
}

/** A server-side login of a pool (user= / password= on its [databases] line). */
export interface ServerLogin {
  user: string;
  password: string;
}

/** The roles each pool admits (the console's users come from the settings). */
export interface PoolUsers {
  readWrite: string[];
  readOnly: string[];
}

/** The read-write pool's name: the database's own name, so apps only change the port. */
export function readWriteDatabaseName(database: string): string {
  return database;
}

/** The read-only pool's name. */
export function readOnlyDatabaseName(database: string): string {
  return `${database}_ro`;
}

/** Open files PgBouncer may use: two per client plus the server side, with room to spare. */
export function pgbouncerFileLimit(s: Pick<PgBouncerSettings, "maxClientConn" | "defaultPoolSize" | "reservePoolSize">): number {
  return Math.max(1024, 2 * s.maxClientConn + 2 * (s.defaultPoolSize + s.reservePoolSize) + 100);
}

/** Where a pool sends its server connections. */
export interface PoolTarget {
  hosts: string[];
  port: number;
  /** Why this target: the primary, the replicas round-robin, or the primary as fallback. */
  route: "primary" | "replicas" | "primary-fallback";
}

const HOST = /^[A-Za-z0-9._:/-]+$/;
const DBNAME = /^[A-Za-z0-9_.-]+$/;
const USER = /^[A-Za-z0-9_.@-]+$/;
const PATH = /^[A-Za-z0-9._/@+-]+$/;

function check(field: string, value: string, re: RegExp, expected: string): string {
  if (!re.test(value)) throw new Error(`pgbouncer.ini: ${field} "${value}" is not allowed; expected ${expected}`);
  return value;
}

function checkPort(field: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`pgbouncer.ini: ${field} is ${port}; expected a port from 1 to 65535`);
  return port;
}

/**
 * Targets of the two pools. The read-only pool spreads over every replica (one entry,
 * round-robin per new server connection) or falls back to the primary with none.
 */
export function poolTargets(rt: Pick<PgBouncerRuntime, "primary" | "replicas">): { readWrite: PoolTarget; readOnly: PoolTarget } {
  checkPort("primary port", rt.primary.port);
  check("primary host", rt.primary.host, HOST, "a host name, address or socket directory");
  const readWrite: PoolTarget = { hosts: [rt.primary.host], port: rt.primary.port, route: "primary" };
  if (rt.replicas.length === 0) return { readWrite, readOnly: { ...readWrite, route: "primary-fallback" } };
  rt.replicas.forEach((r, i) => {
    check(`replica ${i} host`, r.host, HOST, "a host name, address or socket directory");
    checkPort(`replica ${i} port`, r.port);
  });
  const ports = [...new Set(rt.replicas.map((r) => r.port))];
  if (ports.length > 1) {
    throw new Error(
      `pgbouncer.ini: the replicas listen on ports ${ports.join(", ")}; PgBouncer spreads one [databases] entry over a host list sharing a single port: run the replicas on one port (distinct hosts)`,
    );
  }
  return { readWrite, readOnly: { hosts: rt.replicas.map((r) => r.host), port: ports[0], route: "replicas" } };
}

function loginPart(pool: string, l: ServerLogin | undefined): string {
  if (!l) return "";
  check(`${pool} server user`, l.user, USER, "a role name");
  // Never echo the password: it is a secret.
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(l.password)) throw new Error(`pgbouncer.ini: the ${pool} pool's server password is not 16-128 letters, digits, _ or -`);
  return ` user=${l.user} password=${l.password}`;
}

function databaseLine(name: string, t: PoolTarget, database: string, login?: ServerLogin): string {
  return `${name} = host=${t.hosts.join(",")} port=${t.port} dbname=${database}${loginPart(name, login)}`;
}

/** How long PgBouncer trusts a resolved server address, or a name that did not resolve (its defaults 15 s): docs/pgbouncer.md. */
export const DNS_MAX_TTL_SECONDS = 1;
/** Connect plus login to a server, then give up and retry (its default 15 s); logins take ms here, tens of ms across AZs with TLS. */
export const SERVER_CONNECT_TIMEOUT_SECONDS = 3;

/** pgbouncer.ini for one PgBouncer instance. */
export function renderPgBouncerIni(s: PgBouncerSettings, rt: PgBouncerRuntime): string {
  check("database", rt.database, DBNAME, "letters, digits, _ . -");
  check("listen_addr", rt.listenAddr, /^[A-Za-z0-9.:*,-]+$/, "addresses separated by commas");
  checkPort("listen_port", rt.listenPort);
  check("auth_file", rt.authFile, PATH, "an absolute path without spaces");
  for (const [field, v] of [
    ["logfile", rt.logFile],
    ["pidfile", rt.pidFile],
    ["unix_socket_dir", rt.unixSocketDir],
    ["client_tls_cert_file", rt.tls?.clientCertFile],
    ["client_tls_key_file", rt.tls?.clientKeyFile],
    ["server_tls_ca_file", rt.tls?.serverCaFile],
  ] as const) {
    if (v !== undefined) check(field, v, PATH, "a path without spaces");
  }
  for (const [field, v] of [
    ["admin_users", s.adminUser],
    ["stats_users", s.statsUser],
    ["auth_user", rt.authUser],
  ] as const) {
    if (v !== undefined) check(field, v, USER, "a role name");
  }
  if (rt.poolUsers && !rt.hbaFile) throw new Error("pgbouncer.ini: poolUsers are given but no hba file path (runtime hbaFile): the roles could not be tied to their pools");
  if (rt.hbaFile) check("auth_hba_file", rt.hbaFile, PATH, "an absolute path without spaces");
  if (s.tls.client !== "disable" && !(rt.tls?.clientCertFile && rt.tls?.clientKeyFile)) {
    throw new Error(`pgbouncer.ini: pgbouncer.tls.client is "${s.tls.client}" but no client certificate and key files were given (runtime tls.clientCertFile / tls.clientKeyFile)`);
  }
  if ((s.tls.server === "verify-ca" || s.tls.server === "verify-full") && !rt.tls?.serverCaFile) {
    throw new Error(`pgbouncer.ini: pgbouncer.tls.server is "${s.tls.server}" but no CA bundle was given (runtime tls.serverCaFile)`);
  }

  const { readWrite, readOnly } = poolTargets(rt);
  const lines: string[] = [
    "; Rendered by components/pgbouncer/render.ts; edit the stack settings, not this file.",
    "[databases]",
    databaseLine(readWriteDatabaseName(rt.database), readWrite, rt.database, rt.serverLogins?.readWrite),
    `; read-only pool: ${readOnly.route === "replicas" ? `round-robin over ${readOnly.hosts.length} replica(s)` : "no replicas, falls back to the primary"}`,
    databaseLine(readOnlyDatabaseName(rt.database), readOnly, rt.database, rt.serverLogins?.readOnly),
    "",
    "[pgbouncer]",
    `listen_addr = ${rt.listenAddr}`,
    `listen_port = ${rt.listenPort}`,
    `unix_socket_dir = ${rt.unixSocketDir ?? ""}`,
  ];
  const kv = (k: string, v: string | number | undefined) => v !== undefined && lines.push(`${k} = ${v}`);
  kv("logfile", rt.logFile);
  kv("pidfile", rt.pidFile);
  // hba: the method per pool and role comes from the hba file (s.authType is its method).
  kv("auth_type", rt.poolUsers ? "hba" : s.authType);
  kv("auth_file", rt.authFile);
  if (rt.poolUsers) kv("auth_hba_file", rt.hbaFile);
  kv("auth_user", rt.authUser);
  kv("admin_users", s.adminUser);
  kv("stats_users", s.statsUser);
  kv("pool_mode", s.poolMode);
  kv("max_client_conn", s.maxClientConn);
  kv("default_pool_size", s.defaultPoolSize);
  kv("min_pool_size", s.minPoolSize);
  kv("reserve_pool_size", s.reservePoolSize);
  kv("reserve_pool_timeout", s.reservePoolTimeoutSeconds);
  kv("server_idle_timeout", s.serverIdleTimeoutSeconds);
  kv("query_wait_timeout", s.queryWaitTimeoutSeconds);
  kv("client_idle_timeout", s.clientIdleTimeoutSeconds);
  kv("server_check_delay", s.serverCheckDelaySeconds);
  kv("server_check_query", "select 1");
  kv("server_login_retry", s.serverLoginRetrySeconds);
  // A server restarted in a container (or an RDS failover) comes back at a new address under
  // the same name; PgBouncer kept using the cached old one for dns_max_ttl (default 15 s),
  // and a connect to an address nobody holds hangs until server_connect_timeout (default
  // 15 s): ~15 s of failed reads after a quick replica restart on docker (docs/pgbouncer.md).
  // While the container is stopped its name does not resolve, and PgBouncer caches that
  // answer too, for dns_nxdomain_ttl (default 15 s).
  kv("dns_max_ttl", DNS_MAX_TTL_SECONDS);
  kv("dns_nxdomain_ttl", DNS_MAX_TTL_SECONDS);
  kv("server_connect_timeout", SERVER_CONNECT_TIMEOUT_SECONDS);
  // FIFO reuse of server connections, so reads keep cycling over every replica's connections.
  kv("server_round_robin", readOnly.hosts.length > 1 ? 1 : 0);
  // Drivers' protocol-level named prepared statements (node-postgres `name`, pgbench -M
  // prepared, JDBC, asyncpg) survive transaction pooling: PgBouncer re-prepares them on
  // whichever server connection a transaction lands (1.21+).
  kv("max_prepared_statements", s.maxPreparedStatements);
  // JDBC and others send it at startup; transaction pooling cannot track it per client.
  kv("ignore_startup_parameters", "extra_float_digits");
  kv("client_tls_sslmode", s.tls.client);
  if (s.tls.client !== "disable") {
    kv("client_tls_cert_file", rt.tls!.clientCertFile);
    kv("client_tls_key_file", rt.tls!.clientKeyFile);
  }
  kv("server_tls_sslmode", s.tls.server);
  kv("server_tls_ca_file", rt.tls?.serverCaFile);
  return `${lines.join("\n")}\n`;
}

/**
 * The auth file: one `"name" "secret"` line per user, a double quote inside doubled
 * (PgBouncer's quoting rule). `secret` is a SCRAM verifier, an md5 hash or a password.
 */
export function renderUserlist(users: { name: string; secret: string }[]): string {
  const seen = new Set<string>();
  const lines = users.map((u, i) => {
    // eslint-disable-next-line no-control-regex
    if (!u.name || /[\x00-\x1f\x7f]/.test(u.name)) throw new Error(`userlist: user ${i} has an empty name or one with a control character`);
    // eslint-disable-next-line no-control-regex
    if (!u.secret || /[\x00-\x1f\x7f]/.test(u.secret)) throw new Error(`userlist: the secret of user "${u.name}" is empty or contains a control character (newline, NUL, ...)`);
    if (seen.has(u.name)) throw new Error(`userlist: user "${u.name}" appears twice`);
    seen.add(u.name);
    const q = (v: string) => `"${v.replace(/"/g, '""')}"`;
    return `${q(u.name)} ${q(u.secret)}`;
  });
  return lines.length ? `${lines.join("\n")}\n` : "";
}

/** The hba file's name beside pgbouncer.ini (docker upload, ECS entrypoint). */
export const HBA_FILE = "pgbouncer_hba.conf";

/** Pool users from each user's `pools`; undefined when none says (no hba: every user on both pools). */
export function poolUsersFor(users: { name: string; pools?: "read-write" | "read-only" | "both" }[]): PoolUsers | undefined {
  if (!users.some((u) => u.pools)) return undefined;
  const on = (p: "read-write" | "read-only") => [...new Set(users.filter((u) => u.pools === p || u.pools === "both").map((u) => u.name))];
  return { readWrite: on("read-write"), readOnly: on("read-only") };
}

const HBA_KEYWORDS = ["all", "sameuser", "samerole", "samegroup", "replication"];

/**
 * PgBouncer's hba file (pg_hba syntax) for auth_type = hba: the read-write pool admits
 * only `readWrite` roles, the read-only pool only `readOnly` roles, the console only the
 * admin and stats users. No line matches anything else, and PgBouncer refuses a login no
 * line matches: an application role on the other pool, or on a database that is not a
 * pool, is refused before any password is asked.
 */
export function renderPgBouncerHba(s: Pick<PgBouncerSettings, "authType" | "adminUser" | "statsUser">, database: string, users: PoolUsers): string {
  check("database", database, DBNAME, "letters, digits, _ . -");
  const pools: [string, string[]][] = [
    [readWriteDatabaseName(database), users.readWrite],
    [readOnlyDatabaseName(database), users.readOnly],
    ["pgbouncer", [s.adminUser, s.statsUser]],
  ];
  const lines = ["# Rendered by components/pgbouncer/render.ts (renderPgBouncerHba): each role reaches only its pools; anything else is refused."];
  for (const [db, names] of pools) {
    if (names.length === 0) throw new Error(`pgbouncer hba: no role may use pool "${db}"; expected at least one`);
    const list = [...new Set(names)].map((n, i) => {
      check(`pool "${db}" user ${i}`, n, USER, "a role name");
      // Keywords and @file / +group forms would admit more than the one role.
      if (HBA_KEYWORDS.includes(n) || /^[@+]/.test(n)) throw new Error(`pgbouncer hba: pool "${db}" user ${i} "${n}" is an hba keyword or group/file form; expected a plain role name`);
      return n;
    });
    // `host` matches TCP with and without TLS, `local` the Unix socket when there is one.
    lines.push(`host ${db} ${list.join(",")} all ${s.authType}`, `local ${db} ${list.join(",")} ${s.authType}`);
  }
  return `${lines.join("\n")}\n`;
}
