import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RedisOutputs } from "../contract/outputs";
import type { RedisSettings } from "../settings/schema";
import { realizeAwsRedis } from "./aws";
import { realizeDockerRedis } from "./docker";

export * from "./render";
export { DEFAULT_REDIS_IMAGE } from "./docker";

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

/** Data nodes the settings ask for: (1 primary + replicas) per shard. */
export function redisNodeCount(s: RedisSettings): number {
  return (1 + s.replicas) * (s.clusterMode.enabled ? s.clusterMode.shards : 1);
}

/** Mutually exclusive or impossible args, refused before anything is registered. */
export function checkRedisClusterArgs(name: string, args: RedisClusterArgs): void {
  if (!args.aws === !args.docker) {
    throw new Error(`RedisCluster ${name}: give exactly one of "aws" and "docker" (got ${args.aws ? "both" : "neither"})`);
  }
  if (args.aws && !args.settings.transitEncryption) {
    throw new Error(`RedisCluster ${name}: redis.transitEncryption must be true on aws; ElastiCache accepts an AUTH token only with in-transit encryption`);
  }
  if (args.docker && args.settings.clusterMode.enabled) {
    throw new Error(`RedisCluster ${name}: redis.clusterMode.enabled is AWS-only; the docker platform runs one master with Sentinel`);
  }
}

/**
 * Redis with replicas and automatic failover: an ElastiCache replication group on AWS
 * (Multi-AZ, encrypted, AUTH token in Secrets Manager), or a master, replicas and
 * Sentinels as containers, all configured from the same rendered settings.
 */
export class RedisCluster extends pulumi.ComponentResource {
  /** Stack-output contract part for Redis (no secret inside). */
  public readonly contract: pulumi.Output<RedisOutputs>;
  /** AUTH password / ElastiCache auth token (secret). */
  public readonly password: pulumi.Output<string>;
  /** ElastiCache replication group id; undefined off AWS. */
  public readonly replicationGroupId: pulumi.Output<string> | undefined;
  /** ElastiCache member cluster ids (per-node metric dimensions); empty off AWS. */
  public readonly memberClusterIds: pulumi.Output<string[]>;
  /** Data nodes (primaries + replicas) the topology has. */
  public readonly nodeCount: number;

  constructor(name: string, args: RedisClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    checkRedisClusterArgs(name, args);
    super("datatier:redis:RedisCluster", name, {}, opts);
    const s = args.settings;
    const resolved: ResolvedRedisArgs = { production: false, tags: {}, ...args };

    // Letters and digits only: accepted by ElastiCache and safe in redis.conf, shells and URLs.
    const password = new random.RandomPassword(`${name}-password`, { length: 64, special: false, minUpper: 4, minLower: 4, minNumeric: 4 }, { parent: this });
    this.password = pulumi.secret(password.result);

    const realized = args.aws
      ? realizeAwsRedis(this, name, resolved, args.aws, this.password)
      : realizeDockerRedis(this, name, resolved, args.docker!, this.password);

    this.contract = realized.contract;
    this.replicationGroupId = realized.replicationGroupId;
    this.memberClusterIds = realized.memberClusterIds;
    this.nodeCount = redisNodeCount(s);
    this.registerOutputs({
      contract: this.contract,
      password: this.password,
      replicationGroupId: this.replicationGroupId,
      memberClusterIds: this.memberClusterIds,
      nodeCount: this.nodeCount,
    });
  }
}
