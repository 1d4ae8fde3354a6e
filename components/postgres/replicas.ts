/**
 * RDS read replicas of the primary, spread round-robin over the zones of the private
 * subnets, each with its own endpoint. They take no master password of their own: a
 * replica cannot use the RDS-managed master secret (terraform-aws-rds #512, #532), and
 * the roles reach it through replication anyway.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { statefulOptions } from "../options";
import { storageAutoscalingLimit } from "./storage";
import type { PostgresAwsArgs, ResolvedPostgresArgs } from "./types";
import type { RdsShared } from "./types";

export function replicaIdentifier(prefix: string, n: number): string {
  return `${prefix}-pg-replica-${n}`;
}

/** Zone of replica i (0-based): round-robin over the given zones in order. */
export function replicaZone(zones: string[], i: number): string {
  return zones[i % zones.length];
}

export function createRdsReplicas(
  parent: pulumi.Resource,
  name: string,
  a: ResolvedPostgresArgs,
  placement: PostgresAwsArgs,
  primary: aws.rds.Instance,
  shared: RdsShared,
): aws.rds.Instance[] {
  const p = a.settings.postgres;
  const zones = [...new Set(placement.availabilityZones)];
  return Array.from({ length: p.replicas }, (_, i) => {
    const id = replicaIdentifier(a.prefix, i + 1);
    return new aws.rds.Instance(
      `${name}-replica-${i + 1}`,
      {
        identifier: id,
        replicateSourceDb: primary.identifier,
        instanceClass: p.replicaInstanceClass ?? p.instanceClass,
        availabilityZone: replicaZone(zones, i),
        port: p.port,
        storageType: "gp3",
        maxAllocatedStorage: storageAutoscalingLimit(p),
        storageEncrypted: true,
        kmsKeyId: p.kmsKeyArn,
        vpcSecurityGroupIds: placement.securityGroupIds,
        publiclyAccessible: false,
        parameterGroupName: shared.parameterGroupName,
        deletionProtection: p.deletionProtection,
        // RDS takes no final snapshot of a read replica.
        skipFinalSnapshot: true,
        copyTagsToSnapshot: true,
        autoMinorVersionUpgrade: true,
        maintenanceWindow: p.maintenanceWindow,
        performanceInsightsEnabled: p.performanceInsights.enabled,
        performanceInsightsRetentionPeriod: p.performanceInsights.enabled ? p.performanceInsights.retentionDays : undefined,
        performanceInsightsKmsKeyId: p.performanceInsights.enabled ? p.kmsKeyArn : undefined,
        monitoringInterval: p.monitoringIntervalSeconds,
        monitoringRoleArn: shared.monitoringRoleArn,
        enabledCloudwatchLogsExports: [...shared.logExports],
        tags: { ...a.tags, Role: "read-replica" },
      },
      { ...statefulOptions(parent, a.settings.production, { fixedName: true }), dependsOn: shared.logGroups(id, `replica-${i + 1}`) },
    );
  });
}
