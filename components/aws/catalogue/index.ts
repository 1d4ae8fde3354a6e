/**
 * Committed snapshots of what AWS offers, with their date and source (elasticache.json,
 * rds.json): ElastiCache node types and their capabilities, engine versions as
 * ElastiCache names them, RDS instance classes and engine versions for PostgreSQL 15
 * (rdsEngineVersions.ts). Some of these limits
 * live only in AWS's documentation, not in the API models (data tiering, T1 limits).
 * tools/preflight/refreshCatalogues.ts rewrites them from the read-only Describe calls
 * preflight makes; preflight checks the stack's region against the live account.
 */
import elasticache from "./elasticache.json";
import rds from "./rds.json";
import type { CatalogueProblem } from "./problem";
import type { RdsEngineVersions } from "./rdsEngineVersions";

export type { CatalogueProblem } from "./problem";
export { creatableVersions, rdsEngineVersionProblems, rdsEngineVersions, type RdsEngineVersions } from "./rdsEngineVersions";

export interface NodeTypeCapabilities {
  generation: "current" | "previous";
  /** Snapshots (SnapshotRetentionLimit > 0) supported. */
  snapshots: boolean;
  automaticFailover: boolean;
  clusterMode: boolean;
  /** r6gd nodes: ElastiCache requires DataTieringEnabled; elsewhere it is refused. */
  dataTiering: "required" | "unsupported";
}

export const ELASTICACHE_CATALOGUE = elasticache as unknown as {
  source: string;
  date: string;
  regions: string;
  dataTieringMinimum: Record<"redis" | "valkey", string>;
  /** Node families ElastiCache offers only from a Redis OSS version (family, e.g. "r6g", to version). */
  redisMinimumByFamily: Record<string, string>;
  engineVersions: Record<"redis" | "valkey", string[]>;
  nodeTypes: Record<string, NodeTypeCapabilities>;
};

export const RDS_CATALOGUE = rds as unknown as { source: string; date: string; regions: string; engines: Record<string, { instanceClasses: string[]; engineVersions?: RdsEngineVersions }> };

/** Own-property lookup: a node type named "constructor" or "toString" is not in the catalogue. */
export function nodeTypeCapabilities(nodeType: string): NodeTypeCapabilities | undefined {
  return Object.hasOwn(ELASTICACHE_CATALOGUE.nodeTypes, nodeType) ? ELASTICACHE_CATALOGUE.nodeTypes[nodeType] : undefined;
}

/** Orders "6.2" < "7.0" < "7.1"; "5.0.6" compares by its parts. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** RDS instance classes offered for a PostgreSQL major version, or undefined when the catalogue has none for it. */
export function rdsInstanceClasses(engineVersion: string): string[] | undefined {
  return RDS_CATALOGUE.engines[`postgres${engineVersion.split(".")[0]}`]?.instanceClasses;
}

interface RedisLike {
  engine: "redis" | "valkey";
  engineVersion: string;
  nodeType: string;
  snapshotRetentionDays: number;
  automaticFailover: boolean;
  clusterMode: { enabled: boolean };
}

/** What ElastiCache would refuse for this node type and engine version, per the catalogue. */
export function elasticacheCatalogueProblems(r: RedisLike): CatalogueProblem[] {
  const out: CatalogueProblem[] = [];
  const c = ELASTICACHE_CATALOGUE;
  const stamp = `(catalogue of ${c.date})`;
  const versions = c.engineVersions[r.engine];
  if (!versions.includes(r.engineVersion)) {
    const same = versions.filter((v) => v.startsWith(`${r.engineVersion}.`) || r.engineVersion.startsWith(`${v}.`));
    out.push({ path: ["redis", "engineVersion"], message: `is not an ElastiCache ${r.engine} engine version ${stamp}; ElastiCache takes ${versions.join(", ")}${same.length ? ` (for this line: ${same[same.length - 1]})` : ""}` });
  }
  const caps = nodeTypeCapabilities(r.nodeType);
  if (!caps) {
    out.push({ path: ["redis", "nodeType"], message: `is not an ElastiCache node type ${stamp}; e.g. cache.r7g.large, cache.m7g.large, cache.t4g.medium` });
    return out;
  }
  if (!caps.snapshots && r.snapshotRetentionDays > 0) {
    out.push({ path: ["redis", "snapshotRetentionDays"], message: `is ${r.snapshotRetentionDays}; ElastiCache takes no snapshots on ${r.nodeType}: set 0 or choose a current-generation node type` });
  }
  if (!caps.automaticFailover && r.automaticFailover) out.push({ path: ["redis", "automaticFailover"], message: `is true; ElastiCache offers no automatic failover on ${r.nodeType}` });
  if (!caps.clusterMode && r.clusterMode.enabled) out.push({ path: ["redis", "clusterMode", "enabled"], message: `is true; ElastiCache offers no cluster mode on ${r.nodeType}` });
  const family = r.nodeType.split(".")[1];
  const familyMin = Object.hasOwn(c.redisMinimumByFamily, family) ? c.redisMinimumByFamily[family] : undefined;
  if (r.engine === "redis" && familyMin !== undefined && compareVersions(r.engineVersion, familyMin) < 0) {
    out.push({ path: ["redis", "engineVersion"], message: `is ${r.engineVersion}; ElastiCache offers ${family} nodes only from Redis OSS ${familyMin} ${stamp}` });
  }
  const min = c.dataTieringMinimum[r.engine];
  if (caps.dataTiering === "required" && compareVersions(r.engineVersion, min) < 0) {
    out.push({ path: ["redis", "engineVersion"], message: `is ${r.engineVersion}; ${r.nodeType} runs with data tiering, which ElastiCache offers from ${r.engine} ${min}` });
  }
  return out;
}

/** micro < small < medium < large < xlarge < 2xlarge < ... (for messages). */
function sizeRank(size: string): number {
  const named = ["nano", "micro", "small", "medium", "large", "xlarge"].indexOf(size);
  return named >= 0 ? named : 5 + Number.parseInt(size, 10);
}

/** What RDS would refuse for the instance classes, per the catalogue. */
export function rdsCatalogueProblems(p: { engineVersion: string; instanceClass: string; replicaInstanceClass?: string; replicas: number }): CatalogueProblem[] {
  const classes = rdsInstanceClasses(p.engineVersion);
  if (!classes) return [];
  const out: CatalogueProblem[] = [];
  const check = (key: "instanceClass" | "replicaInstanceClass", cls: string | undefined) => {
    if (cls === undefined || classes.includes(cls)) return;
    const family = cls.split(".").slice(0, 2).join(".");
    const sizes = classes.filter((x) => x.startsWith(`${family}.`)).map((x) => x.split(".")[2]).sort((a, b) => sizeRank(a) - sizeRank(b));
    out.push({ path: ["postgres", key], message: `is not an RDS instance class for PostgreSQL ${p.engineVersion.split(".")[0]} (catalogue of ${RDS_CATALOGUE.date})${sizes.length ? `; ${family} comes in ${sizes.join(", ")}` : ""}` });
  };
  check("instanceClass", p.instanceClass);
  check("replicaInstanceClass", p.replicaInstanceClass);
  return out;
}
