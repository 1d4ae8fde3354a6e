/**
 * ElastiCache (Redis / Valkey) replication group policies: encryption at rest and in
 * transit, authentication, failover and Multi-AZ in production, node count, snapshots
 * in production, a supported engine version.
 */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { configOf, productionSchema, requireProduction, setting } from "./common";

export const elasticacheEncryptionAtRest: ResourceValidationPolicy = {
  name: "elasticache-encryption-at-rest",
  description: "ElastiCache replication groups encrypt data at rest (nodes, snapshots, swap).",
  severity: "high",
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, _args, reportViolation) => {
    if (rg.atRestEncryptionEnabled !== true) reportViolation(`Set ${setting("redis.atRestEncryption")} to true.`);
  }),
};

export const elasticacheEncryptionInTransit: ResourceValidationPolicy = {
  name: "elasticache-encryption-in-transit",
  description: "ElastiCache replication groups accept only TLS connections.",
  severity: "high",
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, _args, reportViolation) => {
    if (rg.transitEncryptionEnabled !== true) reportViolation(`Set ${setting("redis.transitEncryption")} to true.`);
  }),
};

export const elasticacheAuthRequired: ResourceValidationPolicy = {
  name: "elasticache-auth-required",
  description: "ElastiCache replication groups require authentication: an AUTH token or an RBAC user group.",
  severity: "critical",
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, _args, reportViolation) => {
    // The token is a secret, often unknown during preview: look at its descriptor (no proxy read), never at its value.
    const token = Reflect.getOwnPropertyDescriptor(rg, "authToken")?.value;
    const hasToken = token !== undefined && token !== null && token !== "";
    const hasUserGroup = "userGroupIds" in rg && Array.isArray(rg.userGroupIds) && rg.userGroupIds.length > 0;
    if (!hasToken && !hasUserGroup) reportViolation("Set authToken (the component's generated AUTH token) or userGroupIds (an RBAC user group) on the ElastiCache replication group.");
  }),
};

const prodOnly = productionSchema();

export const elasticacheAutomaticFailoverInProd: ResourceValidationPolicy = {
  name: "elasticache-automatic-failover-in-prod",
  description: "In production, ElastiCache promotes a replica automatically when the primary fails.",
  severity: "high",
  configSchema: prodOnly,
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, args, reportViolation) => {
    requireProduction(configOf(prodOnly, args), args);
    if (rg.automaticFailoverEnabled !== true) reportViolation(`Set ${setting("redis.automaticFailover")} to true.`);
  }),
};

export const elasticacheMultiAzInProd: ResourceValidationPolicy = {
  name: "elasticache-multi-az-in-prod",
  description: "In production, ElastiCache places primary and replicas in different availability zones.",
  severity: "high",
  configSchema: prodOnly,
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, args, reportViolation) => {
    requireProduction(configOf(prodOnly, args), args);
    if (rg.multiAzEnabled !== true) reportViolation(`Set ${setting("redis.multiAz")} to true.`);
  }),
};

/** Nodes a replication group will run, from whichever sizing inputs it uses. */
export function replicationGroupNodes(rg: { numCacheClusters?: number; numNodeGroups?: number; replicasPerNodeGroup?: number }): number {
  if (typeof rg.numCacheClusters === "number") return rg.numCacheClusters;
  return (rg.numNodeGroups ?? 1) * (1 + (rg.replicasPerNodeGroup ?? 0));
}

export interface ElasticacheMinNodesConfig {
  minNodes: number;
}

// At most 6: a primary and up to 5 read replicas (AWS::ElastiCache::ReplicationGroup reference).
const nodesSchema = {
  properties: { minNodes: { type: "integer", minimum: 2, maximum: 6, default: 2, description: "Fewest nodes a replication group runs (primary + replicas)." } },
} as const;

