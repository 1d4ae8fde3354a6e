/**
 * The live side of the committed catalogues (components/aws/catalogue): what AWS offers
 * in a region, read with the same read-only Describe calls preflight makes. preflight's
 * checks read the stack's own entries through these functions; refreshCatalogues.ts
 * rewrites the committed snapshots from them (with the date and region).
 */
import { DescribeDBEngineVersionsCommand, DescribeOrderableDBInstanceOptionsCommand, type DBEngineVersion, type OrderableDBInstanceOption } from "@aws-sdk/client-rds";
import { DescribeCacheEngineVersionsCommand, DescribeReservedCacheNodesOfferingsCommand, type CacheEngineVersion, type ReservedCacheNodesOffering } from "@aws-sdk/client-elasticache";
import { ELASTICACHE_CATALOGUE, type NodeTypeCapabilities, type RdsEngineVersions } from "../../components/aws/catalogue";
import { pages, type Send } from "./paging";

/** The clients the catalogue calls need (preflight's PreflightClients fit). */
type Clients = { elasticache: Send; rds: Send };

/** ElastiCache engine versions as AWS names them, per engine. */
export async function liveCacheEngineVersions(c: Pick<Clients, "elasticache">, engine: "redis" | "valkey"): Promise<CacheEngineVersion[]> {
  return pages<CacheEngineVersion>(c.elasticache, (Marker) => new DescribeCacheEngineVersionsCommand({ Engine: engine, Marker }), (x) => x.CacheEngineVersions);
}

/** Node types ElastiCache offers in the region (every reserved-node offering names one). */
export async function liveCacheNodeTypes(c: Pick<Clients, "elasticache">): Promise<string[]> {
  const offerings = await pages<ReservedCacheNodesOffering>(c.elasticache, (Marker) => new DescribeReservedCacheNodesOfferingsCommand({ Marker }), (x) => x.ReservedCacheNodesOfferings);
  return [...new Set(offerings.map((o) => o.CacheNodeType).filter((t): t is string => !!t))].sort();
}

/** RDS instance classes orderable for the newest PostgreSQL of a major version in the region. */
export async function liveRdsClasses(c: Pick<Clients, "rds">, major: string): Promise<{ version: string; classes: string[] }> {
  const versions = await pages<DBEngineVersion>(c.rds, (Marker) => new DescribeDBEngineVersionsCommand({ Engine: "postgres", DBParameterGroupFamily: `postgres${major}`, Marker }), (r) => r.DBEngineVersions);
  const version = versions.map((v) => v.EngineVersion).filter((v): v is string => !!v).at(-1);
  if (!version) return { version: "", classes: [] };
  const options = await pages<OrderableDBInstanceOption>(c.rds, (Marker) => new DescribeOrderableDBInstanceOptionsCommand({ Engine: "postgres", EngineVersion: version, Marker }), (r) => r.OrderableDBInstanceOptions);
  return { version, classes: [...new Set(options.map((o) => o.DBInstanceClass).filter((x): x is string => !!x))].sort() };
}

/**
 * RDS PostgreSQL versions of a major as RDS names them, deprecated ones included
 * (IncludeAll: a version RDS stopped creating stays listed, refused with its status), and
 * the default minor RDS picks for the major alone (DefaultOnly).
 */
export async function liveRdsEngineVersions(c: Pick<Clients, "rds">, major: string): Promise<{ versions: DBEngineVersion[]; default?: string }> {
  const family = `postgres${major}`;
  const versions = await pages<DBEngineVersion>(c.rds, (Marker) => new DescribeDBEngineVersionsCommand({ Engine: "postgres", DBParameterGroupFamily: family, IncludeAll: true, Marker }), (r) => r.DBEngineVersions);
  const defaults = await pages<DBEngineVersion>(c.rds, (Marker) => new DescribeDBEngineVersionsCommand({ Engine: "postgres", DBParameterGroupFamily: family, DefaultOnly: true, Marker }), (r) => r.DBEngineVersions);
  return { versions, default: defaults.map((v) => v.EngineVersion).find((v): v is string => !!v) };
}

/** The engineVersions entry of rds.json from live answers: names verbatim, any status but "available" not creatable. */
export function buildRdsEngineVersions(live: { versions: DBEngineVersion[]; default?: string }, date: string, region: string): RdsEngineVersions {
  const named = live.versions.filter((v): v is DBEngineVersion & { EngineVersion: string } => !!v.EngineVersion);
  return {
    source: `DescribeDBEngineVersions (Engine postgres, IncludeAll) in ${region}, refreshed live by tools/preflight/refreshCatalogues.ts`,
    date,
    versions: [...new Set(named.map((v) => v.EngineVersion))],
    notCreatable: Object.fromEntries(named.filter((v) => v.Status !== "available").map((v) => [v.EngineVersion, `status ${v.Status ?? "unknown"} in ${region} on ${date}`])),
    default: live.default ?? null,
  };
}

/**
 * Capabilities of a node type the documentation states by family (the API does not
 * return them): kept from the committed catalogue, or derived for a new type.
 */
export function capabilitiesFor(nodeType: string, previous: Record<string, NodeTypeCapabilities> = ELASTICACHE_CATALOGUE.nodeTypes): NodeTypeCapabilities {
  if (Object.hasOwn(previous, nodeType)) return previous[nodeType];
  const family = nodeType.split(".")[1] ?? "";
  const t1 = family === "t1";
  return { generation: /^(t1|m1|m2|m3|c1|r3)$/.test(family) ? "previous" : "current", snapshots: !t1, automaticFailover: !t1, clusterMode: !t1, dataTiering: /^r\d+gd$/.test(family) ? "required" : "unsupported" };
}

/** The ElastiCache catalogue document from live answers. */
export function buildElastiCacheCatalogue(live: { versions: Record<"redis" | "valkey", string[]>; nodeTypes: string[] }, date: string, region: string): typeof ELASTICACHE_CATALOGUE {
  return {
    ...ELASTICACHE_CATALOGUE,
    date,
    regions: `${region} (refreshed live by tools/preflight/refreshCatalogues.ts)`,
    engineVersions: live.versions,
    nodeTypes: Object.fromEntries(live.nodeTypes.map((t) => [t, capabilitiesFor(t)])),
  };
}
