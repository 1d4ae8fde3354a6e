/** The example application's pure parts: what it takes from the contract, and how it measures. */
import { describe, expect, it } from "vitest";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { errorKind, failureWindowMs, redisOptions, retryableRedisError } from "./app";
import { appConfig, AppConfigError } from "./config";
import { main } from "./cli";

describe("appConfig", () => {
  it("takes the application's half only: Sentinels, master name, its own Redis user, the pools", () => {
    const o = sampleOutputs();
    const c = appConfig(o, "fixture");
    expect(c.redis).toMatchObject({ sentinels: o.application.redis.sentinels, masterName: "datatier", username: "app", password: o.applicationCredentials.redisPassword, tls: false });
    expect(c.readWrite).toMatchObject({ host: "127.0.0.1", database: "app", user: "app", password: o.applicationCredentials.readWrite.password });
    expect(c.readOnly).toMatchObject({ database: "app_ro", user: "app_readonly" });
    // Nothing of the operator's reaches it.
    for (const pw of Object.values(o.credentials)) expect(JSON.stringify(c)).not.toContain(pw);
  });

  it("names every missing or malformed field at once, never a value", () => {
    const o = sampleOutputs() as any;
    delete o.application.redis.sentinels;
    o.applicationCredentials.redisPassword = 42;
    o.application.readWrite.port = "x-secret-x";
    const e = (() => {
      try {
        appConfig(o, "outputs.json");
      } catch (x) {
        return x as Error;
      }
    })()!;
    expect(e).toBeInstanceOf(AppConfigError);
    expect(e.message).toMatch(/3 problems/);
    for (const f of ["application.redis.sentinels", "applicationCredentials.redisPassword", "application.readWrite.port"]) expect(e.message).toContain(f);
    expect(e.message).not.toContain("x-secret-x");
    expect(() => appConfig({ ...sampleOutputs(), contractVersion: 2 }, "old.json")).toThrow(/contractVersion is 2; this application reads contract version 3/);
  });

  it("configures ioredis in Sentinel mode with auth on the Sentinels, or on the primary endpoint where there are none (AWS)", () => {
    const c = appConfig(sampleOutputs(), "fixture");
    const s = redisOptions(c.redis);
    expect(s).toMatchObject({ name: "datatier", sentinels: c.redis.sentinels, username: "app", sentinelUsername: "app", sentinelPassword: c.redis.password, failoverDetector: true });
    expect((s.reconnectOnError as (e: Error) => unknown)(new Error("READONLY You can't write against a read only replica."))).toBe(2);
    expect((s.reconnectOnError as (e: Error) => unknown)(new Error("WRONGTYPE"))).toBe(false);
    const aws = redisOptions({ ...c.redis, sentinels: [], masterName: null, tls: true });
    expect(aws).toMatchObject({ host: c.redis.primary.host, port: c.redis.primary.port, tls: {} });
    expect(aws).not.toHaveProperty("sentinels");
  });
});

describe("measuring from the application's side", () => {
  it("the failure window runs from the last success before a failure to the first success after it", () => {
    const ev = (at: number, ok: boolean) => ({ at, ok });
    expect(failureWindowMs([ev(0, true), ev(10, true)])).toBe(0);
    expect(failureWindowMs([ev(0, true), ev(100, false), ev(900, false), ev(1000, true), ev(1010, true)])).toBe(1000);
    // The longest of two outages; an outage still on at the end counts up to the last event.
    expect(failureWindowMs([ev(0, true), ev(50, false), ev(300, true), ev(400, true), ev(500, false), ev(2400, false)])).toBe(2000);
  });

  it("retries what a failover produces and nothing else; names errors briefly", () => {
    for (const m of ["READONLY You can't write against a read only replica.", "NOREPLICAS Not enough good replicas to write.", "Connection is closed.", "connect ECONNREFUSED 127.0.0.1:1", "All sentinels are unreachable. Retrying from scratch after 10ms.", "LOADING Redis is loading the dataset in memory"]) expect(retryableRedisError(m), m).toBe(true);
    for (const m of ["WRONGTYPE Operation against a key holding the wrong kind of value", "NOPERM this user has no permissions to run the 'config|get' command", "ERR syntax error"]) expect(retryableRedisError(m), m).toBe(false);
    expect(errorKind("Reached the max retries per request limit (which is 2). Refer to \"maxRetriesPerRequest\" option for details.")).toBe("gave up after retries (connection lost)");
    expect(errorKind("NOREPLICAS Not enough good replicas to write.")).toBe("NOREPLICAS");
  });
});

describe("the command line", () => {
  it("reports every usage problem at once, exit 2, no stack trace", async () => {
    const err: string[] = [];
    const orig = console.error;
    console.error = (m: string) => err.push(m);
    try {
      expect(await main(["drill", "nope", "--seconds", "-1", "--bogus", "x"])).toBe(2);
    } finally {
      console.error = orig;
    }
    const text = err.join("\n");
    expect(text).toMatch(/drill: "nope" is not one of redis, postgres-replica/);
    expect(text).toMatch(/--bogus: unknown option/);
    expect(text).toMatch(/--outputs: expected/);
    expect(text).toMatch(/--seconds: expected/);
    expect(text).not.toMatch(/\n\s+at /);
  });
});
