/**
 * Roles through @pulumi/postgresql, connected to the primary with the master
 * credentials (RDS: read from the RDS-managed secret at deploy time; docker: the
 * superuser password the component generated). Physical replication copies the roles to
 * the replicas.
 *
 * PgBouncer authenticates clients from a userlist (secret) rather than auth_query: on
 * RDS even the master user cannot read pg_shadow / pg_authid (pgbouncer/pgbouncer#265),
 * so a SECURITY DEFINER lookup function cannot work there.
 */
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RealizedPostgres, ResolvedPostgresArgs, RoleNames } from "./types";
import { APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS, APP_ROLE_STATEMENT_TIMEOUT_MS } from "./appRoleDefaults";
import { SCRAM_SALT_BYTES, scramVerifier } from "./scram";

export type { RoleNames } from "./types";

export const DEFAULT_ROLE_NAMES: RoleNames = {
  app: "app",
  readonly: "app_readonly",
  monitoring: "datatier_monitor",
  pgbouncerAuth: "pgbouncer_auth",
  replication: "replicator",
};

export interface Credential {
  user: pulumi.Output<string>;
  /** Secret. */
  password: pulumi.Output<string>;
  /**
   * The role's password on PostgreSQL when it is not `password` (secret): docker's
   * application roles (issue 20, no bypass). Only PgBouncer's pools log in with it; the
   * application's `password` is PgBouncer's only, so Postgres refuses it directly.
   */
  serverPassword?: pulumi.Output<string>;
}

export interface RoleCredentials {
  app: Credential;
  readonly: Credential;
  monitoring: Credential;
  pgbouncerAuth: Credential;
}

/** Letters and digits only: safe in pgbouncer.ini userlists, URLs, shells and SQL literals. */
export function rolePassword(parent: pulumi.Resource, name: string): pulumi.Output<string> {
  const pw = new random.RandomPassword(name, { length: 40, special: false, minUpper: 4, minLower: 4, minNumeric: 4 }, { parent, additionalSecretOutputs: ["result"] });
  return pulumi.secret(pw.result);
}

/** A salt for a SCRAM verifier, kept in the stack's state so the verifier is the same on every run. */
export function scramSalt(parent: pulumi.Resource, name: string): pulumi.Output<string> {
  return new random.RandomBytes(name, { length: SCRAM_SALT_BYTES }, { parent, additionalSecretOutputs: ["base64", "hex"] }).base64;
}

/**
 * What the Role resource is given as `password`: the SCRAM-SHA-256 verifier, not the
 * password. The provider sends it verbatim in CREATE/ALTER ROLE ... PASSWORD '<value>'
 * and, reading the role back, keeps a state value that starts with "SCRAM-SHA-256" as
 * is (cyrilgdn/terraform-provider-postgresql, postgresql/resource_postgresql_role.go,
 * readRolePassword); PostgreSQL stores a verifier as it is. So no password reaches the
 * server's statement log or pg_stat_statements (on RDS too), and the stable salt keeps
 * the verifier, and so the resource, unchanged between runs.
 */
export function roleVerifier(parent: pulumi.Resource, name: string, password: pulumi.Output<string>): pulumi.Output<string> {
  return pulumi.secret(pulumi.all([password, scramSalt(parent, name)]).apply(([pw, salt]) => scramVerifier(pw, salt)));
}

