/**
 * The committed Redis catalogue (redis7.json) is what a real Redis reports in CONFIG GET *,
 * and every directive the rendered redis.conf sets and every ElastiCache parameter the
 * stack sends is a parameter that Redis knows. Regenerate with
 * `npx tsx components/redis/catalogue/generate.ts`.
 */
import { describe, expect, it } from "vitest";
import { loadStackSettings } from "../../settings/stackFile";
import { elasticacheParameters, renderRedisConf } from "../render";
import { REDIS_CATALOGUE } from "./index";
import { readLiveRedisCatalogue } from "./live";

/** Directives of a redis.conf that are not CONFIG parameters (start-up only). */
// ACL users (and masteruser since 6.0 is a config name) are set at start; `user` is no CONFIG parameter.
const START_ONLY = new Set(["rename-command", "user"]);

describe("the Redis parameter catalogue against a real Redis", () => {
  let live: Awaited<ReturnType<typeof readLiveRedisCatalogue>>;

  it("reads CONFIG GET * of a real Redis 7", async () => {
    live = await readLiveRedisCatalogue();
    expect(live.serverVersion.split(".")[0]).toBe("7");
    expect(live.names.length).toBeGreaterThan(150);
  });

  it("has the same names as the server", () => {
    expect({ onlyInCatalogue: REDIS_CATALOGUE.names.filter((n) => !live.names.includes(n)), onlyOnServer: live.names.filter((n) => !REDIS_CATALOGUE.names.includes(n)) }).toEqual({ onlyInCatalogue: [], onlyOnServer: [] });
  });

  it("knows every directive of the rendered redis.conf and every ElastiCache parameter sent", () => {
    const dev = loadStackSettings("dev").redis;
    const prod = loadStackSettings("prod").redis;
    const conf = renderRedisConf(dev, { bind: "127.0.0.1", port: 6379, dir: "/tmp/x", passwords: { application: "a-123456", replication: "r-123456", sentinel: "s-123456", monitoring: "m-123456", operator: "o-123456" }, replicaOf: { host: "127.0.0.1", port: 6380 }, logFile: "/tmp/x/log", pidFile: "/tmp/x/pid" });
    const directives = [...new Set(conf.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(" ")[0]))];
    expect(directives.length).toBeGreaterThan(20);
    expect(directives.filter((d) => !START_ONLY.has(d) && !live.names.includes(d))).toEqual([]);
    const sent = [...elasticacheParameters(prod), ...elasticacheParameters({ ...prod, clusterMode: { enabled: true, shards: 2 } })].map((p) => p.name);
    expect(sent.filter((n) => !live.names.includes(n))).toEqual([]);
  });
});
