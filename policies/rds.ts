/**
 * RDS PostgreSQL policies: encryption, private access, backups, deletion protection,
 * Multi-AZ, Performance Insights, TLS forced by the parameter group, read replicas.
 * Resource policies read the inputs @pulumi/aws registers; the two stack policies join
 * instances with their parameter group and their replicas.
 */
import * as aws from "@pulumi/aws";
import {
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { TYPES, configOf, isReadReplica, productionSchema, requireProduction, setting } from "./common";

export const rdsStorageEncrypted: ResourceValidationPolicy = {
  name: "rds-storage-encrypted",
  description: "RDS instances encrypt their storage at rest (read replicas inherit the source's encryption).",
  severity: "high",
  remediationSteps: "Set storageEncrypted: true on the primary aws.rds.Instance (components/postgres).",
  validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, reportViolation) => {
    if (isReadReplica(db)) return;
    if (db.storageEncrypted !== true) reportViolation("Set storageEncrypted to true on the RDS instance so its storage, backups and snapshots are encrypted.");
  }),
};

export const rdsNoPublicAccess: ResourceValidationPolicy = {
  name: "rds-no-public-access",
  description: "RDS instances are not publicly accessible.",
  severity: "critical",
  validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, reportViolation) => {
    if (db.publiclyAccessible === true) reportViolation("Set publiclyAccessible to false on the RDS instance; clients reach it through PgBouncer inside the VPC.");
  }),
};

export interface RdsBackupRetentionConfig {
  minRetentionDays: number;
}

const backupSchema = {
  properties: { minRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 7, description: "Fewest days of automated backups a primary keeps." } },
} as const;

export const rdsBackupRetention: ResourceValidationPolicy = {
  name: "rds-backup-retention",
  description: "RDS primaries keep automated backups for at least minRetentionDays (default 7); read replicas are exempt.",
  severity: "high",
  configSchema: backupSchema,
  validateResource: validateResourceOfType(aws.rds.Instance, (db, args, reportViolation) => {
    if (isReadReplica(db)) return;
    const { minRetentionDays } = configOf<RdsBackupRetentionConfig>(backupSchema, args);
    const days = db.backupRetentionPeriod;
    if (typeof days !== "number" || days < minRetentionDays) {
      reportViolation(`Set ${setting("postgres.backupRetentionDays")} to at least ${minRetentionDays} (it is ${days ?? "unset"}).`);
    }
  }),
};

const prodOnly = productionSchema();

export const rdsDeletionProtectionInProd: ResourceValidationPolicy = {
  name: "rds-deletion-protection-in-prod",
  description: "In production, RDS primaries have deletion protection on.",
  severity: "high",
  configSchema: prodOnly,
  validateResource: validateResourceOfType(aws.rds.Instance, (db, args, reportViolation) => {
    requireProduction(configOf(prodOnly, args), args);
    if (isReadReplica(db)) return;
    if (db.deletionProtection !== true) reportViolation(`Set ${setting("postgres.deletionProtection")} to true.`);
  }),
};

export const rdsMultiAzInProd: ResourceValidationPolicy = {
  name: "rds-multi-az-in-prod",
  description: "In production, RDS primaries run Multi-AZ (a synchronous standby in another zone).",
  severity: "high",
  configSchema: prodOnly,
  validateResource: validateResourceOfType(aws.rds.Instance, (db, args, reportViolation) => {
    requireProduction(configOf(prodOnly, args), args);
    if (isReadReplica(db)) return;
    if (db.multiAz !== true) reportViolation(`Set ${setting("postgres.multiAz")} to true.`);
  }),
};

export const rdsPerformanceInsights: ResourceValidationPolicy = {
  name: "rds-performance-insights",
  description: "RDS instances (primaries and replicas) have Performance Insights on.",
  severity: "medium",
  validateResource: validateResourceOfType(aws.rds.Instance, (db, _args, reportViolation) => {
    if (db.performanceInsightsEnabled !== true) reportViolation(`Set ${setting("postgres.performanceInsights.enabled")} to true.`);
  }),
};

