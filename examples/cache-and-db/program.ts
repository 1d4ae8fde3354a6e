/**
 * A program of its own on the data-tier components, with settings of its own: one
 * ElastiCache group with a single replica and one RDS primary without replicas, no
 * PgBouncer, no alarms. The components take their documented Args; nothing here reads
 * the data tier's stack files.
 *
 * Config (namespace `cache-and-db`): `subnets` ([{ id, availabilityZone }], two zones),
 * `cacheSecurityGroupId`, `dbSecurityGroupId`.
 */
import * as pulumi from "@pulumi/pulumi";
import { PostgresCluster, RedisCluster, settings } from "../../components";

interface Subnet {
  id: string;
  availabilityZone: string;
}

export function main() {
  const config = new pulumi.Config("cache-and-db");
  const subnets = config.requireObject<Subnet[]>("subnets");
  const defaults = settings.profileFor({ platform: "aws", production: false });

  // The library's defaults for each section, a few changes, validated by its schema.
  const redis = settings.redis.parse(settings.deepMerge(defaults.redis, { replicas: 1, nodeType: "cache.t4g.small", snapshotRetentionDays: 0 }));
  const postgres = settings.postgres.parse(
    settings.deepMerge(defaults.postgres, { replicas: 0, instanceClass: "db.t4g.medium", allocatedStorageGb: 20, maxAllocatedStorageGb: 100, manageRoles: false }),
  );

  const cache = new RedisCluster("cache", {
    settings: redis,
    replicationGroupId: "cache-and-db-cache",
    aws: { subnetIds: subnets.map((s) => s.id), securityGroupIds: [config.require("cacheSecurityGroupId")] },
  });
  const db = new PostgresCluster("db", {
    settings: { postgres, production: false, platform: "aws" },
    prefix: "cache-and-db",
    aws: {
      subnetIds: subnets.map((s) => s.id),
      availabilityZones: subnets.map((s) => s.availabilityZone),
      securityGroupIds: [config.require("dbSecurityGroupId")],
    },
  });
  return { cache: cache.contract.apply((c) => c.primary), db: db.contract.apply((c) => c.primary) };
}
