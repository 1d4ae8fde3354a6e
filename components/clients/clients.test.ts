/**
 * The one client wrapper as the sandbox and the drills use it: a refused endpoint fails at
 * once, a silent one (accepts, never answers) at the caller's bound, both naming it; the
 * Postgres session passes the driver's error through (callers read its SQLSTATE / code).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hangingServer } from "../../checks/testing/fakes";
import { freePort } from "../../testing/local";
import { withPg } from "./postgres";
import { currentMaster, sentinelMaster, withRedis } from "./redis";

let hung: Awaited<ReturnType<typeof hangingServer>>;
let closed: number;

beforeAll(async () => {
  hung = await hangingServer();
  closed = await freePort();
});
afterAll(() => hung.close());

async function timed<T>(p: Promise<T>): Promise<{ ms: number; error: string }> {
  const t0 = performance.now();
  const error = await p.then(() => "resolved", (e: Error) => e.message);
  return { ms: performance.now() - t0, error };
}

describe("components/clients: Redis", () => {
  it("a refused Redis fails at once, naming it", async () => {
    const r = await timed(withRedis({ host: "127.0.0.1", port: closed }, (c) => c.ping(), 1500));
    expect(r.error).toBe(`cannot connect to Redis at 127.0.0.1:${closed}: connection refused (nothing listening)`);
    expect(r.ms).toBeLessThan(1000);
  });

  it("a silent Redis fails at the caller's bound, and says it accepts but does not answer", async () => {
    const r = await timed(withRedis({ host: "127.0.0.1", port: hung.port }, (c) => c.ping(), 300, "Sentinel"));
    expect(r.error).toBe(`timed out after 300 ms connecting to Sentinel at 127.0.0.1:${hung.port} (it accepts connections but does not answer)`);
    expect(r.ms).toBeGreaterThanOrEqual(290);
    expect(r.ms).toBeLessThan(3000);
  });

  it("Sentinel lookups give null for dead and silent Sentinels, within their bound", async () => {
    expect(await sentinelMaster({ host: "127.0.0.1", port: hung.port }, "datatier", 200)).toBeNull();
    const r = await timed(currentMaster([{ host: "127.0.0.1", port: closed }, { host: "127.0.0.1", port: hung.port }], "datatier").then((m) => Promise.reject(new Error(String(m)))));
    expect(r.error).toBe("null");
    expect(r.ms).toBeLessThan(3000);
  });
});

describe("components/clients: Postgres", () => {
  it("passes the driver's connect error through (its code intact)", async () => {
    const err = await withPg({ host: "127.0.0.1", port: closed, user: "u", password: "p", database: "d" }, async () => 1, 1000).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it("a silent Postgres fails at the connect bound", async () => {
    const r = await timed(withPg({ host: "127.0.0.1", port: hung.port, user: "u", password: "p", database: "d" }, async () => 1, 400));
    expect(r.error).toMatch(/timeout/i);
    expect(r.ms).toBeGreaterThanOrEqual(390);
    expect(r.ms).toBeLessThan(3000);
  });
});
