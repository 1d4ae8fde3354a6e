import { describe, expect, it } from "vitest";
import { runProgram } from "../../testing/harness";
import { loadStackSettings } from "../../components/settings/stackFile";
import { redisReviewSection } from "./redis";

describe("Redis review section", () => {
  it("summarises the prod group and its parameters, without the token", async () => {
    const run = await runProgram({ stack: "prod" });
    const s = await redisReviewSection({ stack: "prod", settings: loadStackSettings("prod"), run });
    expect(s.failed).toBe(false);
    expect(s.text).toContain("group data-tier-prod-redis: 3 node(s)");
    expect(s.text).toContain("automatic failover on, Multi-AZ on, encryption at rest on, in transit on");
    expect(s.text).toContain("maxmemory-policy=allkeys-lru");
    expect(s.text).not.toContain(run.outputs.applicationCredentials.redisPassword);
    expect(s.json).toMatchObject({ nodes: 3, automaticFailover: true, multiAz: true, rbac: true, problems: [] });
    expect(s.text).toContain("auth: ElastiCache RBAC, user group with default (off), app, monitor, operator");
  });

  it("says so when the single AUTH token is kept (an engine without ACLs)", async () => {
    const run = await runProgram({ stack: "prod", overrides: { redis: { engineVersion: "5.0.6" } } });
    const settings = loadStackSettings("prod");
    const s = await redisReviewSection({ stack: "prod", settings: { ...settings, redis: { ...settings.redis, engineVersion: "5.0.6" } }, run });
    expect(s.text).toMatch(/auth: single AUTH token \(engine 5\.0\.6 has no ACLs\): every client, the application included/);
    expect(s.json).toMatchObject({ rbac: false });
  });

  it("counts the dev containers and flags a run that does not match the settings", async () => {
    const run = await runProgram({ stack: "dev" });
    const settings = loadStackSettings("dev");
    const ok = await redisReviewSection({ stack: "dev", settings, run });
    expect(ok.failed).toBe(false);
    expect(ok.text).toContain("1 master + 2 replica(s), 3 Sentinel(s) (quorum 2");
    const expectingMore = { ...settings, redis: { ...settings.redis, replicas: 4 } };
    const bad = await redisReviewSection({ stack: "dev", settings: expectingMore, run });
    expect(bad.failed).toBe(true);
    expect(bad.text).toContain("PROBLEM: expected 5 Redis containers, found 3");
    const broken = await redisReviewSection({ stack: "dev", settings, run: { ...run, outputs: { ...run.outputs, redis: { primary: {} } } } });
    expect(broken.failed).toBe(true);
    expect(broken.text).toMatch(/does not match the contract/);
  });
});
