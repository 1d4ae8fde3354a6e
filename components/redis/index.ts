import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { RedisOutputs } from "../contract/outputs";
import { REDIS_ROLES, supportsAcl, type RedisUserPasswords } from "./acl";
import { realizeAwsRedis } from "./aws";
import { realizeDockerRedis } from "./docker";
import { redisNodeCount } from "./render";
import type { RedisClusterArgs, ResolvedRedisArgs } from "./types";

export * from "./render";
export * from "./acl";
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
  /** The application user's password (the ElastiCache AUTH token where RBAC cannot apply) (secret). */
  public readonly password: pulumi.Output<string>;
  /** Every ACL user's password, per role (secret): components/redis/acl.ts. */
  public readonly passwords: pulumi.Output<RedisUserPasswords>;
  /** The smoke suite's login (the `monitoring` user; the AUTH token where RBAC cannot apply) (secret). */
  public readonly monitoringPassword: pulumi.Output<string>;
  /** The operator's login (every command; the AUTH token where RBAC cannot apply) (secret). */
  public readonly operatorPassword: pulumi.Output<string>;
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

    // One per ACL user. Letters and digits only: accepted by ElastiCache (auth token and
    // RBAC user passwords) and safe in redis.conf ACL lines, shells and URLs. The
    // application's keeps the old resource name, so an existing stack keeps its password.
    const generate = (role: string) =>
      new random.RandomPassword(role === "application" ? `${name}-password` : `${name}-${role}-password`, { length: 64, special: false, minUpper: 4, minLower: 4, minNumeric: 4 }, { parent: this }).result;
    const generated = Object.fromEntries(REDIS_ROLES.map((r) => [r, generate(r)])) as Record<(typeof REDIS_ROLES)[number], pulumi.Output<string>>;
    this.passwords = pulumi.secret(pulumi.all(generated).apply((p) => p as RedisUserPasswords));
    this.password = pulumi.secret(generated.application);
    // ElastiCache before 6.0 has one AUTH token and no users: everyone logs in with it.
    const tokenOnly = args.aws !== undefined && !supportsAcl(s.engine, s.engineVersion);
    this.monitoringPassword = pulumi.secret(tokenOnly ? generated.application : generated.monitoring);
    this.operatorPassword = pulumi.secret(tokenOnly ? generated.application : generated.operator);

    const realized = args.aws
      ? realizeAwsRedis(this, name, resolved, args.aws, this.passwords)
      : realizeDockerRedis(this, name, resolved, args.docker!, this.passwords);

    this.contract = realized.contract;
    this.replicationGroupId = realized.replicationGroupId;
    this.memberClusterIds = realized.memberClusterIds;
    this.nodeCount = redisNodeCount(s);
    this.registerOutputs({
      contract: this.contract,
      password: this.password,
      passwords: this.passwords,
      replicationGroupId: this.replicationGroupId,
      memberClusterIds: this.memberClusterIds,
      nodeCount: this.nodeCount,
    });
  }
}
