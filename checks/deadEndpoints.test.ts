/**
 * The real checks against endpoints that are dead (nothing listening) or hung (accept,
 * never answer): every check ends FAIL, fast, with the endpoint in the message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StackOutputs } from "../components/contract/outputs";
import { runSuite } from "./suite";
import { deadOutputs, hangingServer } from "./testing/fakes";

let hung: Awaited<ReturnType<typeof hangingServer>>;
let dead: StackOutputs;

beforeAll(async () => {
  hung = await hangingServer();
  dead = await deadOutputs();
});
afterAll(() => hung.close());

describe("dead and hung endpoints", () => {
  it("every check fails within milliseconds when nothing listens", async () => {
    const r = await runSuite(dead, { hooks: [] });
    expect(r.results.length).toBeGreaterThan(15);
    for (const x of r.results) {
      expect(x.status, x.id).toBe("FAIL");
      expect(x.message, x.id).toMatch(/127\.0\.0\.1:\d+/);
    }
    expect(r.wallTimeMs).toBeLessThan(1_500);
    expect(r.exitCode).toBe(2);
  });

  it("a hung Redis (accepts, never answers) fails at the connect deadline (2 s), before a longer check timeout", async () => {
    const o = structuredClone(dead);
    o.redis.primary = { host: "127.0.0.1", port: hung.port };
    o.redis.sentinels = [];
    const r = await runSuite(o, { only: "redis.primary", timeoutMs: 4_000, hooks: [] });
    expect(r.results[0]).toMatchObject({ status: "FAIL", message: `timed out after 2000 ms connecting to Redis master at 127.0.0.1:${hung.port} (it accepts connections but does not answer)` });
    expect(r.results[0].durationMs).toBeLessThan(3_000);
  });

  it("a hung Redis with a check timeout below the connect deadline fails at the check timeout", async () => {
    const o = structuredClone(dead);
    o.redis.primary = { host: "127.0.0.1", port: hung.port };
    o.redis.sentinels = [];
    const r = await runSuite(o, { only: "redis.primary", timeoutMs: 800, hooks: [] });
    expect(r.results[0].status).toBe("FAIL");
    expect(r.results[0].message).toMatch(new RegExp(`^timed out after 800 ms .*connecting to Redis master at 127\\.0\\.0\\.1:${hung.port}`));
    expect(r.results[0].durationMs).toBeLessThan(1_300);
  });

  it("a hung Postgres fails at the connect timeout (2 s), before a longer check timeout", async () => {
    const o = structuredClone(dead);
    o.postgres.primary = { host: "127.0.0.1", port: hung.port };
    const r = await runSuite(o, { only: "postgres.primary-writable", timeoutMs: 4_000, hooks: [] });
    expect(r.results[0]).toMatchObject({ status: "FAIL", message: `timed out after 2000 ms connecting to Postgres primary at 127.0.0.1:${hung.port}/app` });
    expect(r.results[0].durationMs).toBeLessThan(3_000);
  });

  it("the deadline bounds a suite of hung endpoints", async () => {
    const o = structuredClone(dead);
    const at = { host: "127.0.0.1", port: hung.port };
    o.redis.primary = at;
    o.redis.nodes = [{ name: "n1", ...at }];
    o.redis.sentinels = [at];
    o.postgres.primary = at;
    o.postgres.replicas = [{ id: "r1", ...at }];
    o.pgbouncer.endpoint = at;
    const t0 = Date.now();
    const r = await runSuite(o, { timeoutMs: 10_000, deadlineMs: 1_200, hooks: [] });
    expect(Date.now() - t0).toBeLessThan(2_500);
    expect(r.results.every((x) => x.status === "FAIL")).toBe(true);
    expect(r.results.some((x) => /suite deadline of 1200 ms/.test(x.message))).toBe(true);
  });
});
