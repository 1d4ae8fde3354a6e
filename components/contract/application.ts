/**
 * The application's half of the contract, built the same way by every realization
 * (stacks/program.ts for aws and docker, sandbox/outputs.ts): pure functions of the
 * parts the slices already export, so the three cannot drift apart.
 */
import type { ApplicationCredentials, ApplicationOutputs, ApplicationRoleSecret, Endpoint, PgBouncerOutputs, RedisOutputs } from "./outputs";

export interface ApplicationParts {
  pgbouncer: Pick<PgBouncerOutputs, "endpoint" | "readWriteDatabase" | "readOnlyDatabase">;
  /** Whether PgBouncer offers TLS to clients (`pgbouncer.tls.client` is not "disable"). */
  pgbouncerClientTls: boolean;
  users: { readWrite: string; readOnly: string };
  redis: Pick<RedisOutputs, "primary" | "readers" | "tls" | "authRequired">;
  aws: ApplicationOutputs["aws"];
  /** Where the switchover flags are read; absent where a realization has none. */
  flags?: ApplicationOutputs["flags"];
}

const ep = (e: Endpoint): Endpoint => ({ host: e.host, port: e.port });

/** The plain `application` output. */
export function applicationOutputsFor(p: ApplicationParts): ApplicationOutputs {
  const conn = (database: string, user: string) => ({ ...ep(p.pgbouncer.endpoint), database, user, tls: p.pgbouncerClientTls });
  return {
    readWrite: conn(p.pgbouncer.readWriteDatabase, p.users.readWrite),
    readOnly: conn(p.pgbouncer.readOnlyDatabase, p.users.readOnly),
    redis: { primary: ep(p.redis.primary), readers: p.redis.readers.map(ep), tls: p.redis.tls, authRequired: p.redis.authRequired },
    aws: p.aws,
    ...(p.flags ? { flags: p.flags } : {}),
  };
}

/** One role's secret in the RDS secret JSON shape: where to connect (the pool) and as whom. */
export function applicationRoleSecretFor(conn: ApplicationOutputs["readWrite"], password: string): ApplicationRoleSecret {
  return { engine: "postgres", host: conn.host, port: conn.port, dbname: conn.database, username: conn.user, password };
}

/** The secret `applicationCredentials` output. */
export function applicationCredentialsFor(app: ApplicationOutputs, passwords: { readWrite: string; readOnly: string; redis: string }): ApplicationCredentials {
  return {
    readWrite: applicationRoleSecretFor(app.readWrite, passwords.readWrite),
    readOnly: applicationRoleSecretFor(app.readOnly, passwords.readOnly),
    redisPassword: passwords.redis,
  };
}
