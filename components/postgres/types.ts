/**
 * Types shared by PostgresCluster (index.ts) and its realizations (rds.ts, replicas.ts,
 * roles.ts, docker.ts), so imports run one way: index -> realizations -> types.
 */
import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { PostgresSettings } from "../settings/schema";

/**
 * What PostgresCluster reads of the settings: its own section and three facts around
 * it. The stack maps its validated settings to this (stacks/postgres.ts); another
 * program builds it from its own.
 */
export interface PostgresClusterSettings {
  /** The postgres section (components/settings/schema.ts `postgres`), validated. */
  postgres: PostgresSettings;
  /** Production: protect the instances, keep final snapshots. */
  production: boolean;
  /** Which parameters are allowed and how TLS is rendered: RDS (`aws`) or self-managed (`docker`). */
  platform: "aws" | "docker";
  /** KMS key of the CloudWatch log groups the exported logs go to. @default the AWS-managed key */
  logKmsKeyArn?: string;
}

/** AWS placement of the RDS instances. */
export interface PostgresAwsArgs {
  /** Private subnets of the DB subnet group (the primary's Multi-AZ standby goes to another zone). */
  subnetIds: pulumi.Input<string>[];
  /** Zones replicas are spread over, round-robin (the zones of those subnets). */
  availabilityZones: string[];
  /** Security groups of the instances; the data tier's Postgres group admits only PgBouncer and admin groups. */
  securityGroupIds: pulumi.Input<string>[];
}

/** Docker placement: containers on an existing network, ports published on 127.0.0.1. */
export interface PostgresDockerArgs {
  /** Name of the Docker network the containers join (it must exist already). */
  networkName: pulumi.Input<string>;
  /** Pinned image. @default DEFAULT_POSTGRES_IMAGE ("postgres:15.8") */
  image?: string;
  /** Prefix of container, host and volume names. @default the component name */
  containerPrefix?: string;
  /** Host port of the primary on 127.0.0.1; replica N gets hostPort + N. @default settings.postgres.port */
  hostPort?: number;
}

/** Arguments of {@link PostgresCluster}; exactly one of `aws` and `docker`. */
export interface PostgresClusterArgs {
  /** The stack's validated settings (postgres section, plus production, project and environment for names). */
  settings: PostgresClusterSettings;
  /** Physical-name prefix; the primary is "<prefix>-pg", replica N "<prefix>-pg-replica-N". */
  prefix: string;
  /** Tags for every taggable resource (labels on docker). @default {} */
  tags?: Record<string, string>;
  /** Names of the roles the component manages. @default DEFAULT_ROLE_NAMES */
  roleNames?: Partial<RoleNames>;
  /** Realize on RDS. */
  aws?: PostgresAwsArgs;
  /** Realize as local containers with streaming replicas. */
  docker?: PostgresDockerArgs;
}

/** Args with every default applied, in one place. */
export interface ResolvedPostgresArgs {
  settings: PostgresClusterSettings;
  prefix: string;
  tags: Record<string, string>;
  roleNames: RoleNames;
}

/** What a realization hands back to the component. */
export interface RealizedPostgres {
  primaryInstanceId: pulumi.Output<string>;
  replicaInstanceIds: pulumi.Output<string>[];
  primaryAddress: pulumi.Output<string>;
  replicaAddresses: pulumi.Output<string>[];
  port: pulumi.Output<number>;
  /** Where the smoke suite reaches the nodes (RDS endpoints, or 127.0.0.1 published ports). */
  contractPrimary: pulumi.Output<{ host: string; port: number }>;
  contractReplicas: pulumi.Output<{ id: string; host: string; port: number }[]>;
  tls: boolean;
  /** Connection the role provider uses (master credentials). */
  admin: { host: pulumi.Output<string>; port: pulumi.Output<number>; username: pulumi.Output<string>; password: pulumi.Output<string>; sslmode: "require" | "disable"; superuser: boolean; dependsOn: pulumi.Resource[] };
  masterSecretArn: pulumi.Output<string> | undefined;
  /** Docker: the replica containers, for what must start after they are healthy (the read router). */
  replicaContainers?: pulumi.Resource[];
}

/** What primary and replicas share. */
export interface RdsShared {
  parameterGroupName: pulumi.Output<string>;
  monitoringRoleArn: pulumi.Output<string> | undefined;
  logExports: readonly string[];
  logGroups: (identifier: string, role: string) => aws.cloudwatch.LogGroup[];
}

/** Role names; override per stack through PostgresClusterArgs.roleNames. */
export interface RoleNames {
  /** Read-write application role; owns the application's tables. */
  app: string;
  /** Read-only role for replica traffic. */
  readonly: string;
  /** pg_monitor member the smoke suite logs in as. */
  monitoring: string;
  /** PgBouncer's own login. */
  pgbouncerAuth: string;
  /** Streaming replication role (docker; RDS manages its own). */
  replication: string;
}
