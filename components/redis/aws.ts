/**
 * The AWS realization: an ElastiCache replication group with its subnet group,
 * parameter group (from the same settings as redis.conf), AUTH token in Secrets
 * Manager and slow/engine logs in CloudWatch.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { nodeTypeCapabilities } from "../aws/catalogue";
import type { RedisOutputs } from "../contract/outputs";
import { statefulOptions } from "../options";
import type { RealizedRedis, RedisAwsArgs, ResolvedRedisArgs } from "./types";
import { elasticacheParameterFamily, elasticacheParameters } from "./render";

export const ELASTICACHE_LOG_TYPES = ["slow-log", "engine-log"] as const;

export function realizeAwsRedis(parent: pulumi.Resource, name: string, a: ResolvedRedisArgs, placement: RedisAwsArgs, password: pulumi.Output<string>): RealizedRedis {
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

  const secret = new aws.secretsmanager.Secret(
    `${name}-auth-token`,
    {
      description: `AUTH token of the ElastiCache replication group ${rgId}`,
      kmsKeyId: s.kmsKeyArn,
      recoveryWindowInDays: a.production ? 30 : 7,
      tags: a.tags,
    },
    kept,
  );
  new aws.secretsmanager.SecretVersion(`${name}-auth-token`, { secretId: secret.id, secretString: password }, child);

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
      authToken: password,
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
    .all([group.primaryEndpointAddress, group.readerEndpointAddress, group.configurationEndpointAddress, nodes, secret.arn])
    .apply(([primary, reader, configuration, nodeList, secretArn]) => ({
      primary: { host: clustered ? configuration : primary, port: s.port },
      readers: clustered || !reader ? [] : [{ host: reader, port: s.port }],
      nodes: nodeList,
      sentinels: [],
      sentinelMasterName: null,
      expectedReplicas: s.replicas,
      tls: s.transitEncryption,
      authRequired: true,
      aws: { replicationGroupId: rgId, authTokenSecretArn: secretArn },
    }));

  return { contract, replicationGroupId: group.replicationGroupId, memberClusterIds };
}
