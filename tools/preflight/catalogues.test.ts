/**
 * The catalogue refresh shares preflight's calls; its pure part keeps what only the
 * documentation says (capabilities) and takes what AWS answers (names).
 */
import { DescribeCacheEngineVersionsCommand, DescribeReservedCacheNodesOfferingsCommand } from "@aws-sdk/client-elasticache";
import { DescribeDBEngineVersionsCommand } from "@aws-sdk/client-rds";
import { describe, expect, it } from "vitest";
import { ELASTICACHE_CATALOGUE } from "../../components/aws/catalogue";
import { buildElastiCacheCatalogue, buildRdsEngineVersions, capabilitiesFor, liveCacheEngineVersions, liveCacheNodeTypes, liveRdsEngineVersions } from "./catalogues";

describe("catalogue refresh", () => {
  it("keeps every committed node type's capabilities and derives a new type's from its family", () => {
    for (const [t, caps] of Object.entries(ELASTICACHE_CATALOGUE.nodeTypes)) expect(capabilitiesFor(t)).toEqual(caps);
    expect(capabilitiesFor("cache.r8gd.xlarge").dataTiering).toBe("required");
    expect(capabilitiesFor("cache.r8g.xlarge")).toEqual({ generation: "current", snapshots: true, automaticFailover: true, clusterMode: true, dataTiering: "unsupported" });
    expect(capabilitiesFor("constructor").generation).toBe("current");
  });

  it("builds the document from live answers, with the date and region", async () => {
    const send = async (cmd: unknown) => {
      if (cmd instanceof DescribeCacheEngineVersionsCommand) return { CacheEngineVersions: cmd.input.Engine === "redis" ? [{ EngineVersion: "7.1" }] : [{ EngineVersion: "8.1" }] };
      if (cmd instanceof DescribeReservedCacheNodesOfferingsCommand) return cmd.input.Marker ? { ReservedCacheNodesOfferings: [{ CacheNodeType: "cache.r6gd.xlarge" }] } : { ReservedCacheNodesOfferings: [{ CacheNodeType: "cache.r7g.large" }, { CacheNodeType: "cache.r7g.large" }], Marker: "p2" };
      throw new Error("unexpected call");
    };
    const c = { elasticache: { send } } as never;
    const versions = { redis: (await liveCacheEngineVersions(c, "redis")).map((v) => v.EngineVersion!), valkey: (await liveCacheEngineVersions(c, "valkey")).map((v) => v.EngineVersion!) };
    const doc = buildElastiCacheCatalogue({ versions, nodeTypes: await liveCacheNodeTypes(c) }, "2027-01-02", "eu-west-1");
    expect(doc.date).toBe("2027-01-02");
    expect(doc.regions).toMatch(/^eu-west-1/);
    expect(doc.engineVersions).toEqual({ redis: ["7.1"], valkey: ["8.1"] });
    expect(Object.keys(doc.nodeTypes)).toEqual(["cache.r6gd.xlarge", "cache.r7g.large"]);
    expect(doc.nodeTypes["cache.r6gd.xlarge"].dataTiering).toBe("required");
  });

  it("builds the RDS PostgreSQL 15 versions from DescribeDBEngineVersions: every page, deprecated ones kept as not creatable, the default", async () => {
    const inputs: unknown[] = [];
    const send = async (cmd: unknown) => {
      if (!(cmd instanceof DescribeDBEngineVersionsCommand)) throw new Error("unexpected call");
      inputs.push(cmd.input);
      if (cmd.input.DefaultOnly) return { DBEngineVersions: [{ EngineVersion: "15.16", Status: "available" }] };
      return cmd.input.Marker
        ? { DBEngineVersions: [{ EngineVersion: "15.16", Status: "available" }, { EngineVersion: "15.17", Status: "available" }] }
        : { DBEngineVersions: [{ EngineVersion: "15.7", Status: "deprecated" }, { EngineVersion: "15.15", Status: "available" }], Marker: "p2" };
    };
    const doc = buildRdsEngineVersions(await liveRdsEngineVersions({ rds: { send } }, "15"), "2027-01-02", "eu-west-1");
    expect(inputs).toContainEqual(expect.objectContaining({ Engine: "postgres", DBParameterGroupFamily: "postgres15", IncludeAll: true }));
    expect(inputs).toContainEqual(expect.objectContaining({ Engine: "postgres", DBParameterGroupFamily: "postgres15", DefaultOnly: true }));
    expect(doc.date).toBe("2027-01-02");
    expect(doc.source).toMatch(/eu-west-1/);
    expect(doc.versions).toEqual(["15.7", "15.15", "15.16", "15.17"]);
    expect(Object.keys(doc.notCreatable)).toEqual(["15.7"]);
    expect(doc.notCreatable["15.7"]).toMatch(/deprecated/);
    expect(doc.default).toBe("15.16");
  });
});
