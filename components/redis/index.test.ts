/** RedisCluster's own argument checks, before any child resource exists. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { mockCall, mockNewResource } from "../../tools/evaluate/mocks";
import { loadStackSettings } from "../settings/stackFile";
import { RedisCluster, redisNodeCount } from "./index";

const prod = loadStackSettings("prod").redis;
const dev = loadStackSettings("dev").redis;
const aws = { subnetIds: ["subnet-0a11111111111111a"], securityGroupIds: ["sg-0a1b2c3d4e5f60718"] };
const docker = { networkName: "net" };

beforeAll(() => {
  pulumi.runtime.setMocks({ newResource: mockNewResource, call: mockCall }, "data-tier", "unit", false);
});

describe("RedisCluster arguments", () => {
  it("wants exactly one platform", () => {
    expect(() => new RedisCluster("both", { settings: prod, replicationGroupId: "x", aws, docker })).toThrow(/exactly one of "aws" and "docker" \(got both\)/);
    expect(() => new RedisCluster("neither", { settings: prod, replicationGroupId: "x" })).toThrow(/got neither/);
  });

  it("refuses an AWS group without in-transit encryption (no AUTH token possible)", () => {
    expect(() => new RedisCluster("plain", { settings: { ...prod, transitEncryption: false }, replicationGroupId: "x", aws })).toThrow(/redis\.transitEncryption must be true on aws/);
  });

  it("refuses cluster mode on docker", () => {
    expect(() => new RedisCluster("cm", { settings: { ...dev, clusterMode: { enabled: true, shards: 2 } }, replicationGroupId: "x", docker })).toThrow(/clusterMode\.enabled is AWS-only/);
  });

  it("counts data nodes per shard", async () => {
    expect(redisNodeCount(prod)).toBe(3);
    expect(redisNodeCount({ ...prod, replicas: 1, clusterMode: { enabled: true, shards: 4 } })).toBe(8);
    const c = new RedisCluster("ok", { settings: dev, replicationGroupId: "x", docker });
    expect(c.nodeCount).toBe(1 + dev.replicas);
    expect(c.replicationGroupId).toBeUndefined();
    expect(await new Promise((r) => c.memberClusterIds.apply(r))).toEqual([]);
    expect(await pulumi.isSecret(c.password)).toBe(true);
  });
});
