/**
 * Rewrites the committed catalogues from the live account (read-only calls, the same
 * functions preflight uses):
 *   AWS_REGION=us-east-1 npx tsx tools/preflight/refreshCatalogues.ts
 * Review the diff like any change: a node type or class that disappears makes stacks
 * that use it fail the review.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { RDSClient } from "@aws-sdk/client-rds";
import { RDS_CATALOGUE } from "../../components/aws/catalogue";
import { buildElastiCacheCatalogue, buildRdsEngineVersions, liveCacheEngineVersions, liveCacheNodeTypes, liveRdsClasses, liveRdsEngineVersions } from "./catalogues";

async function main(): Promise<void> {
  const region = process.env.AWS_REGION;
  if (!region) {
    console.error("refreshCatalogues: set AWS_REGION (e.g. us-east-1)");
    process.exit(2);
  }
  const c = { elasticache: new ElastiCacheClient({ region }), rds: new RDSClient({ region }) };
  const date = new Date().toISOString().slice(0, 10);
  const names = async (engine: "redis" | "valkey") => (await liveCacheEngineVersions(c, engine)).map((v) => v.EngineVersion!).filter(Boolean);
  const ec = buildElastiCacheCatalogue({ versions: { redis: await names("redis"), valkey: await names("valkey") }, nodeTypes: await liveCacheNodeTypes(c) }, date, region);
  const dir = join(__dirname, "../../components/aws/catalogue");
  writeFileSync(join(dir, "elasticache.json"), `${JSON.stringify(ec, null, 1)}\n`);
  const pg = await liveRdsClasses(c, "15");
  const versions = buildRdsEngineVersions(await liveRdsEngineVersions(c, "15"), date, region);
  const rds = { ...RDS_CATALOGUE, date, regions: `${region} (PostgreSQL ${pg.version}, refreshed live)`, engines: { ...RDS_CATALOGUE.engines, postgres15: { instanceClasses: pg.classes, engineVersions: versions } } };
  writeFileSync(join(dir, "rds.json"), `${JSON.stringify(rds, null, 1)}\n`);
  console.log(`catalogues refreshed from ${region} on ${date}: ${Object.keys(ec.nodeTypes).length} node types, ${pg.classes.length} RDS classes, ${versions.versions.length} PostgreSQL 15 versions`);
}

main().catch((e: unknown) => {
  console.error(`refreshCatalogues: ${(e as Error).message}`);
  process.exit(1);
});