export function manageRoles(parent: pulumi.Resource, name: string, a: ResolvedPostgresArgs, db: RealizedPostgres): RoleCredentials {
  const p = a.settings.postgres;
  const n = a.roleNames;
  if (!p.manageRoles) {
    // Without managed roles every client uses the master credentials; on RDS they rotate.
    const master: Credential = { user: db.admin.username, password: pulumi.secret(db.admin.password) };
    return { app: master, readonly: master, monitoring: master, pgbouncerAuth: master };
  }

  const provider = new postgresql.Provider(
    `${name}-roles-provider`,
    {
      host: db.admin.host,
      port: db.admin.port,
      username: db.admin.username,
      password: pulumi.secret(db.admin.password),
      database: p.databaseName,
      sslmode: db.admin.sslmode,
      // The RDS master user is rds_superuser, not a superuser: the provider must not assume one.
      superuser: db.admin.superuser,
      expectedVersion: p.engineVersion,
      connectTimeout: 15,
      maxConnections: 4,
    },
    { parent, dependsOn: db.admin.dependsOn },
  );
  const opts = { parent, provider, dependsOn: db.admin.dependsOn };
  const database = p.databaseName;

  // Docker: the application roles log in to Postgres with a server password only PgBouncer
  // holds (the sandbox's split); on AWS the security groups keep applications off RDS.
  const splitServerLogin = a.settings.platform === "docker";
  const login = (role: keyof Omit<RoleNames, "replication">, extra: Partial<postgresql.RoleArgs> = {}) => {
    const slug = role === "pgbouncerAuth" ? "pgbouncer-auth" : role;
    const password = rolePassword(parent, `${name}-${slug}-password`);
    const serverPassword = splitServerLogin && (role === "app" || role === "readonly") ? rolePassword(parent, `${name}-${slug}-server-password`) : undefined;
    const verifier = roleVerifier(parent, `${name}-${slug}-scram-salt`, serverPassword ?? password);
    const r = new postgresql.Role(`${name}-role-${slug}`, { name: n[role], login: true, password: verifier, ...extra }, opts);
    new postgresql.Grant(`${name}-${slug}-connect`, { database, role: r.name, objectType: "database", privileges: ["CONNECT"] }, opts);
    return { role: r, cred: { user: r.name, password, ...(serverPassword ? { serverPassword } : {}) } as Credential };
  };

  // Per-role bounds on what one application client holds (appRoleDefaults.ts).
  const appRoleDefaults = { statementTimeout: APP_ROLE_STATEMENT_TIMEOUT_MS, idleInTransactionSessionTimeout: APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS };
  const app = login("app", appRoleDefaults);
  new postgresql.Grant(`${name}-app-temp`, { database, role: app.role.name, objectType: "database", privileges: ["TEMPORARY"] }, opts);
  // PostgreSQL 15 no longer lets PUBLIC create in schema public: the application owns its schema objects.
  new postgresql.Grant(`${name}-app-schema`, { database, role: app.role.name, schema: "public", objectType: "schema", privileges: ["USAGE", "CREATE"] }, opts);

  const readonly = login("readonly", appRoleDefaults);
  new postgresql.Grant(`${name}-readonly-schema`, { database, role: readonly.role.name, schema: "public", objectType: "schema", privileges: ["USAGE"] }, opts);
  new postgresql.Grant(`${name}-readonly-tables`, { database, role: readonly.role.name, schema: "public", objectType: "table", objects: [], privileges: ["SELECT"] }, opts);
  new postgresql.Grant(`${name}-readonly-sequences`, { database, role: readonly.role.name, schema: "public", objectType: "sequence", objects: [], privileges: ["SELECT"] }, opts);
  // Tables the application creates later are readable too.
  new postgresql.DefaultPrivileges(`${name}-readonly-future-tables`, { database, role: readonly.role.name, owner: app.role.name, schema: "public", objectType: "table", privileges: ["SELECT"] }, opts);
  new postgresql.DefaultPrivileges(`${name}-readonly-future-sequences`, { database, role: readonly.role.name, owner: app.role.name, schema: "public", objectType: "sequence", privileges: ["SELECT"] }, opts);

  // pg_monitor for pg_stat_* and replication views; the read-only role's grants for the partition row counts.
  const monitoring = login("monitoring", { roles: ["pg_monitor", readonly.role.name] as pulumi.Input<string>[] });
  const pgbouncerAuth = login("pgbouncerAuth", { connectionLimit: 10 });

  return { app: app.cred, readonly: readonly.cred, monitoring: monitoring.cred, pgbouncerAuth: pgbouncerAuth.cred };
}
