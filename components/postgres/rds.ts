/**
 * The AWS realization: an RDS PostgreSQL primary with its subnet group, parameter group
 * (from the same parameters as postgresql.conf), enhanced-monitoring role and CloudWatch
 * log groups; read replicas in replicas.ts.
 *
 * The master password is RDS-managed (Secrets Manager, rotated by RDS): no password is
 * ever an input of this program. The role provider reads it from that secret at deploy.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { statefulOptions } from "../options";
import type { PostgresAwsArgs, RealizedPostgres, ResolvedPostgresArgs } from "./types";
import { rdsForcesTls, rdsParameters } from "./render";
import { createRdsReplicas } from "./replicas";
import { storageAutoscalingLimit } from "./storage";

/** Logs RDS exports to CloudWatch. */
export const RDS_LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/** AWS managed policy enhanced monitoring needs. */
export const ENHANCED_MONITORING_POLICY = "service-role/AmazonRDSEnhancedMonitoringRole";

/** Parameter group family of an engine version ("15" or "15.8" -> "postgres15"). */
export function parameterGroupFamily(engineVersion: string): string {
  return `postgres${engineVersion.split(".")[0]}`;
}

export function primaryIdentifier(prefix: string): string {
  return `${prefix}-pg`;
}

export function realizeRdsPostgres(parent: pulumi.Resource, name: string, a: ResolvedPostgresArgs, placement: PostgresAwsArgs): RealizedPostgres {
  const p = a.settings.postgres;
  const production = a.settings.production;
  const id = primaryIdentifier(a.prefix);
  const child = { parent };
  const kept = statefulOptions(parent, production);

  const subnetGroup = new aws.rds.SubnetGroup(`${name}-subnets`, { name: `${id}-subnets`, description: `Private subnets of ${id}`, subnetIds: placement.subnetIds, tags: a.tags }, child);

  const parameterGroup = new aws.rds.ParameterGroup(
    `${name}-params`,
    {
      name: `${id}-${parameterGroupFamily(p.engineVersion)}`,
      family: parameterGroupFamily(p.engineVersion),
      description: `Parameters of ${id} and its replicas (connections, pg_stat_statements, logging, TLS)`,
      parameters: rdsParameters(a.settings),
      tags: a.tags,
    },
    kept,
  );

  let monitoringRoleArn: pulumi.Output<string> | undefined;
  if (p.monitoringIntervalSeconds > 0) {
    const role = new aws.iam.Role(
      `${name}-monitoring`,
      {
        description: `RDS enhanced monitoring of ${id}`,
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
        tags: a.tags,
      },
      child,
    );
    const partition = aws.getPartitionOutput({}, { parent });
    const attachment = new aws.iam.RolePolicyAttachment(`${name}-monitoring`, { role: role.name, policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${ENHANCED_MONITORING_POLICY}` }, child);
    // The instance must not start monitoring before the role can be assumed with the policy.
    monitoringRoleArn = pulumi.all([role.arn, attachment.id]).apply(([arn]) => arn);
  }

  const logGroups = (identifier: string, role: string) =>
    RDS_LOG_EXPORTS.map(
      (log) => new aws.cloudwatch.LogGroup(`${name}-${role}-${log}-log`, { name: `/aws/rds/instance/${identifier}/${log}`, retentionInDays: p.logRetentionDays, kmsKeyId: a.settings.logKmsKeyArn, tags: a.tags }, child),
    );

  const primary = new aws.rds.Instance(
    `${name}-primary`,
    {
      identifier: id,
      engine: "postgres",
      engineVersion: p.engineVersion,
      instanceClass: p.instanceClass,
      multiAz: p.multiAz,
      port: p.port,
      dbName: p.databaseName,
      username: p.masterUsername,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: p.kmsKeyArn,
      storageType: "gp3",
      allocatedStorage: p.allocatedStorageGb,
      maxAllocatedStorage: storageAutoscalingLimit(p),
      storageEncrypted: true,
      kmsKeyId: p.kmsKeyArn,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: placement.securityGroupIds,
      publiclyAccessible: false,
      parameterGroupName: parameterGroup.name,
      backupRetentionPeriod: p.backupRetentionDays,
      backupWindow: p.backupWindow,
      maintenanceWindow: p.maintenanceWindow,
      deletionProtection: p.deletionProtection,
      skipFinalSnapshot: !production,
      finalSnapshotIdentifier: production ? `${id}-final` : undefined,
      deleteAutomatedBackups: !production,
      copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true,
      performanceInsightsEnabled: p.performanceInsights.enabled,
      performanceInsightsRetentionPeriod: p.performanceInsights.enabled ? p.performanceInsights.retentionDays : undefined,
      performanceInsightsKmsKeyId: p.performanceInsights.enabled ? p.kmsKeyArn : undefined,
      monitoringInterval: p.monitoringIntervalSeconds,
      monitoringRoleArn,
      enabledCloudwatchLogsExports: [...RDS_LOG_EXPORTS],
      tags: a.tags,
    },
    // RDS creates the log groups itself (retention: never expire) unless they exist first.
    // The identifier must stay (endpoints, log groups, alarms): delete first outside production.
    { ...statefulOptions(parent, production, { fixedName: true }), dependsOn: logGroups(id, "primary") },
  );

  const replicas = createRdsReplicas(parent, name, a, placement, primary, { parameterGroupName: parameterGroup.name, monitoringRoleArn, logExports: RDS_LOG_EXPORTS, logGroups });

  const masterSecretArn = primary.masterUserSecrets.apply((secrets) => {
    const arn = secrets?.[0]?.secretArn;
    if (!arn) throw new Error(`RDS instance ${id} reports no managed master secret; manageMasterUserPassword must be true`);
    return arn;
  });
  // Read at deploy time for the role provider only; never exported.
  const masterPassword = aws.secretsmanager
    .getSecretVersionOutput({ secretId: masterSecretArn }, { parent })
    .secretString.apply((json) => {
      const value = (JSON.parse(json) as { password?: unknown }).password;
      if (typeof value !== "string" || value === "") throw new Error(`the RDS-managed secret of ${id} holds no "password" field`);
      return value;
    });

  const port = primary.port.apply((x) => x ?? p.port);
  return {
    primaryInstanceId: primary.identifier,
    replicaInstanceIds: replicas.map((r) => r.identifier),
    primaryAddress: primary.address,
    replicaAddresses: replicas.map((r) => r.address),
    port,
    contractPrimary: pulumi.all([primary.address, port]).apply(([host, prt]) => ({ host, port: prt })),
    contractReplicas: pulumi.all(replicas.map((r) => pulumi.all([r.identifier, r.address, r.port]))).apply((rs) => rs.map(([rid, host, prt]) => ({ id: rid, host, port: prt ?? p.port }))),
    tls: rdsForcesTls(a.settings),
    admin: { host: primary.address, port, username: pulumi.output(p.masterUsername), password: pulumi.secret(masterPassword), sslmode: "require", superuser: false, dependsOn: [primary] },
    masterSecretArn,
  };
}