/** AWS's default groups are named "default.postgres15" etc. and cannot be changed. */
function isDefaultParameterGroup(name: unknown): boolean {
  return typeof name !== "string" || name === "" || name.startsWith("default.");
}

/** The parameter group an instance uses: by name, else by the engine's property dependency. */
function parameterGroupOf(db: PolicyResource, groups: PolicyResource[]): PolicyResource | undefined {
  const name = db.props.parameterGroupName;
  return (
    groups.find((g) => typeof name === "string" && name !== "" && g.props.name === name) ??
    groups.find((g) => (db.propertyDependencies.parameterGroupName ?? []).some((d) => d.urn === g.urn))
  );
}

export const rdsForceSsl: StackValidationPolicy = {
  name: "rds-force-ssl",
  description: "Every RDS instance uses a parameter group of this stack (not an AWS default) that sets rds.force_ssl = 1.",
  severity: "high",
  validateStack: (args, reportViolation) => {
    const groups = args.resources.filter((r) => r.type === TYPES.rdsParameterGroup);
    const users = new Map<PolicyResource, string[]>();
    for (const db of args.resources.filter((r) => r.type === TYPES.rdsInstance)) {
      const group = parameterGroupOf(db, groups);
      if (group) {
        users.set(group, [...(users.get(group) ?? []), db.name]);
        continue;
      }
      const why = isDefaultParameterGroup(db.props.parameterGroupName) ? "an AWS default group cannot force TLS" : `"${db.props.parameterGroupName}" is not in this stack`;
      reportViolation(`Set parameterGroupName on RDS instance ${db.name} to the stack's own RDS parameter group (${why}).`, db.urn);
    }
    // One report per group: fixing the group fixes every instance using it.
    for (const [group, dbs] of users) {
      const params = (group.props.parameters ?? []) as { name?: string; value?: string }[];
      const forceSsl = params.find((p) => p.name === "rds.force_ssl")?.value;
      if (String(forceSsl) !== "1") {
        reportViolation(
          `Set rds.force_ssl to 1 in RDS parameter group ${group.name}, used by ${dbs.join(", ")} (remove any "rds.force_ssl" override from ${setting("postgres.parameters")}; it is ${forceSsl ?? "unset"}).`,
          group.urn,
        );
      }
    }
  },
};

export interface RdsReadReplicasConfig {
  production: boolean;
  minReplicas: number;
}

const replicasSchema = productionSchema({
  minReplicas: { type: "integer", minimum: 1, maximum: 15, default: 1, description: "Fewest read replicas each production primary has." },
});

export const rdsReadReplicasInProd: StackValidationPolicy = {
  name: "rds-read-replicas-in-prod",
  description: "In production, every RDS primary has at least minReplicas (default 1) read replicas.",
  severity: "medium",
  configSchema: replicasSchema,
  validateStack: (args, reportViolation) => {
    const config = configOf<RdsReadReplicasConfig>(replicasSchema, args);
    if (!config.production) args.notApplicable("production rule: the stack's policy config does not set production: true");
    const dbs = args.resources.filter((r) => r.type === TYPES.rdsInstance);
    for (const primary of dbs.filter((d) => !isReadReplica(d.props))) {
      const ids = [primary.props.identifier, primary.props.arn, primary.props.id].filter((x) => typeof x === "string" && x !== "");
      const replicas = dbs.filter(
        (d) =>
          isReadReplica(d.props) &&
          (ids.includes(d.props.replicateSourceDb) || (d.propertyDependencies.replicateSourceDb ?? []).some((x) => x.urn === primary.urn)),
      );
      if (replicas.length < config.minReplicas) {
        reportViolation(`Set ${setting("postgres.replicas")} to at least ${config.minReplicas} (RDS primary ${primary.name} has ${replicas.length}).`, primary.urn);
      }
    }
  },
};

export const RDS_POLICIES = [
  rdsStorageEncrypted,
  rdsNoPublicAccess,
  rdsBackupRetention,
  rdsDeletionProtectionInProd,
  rdsMultiAzInProd,
  rdsPerformanceInsights,
  rdsForceSsl,
  rdsReadReplicasInProd,
];
