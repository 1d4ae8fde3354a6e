/**
 * Gray failures the suite must name correctly (issue 16): a silent Sentinel judged like a
 * refused one at the connect deadline, quorum from CKQUORUM's own answer, TILT, a second
 * master, concurrent connections with their own labels, pool waits that say what they
 * measured. Scripted RESP servers (testing/fakeRedis.ts) stage what a healthy topology
 * cannot show on demand; the fault matrix on the sandbox covers the real processes.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { StackOutputs } from "../components/contract/outputs";
import { judgeQuorum, replicaLine, STALE_ACK_SECONDS } from "./cache";
import { describePoolWait, staleOnly, type PoolRow } from "./pgbouncer";
import { runChecks } from "./runner";
import { runSuite } from "./suite";
import { deadOutputs, fakeCheck, freePort, hangingServer } from "./testing/fakes";
import { fakeRedis, infoText, type FakeRedis, type Reply } from "./testing/fakeRedis";

const servers: FakeRedis[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
let hung: Awaited<ReturnType<typeof hangingServer>> | undefined;
afterAll(async () => hung?.close());

interface SentinelScript {
  master: { host: string; port: number };
  ckquorum?: Reply;
  tilt?: boolean;
}

async function fakeSentinel(s: SentinelScript): Promise<{ host: string; port: number }> {
  const srv = await fakeRedis((args) => {
    // Sentinels require auth: the suite logs in as the monitoring user (sampleOutputs' fixture password).
    if (args[0] === "AUTH") return args[1] === "monitor" && args[2] === "fixture-redis-monitor-password-61b2" ? "OK" : { error: "WRONGPASS invalid username-password pair or user is disabled." };
    if (args[0] === "PING") return "PONG";
    if (args[0] === "INFO") return infoText({ sentinel_masters: 1, sentinel_tilt: s.tilt ? 1 : 0 });
    if (args[0] === "SENTINEL" && /get-master-addr-by-name/i.test(args[1])) return [{ bulk: s.master.host }, { bulk: String(s.master.port) }];
    if (args[0] === "SENTINEL" && /ckquorum/i.test(args[1])) return s.ckquorum ?? "OK 3 usable Sentinels. Quorum and failover authorization can be reached";
    return { error: `ERR unknown command '${args[0]}'` };
  });
  servers.push(srv);
  return { host: "127.0.0.1", port: srv.port };
}

/** A data node answering INFO replication with `role` (and accepting AUTH). */
async function fakeNode(role: "master" | "slave", master?: { host: string; port: number }): Promise<{ host: string; port: number }> {
  const srv = await fakeRedis((args) => {
    if (args[0] === "AUTH" || args[0] === "PING") return args[0] === "PING" ? "PONG" : "OK";
    if (args[0] === "INFO") return role === "master" ? infoText({ role: "master", connected_slaves: 0 }) : infoText({ role: "slave", master_host: master!.host, master_port: master!.port, master_link_status: "up", master_last_io_seconds_ago: 0 });
    return { error: "ERR not scripted" };
  });
  servers.push(srv);
  return { host: "127.0.0.1", port: srv.port };
}

async function withSentinels(list: { host: string; port: number }[]): Promise<StackOutputs> {
  const o = await deadOutputs();
  o.redis.sentinels = list;
  return o;
}

const statuses = (r: { results: { id: string; status: string }[] }) => Object.fromEntries(r.results.map((x) => [x.id, x.status]));

describe("one silent Sentinel of three", () => {
  it("gets the same verdicts and exit code as a refused one, within the connect deadline (< 5 s)", async () => {
    hung = await hangingServer();
    const master = await fakeNode("master");
    const healthy = [await fakeSentinel({ master }), await fakeSentinel({ master })];
    const refused = await withSentinels([...healthy, { host: "127.0.0.1", port: await freePort() }]);
    refused.redis.nodes = [{ name: "redis-master", ...master }];
    refused.redis.primary = master;
    const silent = structuredClone(refused);
    silent.redis.sentinels[2] = { host: "127.0.0.1", port: hung.port };
    const only = "redis.sentinel-agreement,redis.sentinel-quorum,redis.primary,redis.node";
    const a = await runSuite(refused, { only, hooks: [] });
    const t0 = Date.now();
    const b = await runSuite(silent, { only, hooks: [] });
    const took = Date.now() - t0;
    expect(took).toBeLessThan(5_000);
    expect(statuses(b)).toEqual(statuses(a));
    expect(statuses(b)).toMatchObject({ "redis.sentinel-agreement": "WARN", "redis.sentinel-quorum": "PASS", "redis.primary": "PASS" });
    expect(b.exitCode).toBe(a.exitCode);
    const agreement = b.results.find((x) => x.id === "redis.sentinel-agreement")!.message;
    expect(agreement).toContain(`127.0.0.1:${hung.port} (timed out after 2000 ms connecting to Sentinel at 127.0.0.1:${hung.port} (it accepts connections but does not answer))`);
    expect(a.results.find((x) => x.id === "redis.sentinel-agreement")!.message).toMatch(/connection refused/);
  });
});

