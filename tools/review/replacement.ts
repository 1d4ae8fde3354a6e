/**
 * Which input changes make the provider replace (delete + create) a data-bearing
 * resource instead of updating it in place, and which input holds the resource's
 * fixed physical name.
 *
 * @pulumi/aws 7.x is bridged from the Terraform AWS provider (v6): an input marked
 * `ForceNew` in the Terraform resource schema is a replacement in Pulumi. The lists
 * below are read from those schemas (hashicorp/terraform-provider-aws,
 * internal/service/<service>/<resource>.go, the `ForceNew: true` fields), with the
 * Terraform names in Pulumi's camelCase. Only inputs this project can set, or that a
 * reviewer should know, are listed; the `source` of each entry names the file.
 */

export interface ReplacementRule {
  /** Top-level inputs whose change forces a replacement. */
  forcesReplacement: string[];
  /** Changes that force a replacement only in some cases, and when (printed as a note). */
  conditional?: Record<string, string>;
  /** Input holding a fixed physical name AWS keeps unique; a replacement that keeps it collides. */
  physicalName?: string;
  /** What the name collision looks like at deploy. */
  collision?: string;
  /** Where the list comes from. */
  source: string;
}

const TF = "hashicorp/terraform-provider-aws internal/service";

/** Data-bearing resource types, keyed by Pulumi type token. */
export const REPLACEMENT_RULES: Record<string, ReplacementRule> = {
  "aws:rds/instance:Instance": {
    forcesReplacement: [
      "availabilityZone", "characterSetName", "customIamInstanceProfile", "dbName", "engine", "identifierPrefix", "kmsKeyId",
      "ncharCharacterSetName", "restoreToPointInTime", "s3Import", "snapshotIdentifier", "storageEncrypted", "timezone", "username",
    ],
    // `identifier` itself is renamed in place since provider v5 (hashicorp/terraform-provider-aws#32590): not listed.
    physicalName: "identifier",
    collision: "DBInstanceAlreadyExists",
    source: `${TF}/rds/instance.go`,
  },
  "aws:rds/parameterGroup:ParameterGroup": {
    forcesReplacement: ["name", "namePrefix", "family", "description"],
    physicalName: "name",
    collision: "DBParameterGroupAlreadyExists",
    source: `${TF}/rds/parameter_group.go`,
  },
  "aws:rds/subnetGroup:SubnetGroup": {
    forcesReplacement: ["name", "namePrefix"],
    physicalName: "name",
    collision: "DBSubnetGroupAlreadyExists",
    source: `${TF}/rds/subnet_group.go`,
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": {
    forcesReplacement: [
      "replicationGroupId", "port", "subnetGroupName", "atRestEncryptionEnabled", "kmsKeyId", "dataTieringEnabled", "networkType",
      "globalReplicationGroupId", "securityGroupNames", "snapshotArns", "snapshotName",
    ],
    conditional: {
      transitEncryptionEnabled: "only below Redis 7.0.5 (engine_version_actual), where transit encryption is fixed at creation",
      engineVersion: "on a downgrade",
      engine: "on a change from valkey back to redis",
    },
    physicalName: "replicationGroupId",
    collision: "ReplicationGroupAlreadyExists",
    source: `${TF}/elasticache/replication_group.go`,
  },
  "aws:elasticache/parameterGroup:ParameterGroup": {
    forcesReplacement: ["name", "family", "description"],
    physicalName: "name",
    collision: "CacheParameterGroupAlreadyExists",
    source: `${TF}/elasticache/parameter_group.go`,
  },
  "aws:elasticache/subnetGroup:SubnetGroup": {
    forcesReplacement: ["name"],
    physicalName: "name",
    collision: "CacheSubnetGroupAlreadyExists",
    source: `${TF}/elasticache/subnet_group.go`,
  },
  "aws:secretsmanager/secret:Secret": {
    forcesReplacement: ["name", "namePrefix"],
    physicalName: "name",
    // A deleted secret keeps its name for the recovery window.
    collision: "ResourceExistsException (or InvalidRequestException while the old secret is scheduled for deletion)",
    source: `${TF}/secretsmanager/secret.go`,
  },
  "aws:lb/targetGroup:TargetGroup": {
    forcesReplacement: ["name", "namePrefix", "port", "protocol", "protocolVersion", "targetType", "vpcId", "ipAddressType"],
    physicalName: "name",
    collision: "DuplicateTargetGroupName (the provider: \"ELBv2 Target Group (...) already exists\")",
    source: `${TF}/elbv2/target_group.go`,
  },
  "aws:kms/key:Key": {
    forcesReplacement: ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"],
    source: `${TF}/kms/key.go`,
  },
  "aws:cloudwatch/logGroup:LogGroup": {
    forcesReplacement: ["name", "namePrefix", "logGroupClass"],
    physicalName: "name",
    collision: "ResourceAlreadyExistsException",
    source: `${TF}/logs/group.go`,
  },
};

/** True for the types whose replacement or deletion can lose data or break clients. */
export function isDataBearing(type: string): boolean {
  return type in REPLACEMENT_RULES;
}

/** The changed inputs that force a replacement of a resource of this type (in the table's order). */
export function replacingProperties(type: string, changed: string[]): string[] {
  const rule = REPLACEMENT_RULES[type];
  if (!rule) return [];
  return rule.forcesReplacement.filter((p) => changed.includes(p));
}
