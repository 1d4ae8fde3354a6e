import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RedisOutputs } from "../contract/outputs";
import { realizeAwsRedis } from "./aws";
import { realizeDockerRedis } from "./docker";
import { redisNodeCount } from "./render";
import type { RedisClusterArgs, ResolvedRedisArgs } from "./types";

export * from "./render";
export type { RedisAwsArgs, RedisDockerArgs, RedisClusterArgs, RealizedRedis, ResolvedRedisArgs } from "./types";
export { DEFAULT_REDIS_IMAGE } from "./docker";

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
