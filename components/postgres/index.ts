import * as pulumi from "@pulumi/pulumi";
import type { PostgresOutputs } from "../contract/outputs";
import { realizeDockerPostgres } from "./docker";
import { realizeRdsPostgres } from "./rds";
import { manageRoles, type RoleCredentials, DEFAULT_ROLE_NAMES } from "./roles";
import type { PostgresClusterArgs, ResolvedPostgresArgs } from "./types";

export * from "./render";
export type { PostgresAwsArgs, PostgresDockerArgs, PostgresClusterArgs, PostgresClusterSettings, ResolvedPostgresArgs, RealizedPostgres } from "./types";
export { DEFAULT_ROLE_NAMES, type RoleNames } from "./roles";
export { DEFAULT_POSTGRES_IMAGE } from "./docker";

/** Mutually exclusive or impossible args, refused before anything is registered. */
export function checkPostgresClusterArgs(name: string, args: PostgresClusterArgs): void {
  if (!args.aws === !args.docker) {
    throw new Error(`PostgresCluster ${name}: give exactly one of "aws" and "docker" (got ${args.aws ? "both" : "neither"})`);
  }
  if (args.aws && args.aws.availabilityZones.length === 0 && args.settings.postgres.replicas > 0) {
    throw new Error(`PostgresCluster ${name}: aws.availabilityZones is empty; replicas are spread over the zones of network.privateSubnets`);
  }
}