describe("redis.sentinel-quorum", () => {
  it("shows Sentinel's own NOQUORUM answer and FAILs when no Sentinel has quorum", async () => {
    const master = { host: "127.0.0.1", port: await freePort() };
    const noq = { error: "NOQUORUM 1 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master" };
    const o = await withSentinels([await fakeSentinel({ master, ckquorum: noq }), await fakeSentinel({ master, ckquorum: noq })]);
    const r = await runSuite(o, { only: "redis.sentinel-quorum", hooks: [] });
    expect(r.results[0].status).toBe("FAIL");
    expect(r.results[0].message).toMatch(/^no Sentinel out of TILT has its quorum: no failover can be authorized; Sentinel at 127\.0\.0\.1:\d+: NOQUORUM 1 usable Sentinels/);
  });

  it("WARNs when a Sentinel is in TILT but another has quorum; FAILs when every one is in TILT", async () => {
    const master = { host: "127.0.0.1", port: await freePort() };
    const one = await withSentinels([await fakeSentinel({ master, tilt: true }), await fakeSentinel({ master })]);
    const r1 = await runSuite(one, { only: "redis.sentinel-quorum", hooks: [] });
    expect(r1.results[0].status).toBe("WARN");
    expect(r1.results[0].message).toMatch(/^1 of 2 Sentinel\(s\) have quorum out of TILT .*; Sentinel at 127\.0\.0\.1:\d+ \(in TILT\): OK 3 usable/);
    const all = await withSentinels([await fakeSentinel({ master, tilt: true }), await fakeSentinel({ master, tilt: true })]);
    const r2 = await runSuite(all, { only: "redis.sentinel-quorum", hooks: [] });
    expect(r2.results[0].status).toBe("FAIL");
    expect(r2.results[0].message).toMatch(/^every Sentinel that answered is in TILT and would not fail over/);
  });

  it("judges from the answers (pure)", () => {
    const ok = { at: "a:1", answer: "OK 3 usable Sentinels", ok: true, tilt: false };
    expect(judgeQuorum([ok, { ...ok, at: "b:2" }], []).status).toBe("PASS");
    expect(judgeQuorum([ok], ["c:3 (connection refused)"])).toMatchObject({ status: "PASS", message: expect.stringContaining("not answering: c:3 (connection refused)") });
    expect(judgeQuorum([ok, { at: "b:2", answer: "NOQUORUM 1 usable", ok: false, tilt: false }], []).status).toBe("WARN");
    expect(judgeQuorum([], ["a:1 (timed out)"])).toMatchObject({ status: "FAIL", message: "no Sentinel answered CKQUORUM: a:1 (timed out)" });
  });
});

describe("a node claiming master that Sentinel does not name", () => {
  it("is FAIL 'two masters' in its node and replica-read checks, not SKIP", async () => {
    const real = await fakeNode("master");
    const stale = await fakeNode("master");
    const o = await withSentinels([await fakeSentinel({ master: real })]);
    o.redis.primary = real;
    o.redis.nodes = [{ name: "redis-0", ...stale }, { name: "redis-1", ...real }];
    const r = await runSuite(o, { only: "redis.replica-read.redis-0,redis.node.redis-0,redis.replica-read.redis-1", hooks: [] });
    const by = Object.fromEntries(r.results.map((x) => [x.id, x]));
    expect(by["redis.replica-read.redis-0"].status).toBe("FAIL");
    expect(by["redis.replica-read.redis-0"].message).toMatch(/^redis-0 \(127\.0\.0\.1:\d+\) claims role master but Sentinel at 127\.0\.0\.1:\d+ names 127\.0\.0\.1:\d+: two masters/);
    expect(by["redis.node.redis-0"]).toMatchObject({ status: "FAIL", message: expect.stringContaining("two masters") });
    // The master Sentinel names still SKIPs its own replica-read.
    expect(by["redis.replica-read.redis-1"].status).toBe("SKIP");
    // Said plainly, not as news: a fresh sandbox starts with this master.
    expect(by["redis.replica-read.redis-1"].message).toMatch(/^redis-1 is the master \(Sentinel at 127\.0\.0\.1:\d+ names it\); nothing to replicate to it$/);
  });
});

