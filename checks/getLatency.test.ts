/**
 * redis.get-latency can WARN and FAIL. The integration tests leave it out of their status
 * comparisons (it follows the shared machine's load: testing/loadSensitive.ts), so its
 * judging is pinned here, against a scripted master whose slowest GETs take a set time.
 */
import { afterEach, describe, expect, it } from "vitest";
import { GET_SAMPLE_SIZE } from "./cache";
import { runSuite } from "./suite";
import { deadOutputs } from "./testing/fakes";
import { fakeRedis, infoText, type FakeRedis } from "./testing/fakeRedis";

const servers: FakeRedis[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A master (no Sentinel) whose first `slow` GETs answer after `ms`, the rest at once. */
async function run(slow: number, ms: number) {
  let gets = 0;
  const srv = await fakeRedis((args) => {
    if (args[0] === "GET") return ++gets <= slow ? new Promise((r) => setTimeout(() => r({ bulk: "v" }), ms)) : { bulk: "v" };
    if (args[0] === "INFO") return infoText({ role: "master", connected_slaves: 0 });
    if (args[0] === "DEL") return 1;
    return "OK";
  });
  servers.push(srv);
  const o = await deadOutputs();
  // Levels far apart, so a loaded machine (late timers, slow fast GETs) cannot move a verdict across one.
  o.thresholds.cacheGetTime = { ...o.thresholds.cacheGetTime, warning: 100, critical: 600 };
  o.redis.sentinels = [];
  o.redis.primary = { host: "127.0.0.1", port: srv.port };
  const r = await runSuite(o, { only: "redis.get-latency", hooks: [] });
  expect(gets).toBe(GET_SAMPLE_SIZE);
  return r.results[0];
}

describe("redis.get-latency judges GET p99 against the stack's levels (here 100 ms warning, 600 ms critical)", () => {
  it("PASS when GETs are fast", async () => {
    expect(await run(0, 0)).toMatchObject({ status: "PASS" });
  });

  it("WARN when the slowest 1% take 250 ms; FAIL when they take 700 ms", async () => {
    // Three slow GETs of 200: the nearest-rank p99 (the 198th) is one of them.
    const warn = await run(3, 250);
    expect(warn.status).toBe("WARN");
    expect(warn.message).toMatch(/^GET p99 \d+(\.\d+)? ms .*: beyond the warning level/);
    expect(warn.measured!.value).toBeGreaterThanOrEqual(250);
    const fail = await run(3, 700);
    expect(fail.status).toBe("FAIL");
    expect(fail.message).toMatch(/beyond the critical level/);
  });
});