/**
 * PostgreSQL 15: a primary and `postgres.replicas` streaming read replicas. On AWS an RDS
 * primary (Multi-AZ, encrypted gp3 with autoscaling, RDS-managed master secret,
 * Performance Insights, enhanced monitoring, logs to CloudWatch) and RDS read replicas
 * spread across zones; on docker a primary and pg_basebackup replicas as containers,
 * from the same rendered parameters. With `postgres.manageRoles`, application,
 * read-only, monitoring and PgBouncer roles through @pulumi/postgresql.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  /** Stack-output contract part for Postgres (no secret inside). */
  public readonly contract: pulumi.Output<PostgresOutputs>;
  /** Primary's id: RDS instance identifier, or container name. */
  public readonly primaryInstanceId: pulumi.Output<string>;
  /** Replica ids in order (RDS identifiers, or container names); one per replica. */
  public readonly replicaInstanceIds: pulumi.Output<string>[];
  /** Primary host as PgBouncer reaches it (RDS endpoint address, or container name on the docker network). */
  public readonly primaryAddress: pulumi.Output<string>;
  /** Replica hosts as PgBouncer reaches them, in the order of `replicaInstanceIds`. */
  public readonly replicaAddresses: pulumi.Output<string>[];
  /** Server port on those addresses (postgres.port). */
  public readonly port: pulumi.Output<number>;
  /** Application database (postgres.databaseName). */
  public readonly databaseName: string;
  /** Whether the server demands TLS (RDS with rds.force_ssl=1); false on docker. */
  public readonly tls: boolean;
  /** Read-write application role. */
  public readonly appUser: pulumi.Output<string>;
  /** Its password (secret). */
  public readonly appPassword: pulumi.Output<string>;
  /**
   * The read-write role's password on PostgreSQL, which only PgBouncer's read-write pool
   * uses (secret); docker only (issue 20: the application's password is refused directly).
   */
  public readonly appServerPassword: pulumi.Output<string> | undefined;
  /** Read-only role for replica traffic (SELECT on the application's tables). */
  public readonly readonlyUser: pulumi.Output<string>;
  /** Its password (secret). */
  public readonly readonlyPassword: pulumi.Output<string>;
  /** The read-only role's password on PostgreSQL, for PgBouncer's read-only pool only (secret); docker only. */
  public readonly readonlyServerPassword: pulumi.Output<string> | undefined;
  /** Role with pg_monitor (and read access) the smoke suite uses. */
  public readonly monitoringUser: pulumi.Output<string>;
  /** Its password (secret). */
  public readonly monitoringPassword: pulumi.Output<string>;
  /** PgBouncer's own low-privilege login (CONNECT only); see docs/postgres.md on auth_query. */
  public readonly pgbouncerAuthUser: pulumi.Output<string>;
  /** Its password (secret). */
  public readonly pgbouncerAuthPassword: pulumi.Output<string>;
  /** Secrets Manager secret RDS manages for the master user; undefined off AWS. */
  public readonly masterSecretArn: pulumi.Output<string> | undefined;
  /** Docker: the replica containers (empty on AWS), for what must start after they are healthy. */
  public readonly replicaContainers: pulumi.Resource[];

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    checkPostgresClusterArgs(name, args);
    super("datatier:postgres:PostgresCluster", name, {}, opts);
    const a: ResolvedPostgresArgs = {
      settings: args.settings,
      prefix: args.prefix,
      tags: args.tags ?? {},
      roleNames: { ...DEFAULT_ROLE_NAMES, ...args.roleNames },
    };

    const realized = args.aws ? realizeRdsPostgres(this, name, a, args.aws) : realizeDockerPostgres(this, name, a, args.docker!);
    const roles: RoleCredentials = manageRoles(this, name, a, realized);

    this.primaryInstanceId = realized.primaryInstanceId;
    this.replicaInstanceIds = realized.replicaInstanceIds;
    this.primaryAddress = realized.primaryAddress;
    this.replicaAddresses = realized.replicaAddresses;
    this.port = realized.port;
    this.databaseName = a.settings.postgres.databaseName;
    this.tls = realized.tls;
    this.masterSecretArn = realized.masterSecretArn;
    this.replicaContainers = realized.replicaContainers ?? [];
    this.appUser = roles.app.user;
    this.appPassword = roles.app.password;
    this.readonlyUser = roles.readonly.user;
    this.readonlyPassword = roles.readonly.password;
    this.appServerPassword = roles.app.serverPassword;
    this.readonlyServerPassword = roles.readonly.serverPassword;
    this.monitoringUser = roles.monitoring.user;
    this.monitoringPassword = roles.monitoring.password;
    this.pgbouncerAuthUser = roles.pgbouncerAuth.user;
    this.pgbouncerAuthPassword = roles.pgbouncerAuth.password;

    const p = a.settings.postgres;
    this.contract = pulumi
      .all([realized.contractPrimary, realized.contractReplicas, roles.monitoring.user, realized.primaryInstanceId, pulumi.all(realized.replicaInstanceIds), realized.masterSecretArn ?? pulumi.output(undefined)])
      .apply(([primary, replicas, monitoringUser, primaryId, replicaIds, secretArn]) => ({
        primary,
        replicas,
        database: p.databaseName,
        monitoringUser,
        tls: realized.tls,
        partitionPairs: p.partitionPairs.map((x) => ({ legacy: x.legacy, partitioned: x.partitioned, timestampColumn: x.timestampColumn })),
        partitionChecks: { windowSeconds: p.partitionChecks.windowSeconds, reconcileMaxAgeSeconds: p.partitionChecks.reconcileMaxAgeSeconds },
        aws: args.aws ? { primaryInstanceId: primaryId, replicaInstanceIds: replicaIds, masterSecretArn: secretArn! } : null,
      }));

    this.registerOutputs({
      contract: this.contract,
      primaryInstanceId: this.primaryInstanceId,
      replicaInstanceIds: this.replicaInstanceIds,
      primaryAddress: this.primaryAddress,
      replicaAddresses: this.replicaAddresses,
      port: this.port,
      databaseName: this.databaseName,
      appUser: this.appUser,
      appPassword: this.appPassword,
      readonlyUser: this.readonlyUser,
      readonlyPassword: this.readonlyPassword,
      monitoringUser: this.monitoringUser,
      monitoringPassword: this.monitoringPassword,
      pgbouncerAuthUser: this.pgbouncerAuthUser,
      pgbouncerAuthPassword: this.pgbouncerAuthPassword,
      masterSecretArn: this.masterSecretArn,
    });
  }
}
