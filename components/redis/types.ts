/**
 * Types shared by RedisCluster (index.ts) and its realizations (aws.ts, docker.ts), so
 * imports run one way: index -> realizations -> types.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { RedisOutputs } from "../contract/outputs";
import type { RedisSettings } from "../settings/schema";

/** AWS placement of the replication group. */
export interface RedisAwsArgs {
  /** Private subnets for the ElastiCache subnet group (at least two zones for Multi-AZ). */
  subnetIds: pulumi.Input<string>[];
  /** Security groups of the nodes; the data tier's Redis group admits only the app/admin groups. */
  securityGroupIds: pulumi.Input<string>[];
}

/** Docker placement: containers on an existing network, ports published on loopback. */
export interface RedisDockerArgs {
  /** Name of the Docker network the containers join (it must exist already). */
  networkName: pulumi.Input<string>;
  /** Pinned image. @default DEFAULT_REDIS_IMAGE ("redis:7.2.5") */
  image?: string;
  /** Prefix of container, host and volume names. @default the component name */
  containerPrefix?: string;
  /** Host port of the master on 127.0.0.1; replica N gets hostPort + N. @default settings.port */
  hostPort?: number;
  /** Host port of the first Sentinel on 127.0.0.1; Sentinel N gets sentinelHostPort + N - 1. @default settings.sentinel.port */
  sentinelHostPort?: number;
}

/** Arguments of {@link RedisCluster}; exactly one of `aws` and `docker`. */
export interface RedisClusterArgs {
  /** The stack's validated Redis settings (components/settings/schema.ts). */
  settings: RedisSettings;
  /** Production: protect the group, parameter group and secret, and keep a final snapshot. @default false */
  production?: boolean;
  /** ElastiCache replication group id (settings/rules.ts `replicationGroupId`); also names the log groups. */
  replicationGroupId: string;
  /** Tags for every taggable resource (labels on docker). @default {} */
  tags?: Record<string, string>;
  /** Realize on AWS ElastiCache. */
  aws?: RedisAwsArgs;
  /** Realize as local containers with Sentinel. */
  docker?: RedisDockerArgs;
}

/** What a realization hands back to the component. */
export interface RealizedRedis {
  contract: pulumi.Output<RedisOutputs>;
  replicationGroupId: pulumi.Output<string> | undefined;
  memberClusterIds: pulumi.Output<string[]>;
}

/** Args with every default applied, in one place. */
export type ResolvedRedisArgs = Required<Pick<RedisClusterArgs, "settings" | "production" | "replicationGroupId" | "tags">>;
