import { describe, expect, it } from "vitest";
import type { RedisSettings } from "../../settings/schema";
import { loadStackSettings } from "../../settings/stackFile";
import { elasticacheParameterFamily, elasticacheParameters } from "../render";
import { ELASTICACHE_MODIFIABLE, REDIS_CATALOGUE, elasticacheParameterProblems } from "./index";

const prod = loadStackSettings("prod").redis;
const variants: [string, RedisSettings][] = [
  ["redis 7.1", prod],
  ["redis 6.2", { ...prod, engineVersion: "6.2" }],
  ["redis 5.0 without lazy free", { ...prod, engineVersion: "5.0", lazyFree: false }],
  ["valkey 8.0 cluster mode", { ...prod, engine: "valkey", engineVersion: "8.0", clusterMode: { enabled: true, shards: 3 } }],
];

describe("ElastiCache parameters", () => {
  it.each(variants)("%s: only modifiable parameters of the family, with permitted values", (_, s) => {
    const params = elasticacheParameters(s);
    expect(params.length).toBeGreaterThan(3);
    expect(elasticacheParameterProblems(params, elasticacheParameterFamily(s))).toEqual([]);
  });

  it("refuses a parameter ElastiCache does not let a group set, and a value it does not permit", () => {
    expect(elasticacheParameterProblems([{ name: "maxmemory", value: "100mb" }], "redis7")).toEqual(["maxmemory: not a modifiable ElastiCache parameter of family redis7"]);
    expect(elasticacheParameterProblems([{ name: "latency-tracking", value: "yes" }], "redis6.x")[0]).toMatch(/not a modifiable .* redis6.x/);
    expect(elasticacheParameterProblems([{ name: "maxmemory-policy", value: "lru" }], "redis7")[0]).toMatch(/not permitted/);
  });

  it("names only parameters a real Redis knows (redis7.json)", () => {
    for (const name of Object.keys(ELASTICACHE_MODIFIABLE)) expect(REDIS_CATALOGUE.names, name).toContain(name);
  });
});