export const elasticacheMinNodes: ResourceValidationPolicy = {
  name: "elasticache-min-nodes",
  description: "ElastiCache replication groups run at least minNodes (default 2) nodes, so there is a replica to fail over to.",
  severity: "high",
  configSchema: nodesSchema,
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, args, reportViolation) => {
    const { minNodes } = configOf<ElasticacheMinNodesConfig>(nodesSchema, args);
    const nodes = replicationGroupNodes(rg);
    const shards = rg.numCacheClusters === undefined ? (rg.numNodeGroups ?? 1) : 1;
    if (nodes < minNodes) reportViolation(`Set ${setting("redis.replicas")} to at least ${Math.ceil(minNodes / shards) - 1} (the group has ${nodes} node(s), fewer than ${minNodes}).`);
  }),
};

export interface ElasticacheSnapshotConfig {
  production: boolean;
  minRetentionDays: number;
}

const snapshotSchema = productionSchema({
  minRetentionDays: { type: "integer", minimum: 1, maximum: 35, default: 1, description: "Fewest days of automatic snapshots kept in production." },
});

export const elasticacheSnapshotRetentionInProd: ResourceValidationPolicy = {
  name: "elasticache-snapshot-retention-in-prod",
  description: "In production, ElastiCache keeps automatic snapshots (retention > 0, at least minRetentionDays).",
  severity: "medium",
  configSchema: snapshotSchema,
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, args, reportViolation) => {
    const config = configOf<ElasticacheSnapshotConfig>(snapshotSchema, args);
    requireProduction(config, args);
    const days = rg.snapshotRetentionLimit ?? 0;
    if (days < config.minRetentionDays) reportViolation(`Set ${setting("redis.snapshotRetentionDays")} to at least ${config.minRetentionDays} (it is ${days}).`);
  }),
};

export interface ElasticacheEngineVersionConfig {
  supportedVersions: Record<string, string[]>;
}

/** ElastiCache versions in standard support (major.minor); older ones are end-of-life or extended-support only. */
export const SUPPORTED_ENGINE_VERSIONS: Readonly<Record<string, string[]>> = Object.freeze({
  redis: ["7.0", "7.1"],
  valkey: ["7.2", "8.0", "8.1"],
});

const engineSchema = {
  properties: {
    supportedVersions: {
      type: "object",
      additionalProperties: { type: "array", items: { type: "string" } },
      default: SUPPORTED_ENGINE_VERSIONS,
      description: 'Supported "major.minor" versions per engine, e.g. {"redis": ["7.1"], "valkey": ["8.0"]}.',
    },
  },
} as const;

/** "7.1", "7.1.0" and "7.x"-style inputs all reduce to "major.minor" (or "7" for "7.x"). */
export function majorMinor(version: string): string {
  const m = /^(\d+)(?:\.(\d+|x))?/.exec(version);
  if (!m) return version;
  return m[2] === undefined || m[2] === "x" ? m[1] : `${m[1]}.${m[2]}`;
}

export const elasticacheEngineVersion: ResourceValidationPolicy = {
  name: "elasticache-engine-version",
  description: "ElastiCache runs an engine version from the supported list (configurable per engine).",
  severity: "medium",
  configSchema: engineSchema,
  validateResource: validateResourceOfType(aws.elasticache.ReplicationGroup, (rg, args, reportViolation) => {
    const { supportedVersions } = configOf<ElasticacheEngineVersionConfig>(engineSchema, args);
    const engine = rg.engine ?? "redis";
    const allowed = supportedVersions[engine] ?? [];
    const version = rg.engineVersion === undefined ? undefined : majorMinor(String(rg.engineVersion));
    if (version === undefined || !allowed.includes(version)) {
      const choice = allowed.length > 0 ? `one of ${allowed.join(", ")}` : `a version the policy config lists for engine "${engine}"`;
      reportViolation(`Set ${setting("redis.engineVersion")} to ${choice} (it is ${rg.engineVersion ?? "unset"}).`);
    }
  }),
};

export const ELASTICACHE_POLICIES = [
  elasticacheEncryptionAtRest,
  elasticacheEncryptionInTransit,
  elasticacheAuthRequired,
  elasticacheAutomaticFailoverInProd,
  elasticacheMultiAzInProd,
  elasticacheMinNodes,
  elasticacheSnapshotRetentionInProd,
  elasticacheEngineVersion,
];
