/**
 * The AWS realization: an ElastiCache replication group with its subnet group,
 * parameter group (from the same settings as redis.conf), AUTH token in Secrets
 * Manager and slow/engine logs in CloudWatch.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { nodeTypeCapabilities } from "../aws/catalogue";
import type { RedisOutputs } from "../contract/outputs";
import { statefulOptions } from "../options";
import type { RealizedRedis, RedisAwsArgs, ResolvedRedisArgs } from "./types";
import { ELASTICACHE_ROLES, elasticacheAccessStrings, REDIS_USERS, supportsAcl, type ElastiCacheRole, type RedisUserPasswords } from "./acl";
import { elasticacheParameterFamily, elasticacheParameters } from "./render";

/**
 * ElastiCache user ids: lower-case letters, digits and single hyphens, starting with a
 * letter (CreateUser). Derived from the group id, so two stacks in one account differ.
 */
export function elasticacheUserId(replicationGroupId: string, role: string): string {
  const id = `${replicationGroupId}-${role}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+/, "").replace(/-$/, "");
  if (id.length === 0) throw new Error(`redis.replicationGroupId "${replicationGroupId}" gives no valid ElastiCache user id; expected it to contain a letter`);
  return id;
}

export const ELASTICACHE_LOG_TYPES = ["slow-log", "engine-log"] as const;

/**
 * RBAC (one ElastiCache user per role, in a user group, each password in its own Secrets
 * Manager secret) on every engine that has ACLs (Redis 6.0+, Valkey); the single AUTH
 * token only where RBAC cannot apply (Redis before 6.0), where everyone is admin.
 */
export function realizeAwsRedis(parent: pulumi.Resource, name: string, a: ResolvedRedisArgs, placement: RedisAwsArgs, passwords: pulumi.Output<RedisUserPasswords>): RealizedRedis {
  const s = a.settings;
  const rgId = a.replicationGroupId;
  const child = { parent };
  const kept = statefulOptions(parent, a.production);

  const subnetGroup = new aws.elasticache.SubnetGroup(
    `${name}-subnets`,
    { description: `Private subnets of ${rgId}`, subnetIds: placement.subnetIds, tags: a.tags },
    child,
  );

  const parameterGroup = new aws.elasticache.ParameterGroup(
    `${name}-params`,
    { family: elasticacheParameterFamily(s), description: `Settings of ${rgId} (eviction, lazy freeing, slow log)`, parameters: elasticacheParameters(s), tags: a.tags },
    kept,
  );

  const rbac = supportsAcl(s.engine, s.engineVersion);
  const secretOf = (resource: string, description: string, value: pulumi.Output<string>) => {
    const secret = new aws.secretsmanager.Secret(resource, { description, kmsKeyId: s.kmsKeyArn, recoveryWindowInDays: a.production ? 30 : 7, tags: a.tags }, kept);
    new aws.secretsmanager.SecretVersion(resource, { secretId: secret.id, secretString: value }, child);
    return secret;
  };

  let authToken: pulumi.Output<string> | undefined;
  let tokenSecret: aws.secretsmanager.Secret | undefined;
  let userGroup: aws.elasticache.UserGroup | undefined;
  const userSecrets: Partial<Record<ElastiCacheRole, aws.secretsmanager.Secret>> = {};
  if (rbac) {
    const access = elasticacheAccessStrings(s.engine, s.engineVersion);
    // ElastiCache wants a user named "default" in every group: ours is off, so nobody is anonymous.
    const defaultPassword = new random.RandomPassword(`${name}-default-password`, { length: 64, special: false }, child);
    const defaultUser = new aws.elasticache.User(
      `${name}-user-default`,
      { userId: elasticacheUserId(rgId, "default"), userName: "default", engine: "redis", accessString: access.default, passwords: [defaultPassword.result], tags: a.tags },
      child,
    );
    const users = ELASTICACHE_ROLES.map((role) => {
      const password = passwords.apply((p) => p[role]);
      userSecrets[role] = secretOf(
        `${name}-${role}-user`,
        `Redis ${role} user of the ElastiCache replication group ${rgId}: {"username","password"}`,
        pulumi.secret(password.apply((pw) => JSON.stringify({ username: REDIS_USERS[role], password: pw }))),
      );
      return new aws.elasticache.User(
        `${name}-user-${role}`,
        // engine "redis" for Valkey too: ElastiCache's RBAC docs say users and groups keep it.
        { userId: elasticacheUserId(rgId, REDIS_USERS[role]), userName: REDIS_USERS[role], engine: "redis", accessString: access[role], passwords: [password], tags: a.tags },
        child,
      );
    });
    userGroup = new aws.elasticache.UserGroup(
      `${name}-users`,
      { userGroupId: elasticacheUserId(rgId, "users"), engine: "redis", userIds: [defaultUser.userId, ...users.map((u) => u.userId)], tags: a.tags },
      child,
    );
  } else {
    authToken = passwords.apply((p) => p.application);
    tokenSecret = secretOf(`${name}-auth-token`, `AUTH token of the ElastiCache replication group ${rgId}`, authToken);
  }

  const logGroups = ELASTICACHE_LOG_TYPES.map(
    (logType) =>
      new aws.cloudwatch.LogGroup(`${name}-${logType}`, { name: `/aws/elasticache/${rgId}/${logType}`, retentionInDays: s.logRetentionDays, tags: a.tags }, child),
  );

  const clustered = s.clusterMode.enabled;
  const group = new aws.elasticache.ReplicationGroup(
    `${name}-group`,
    {
      replicationGroupId: rgId,
      description: `Redis for ${rgId}: primary + ${s.replicas} replica(s) per shard, automatic failover`,
      engine: s.engine,
      engineVersion: s.engineVersion,
      nodeType: s.nodeType,
      // r6gd nodes: ElastiCache refuses them without data tiering (aws/catalogue); elsewhere it is left unset.
      dataTieringEnabled: nodeTypeCapabilities(s.nodeType)?.dataTiering === "required" ? true : undefined,
      port: s.port,
      clusterMode: clustered ? "enabled" : "disabled",
      numNodeGroups: clustered ? s.clusterMode.shards : 1,
      replicasPerNodeGroup: s.replicas,
      automaticFailoverEnabled: s.automaticFailover,
      multiAzEnabled: s.multiAz,
      subnetGroupName: subnetGroup.name,
      securityGroupIds: placement.securityGroupIds,
      parameterGroupName: parameterGroup.name,
      // RBAC or the token, never both (ElastiCache refuses the pair).
      authToken: authToken,
      userGroupIds: userGroup ? [userGroup.userGroupId] : undefined,
      transitEncryptionEnabled: s.transitEncryption,
      atRestEncryptionEnabled: s.atRestEncryption,
      kmsKeyId: s.kmsKeyArn,
      snapshotRetentionLimit: s.snapshotRetentionDays,
      snapshotWindow: s.snapshotWindow,
      maintenanceWindow: s.maintenanceWindow,
      finalSnapshotIdentifier: a.production ? `${rgId}-final` : undefined,
      autoMinorVersionUpgrade: true,
      logDeliveryConfigurations: logGroups.map((lg, i) => ({
        destination: lg.name,
        destinationType: "cloudwatch-logs",
        logFormat: "json",
        logType: ELASTICACHE_LOG_TYPES[i],
      })),
      tags: a.tags,
    },
    // The replication group id must stay (endpoints, log groups, alarms): delete first outside production.
    { ...statefulOptions(parent, a.production, { fixedName: true }), additionalSecretOutputs: ["authToken"] },
  );

  const memberClusterIds = group.memberClusters.apply((ids) => [...(ids ?? [])].sort());
  // Node endpoints come from each member cluster; the group itself only reports the shared endpoints.
  const nodes = memberClusterIds.apply((ids) =>
    Promise.all(
      ids.map(async (clusterId) => {
        const c = await aws.elasticache.getCluster({ clusterId }, { parent });
        const node = c.cacheNodes[0];
        return { name: clusterId, host: node.address, port: node.port };
      }),
    ),
  );

  const contract: pulumi.Output<RedisOutputs> = pulumi
    .all([
      group.primaryEndpointAddress,
      group.readerEndpointAddress,
      group.configurationEndpointAddress,
      nodes,
      tokenSecret?.arn ?? pulumi.output(null),
      userGroup?.userGroupId ?? pulumi.output(null),
      pulumi.all(Object.fromEntries(Object.entries(userSecrets).map(([k, v]) => [k, v.arn]))),
    ])
    .apply(([primary, reader, configuration, nodeList, tokenArn, userGroupId, userArns]) => ({
      primary: { host: clustered ? configuration : primary, port: s.port },
      readers: clustered || !reader ? [] : [{ host: reader, port: s.port }],
      nodes: nodeList,
      sentinels: [],
      sentinelMasterName: null,
      expectedReplicas: s.replicas,
      tls: s.transitEncryption,
      authRequired: true,
      users: rbac ? { application: REDIS_USERS.application, monitoring: REDIS_USERS.monitoring, operator: REDIS_USERS.operator } : null,
      aws: {
        replicationGroupId: rgId,
        authTokenSecretArn: tokenArn,
        userGroupId,
        userSecretArns: rbac ? (userArns as Record<ElastiCacheRole, string>) : null,
      },
    }));

  return { contract, replicationGroupId: group.replicationGroupId, memberClusterIds };
}