describe("concurrent connections in one check", () => {
  it("a timeout names the connection still waiting, not the last one to set a step", async () => {
    const check = fakeCheck("labels", async (ctx) => {
      const slow = ctx.begin!("waiting for Sentinel at 127.0.0.1:1");
      const fast = ctx.begin!("waiting for Sentinel at 127.0.0.1:2");
      const other = ctx.begin!("waiting for Sentinel at 127.0.0.1:3");
      ctx.step?.("waiting for Sentinel at 127.0.0.1:3");
      fast();
      void slow;
      void other;
      await new Promise((r) => setTimeout(r, 5_000));
      return { status: "PASS", message: "unreachable" };
    });
    const r = await runChecks([check], { outputs: await deadOutputs(), defaultTimeoutMs: 200 });
    expect(r.results[0].message).toBe("timed out after 200 ms while waiting for Sentinel at 127.0.0.1:1; waiting for Sentinel at 127.0.0.1:3");
  });

  it("hit-rate names each node in its messages", async () => {
    const o = await deadOutputs();
    o.redis.nodes = [{ name: "redis-a", host: "127.0.0.1", port: await freePort() }];
    const r = await runSuite(o, { only: "redis.hit-rate", hooks: [] });
    expect(r.results[0].message).toMatch(/^no node answered INFO stats: cannot connect to Redis node redis-a at/);
  });
});

describe("pgbouncer.pools says what it measured", () => {
  const row = (over: Partial<PoolRow>): PoolRow => ({ database: "app_ro", user: "app_ro", cl_waiting: "3", sv_active: "0", sv_idle: "0", sv_used: "0", sv_login: "0", maxwait: "4", ...over });
  it("a dead server behind the pool is not saturation", () => {
    expect(describePoolWait(row({}), 100)).toBe('app_ro/app_ro: 3 waiting (longest 4 s), 0 of 100 server connections active, 0 open: not saturation; PgBouncer cannot get server connections (is the server behind "app_ro" down or refusing logins?)');
    expect(describePoolWait(row({ sv_login: "1" }), 100)).toContain("1 still logging in");
  });
  it("every server connection busy is saturation", () => {
    expect(describePoolWait(row({ database: "app", user: "app", sv_active: "100", cl_waiting: "40" }), 100)).toBe("app/app: 40 waiting (longest 4 s), 100 of 100 server connections active: the pool is saturated (every server connection busy)");
  });
});

describe("redis.replicas-connected reads each replica's last ACK", () => {
  it("parses INFO replication's slave line; a replica silent past three ACKs is stale", () => {
    expect(replicaLine("ip=127.0.0.1,port=6380,state=online,offset=123,lag=0")).toEqual({ at: "127.0.0.1:6380", online: true, lag: 0 });
    const frozen = replicaLine("ip=127.0.0.1,port=6381,state=online,offset=99,lag=6");
    expect(frozen.lag > STALE_ACK_SECONDS).toBe(true);
    expect(replicaLine("ip=127.0.0.1,port=6382,state=wait_bgsave,offset=0,lag=0").online).toBe(false);
  });
});

describe("staleOnly: a pool that answers only over server connections opened earlier", () => {
  const pass = { status: "PASS" as const, message: "pool answered" };
  it("turns a PASS into a FAIL naming which server refused a new connection and why", () => {
    const r = staleOnly(pass, "no replica accepts a new connection (replica-1 at 10.0.0.5:5432: timed out after 2000 ms)", 'pool "app_ro" answered');
    expect(r).toEqual({ status: "FAIL", message: 'pool "app_ro" answered, but only over server connections PgBouncer opened earlier: no replica accepts a new connection (replica-1 at 10.0.0.5:5432: timed out after 2000 ms); once those close or more are needed, the pool stalls (a frozen postmaster?)' });
  });
  it("leaves a PASS alone when the server(s) accepted a new connection, and never softens a WARN or FAIL", () => {
    expect(staleOnly(pass, null, "x")).toBe(pass);
    const warn = { status: "WARN" as const, message: "reaches the primary" };
    expect(staleOnly(warn, "the primary at h:1 accepts no new connection (refused)", "x")).toBe(warn);
  });
});
