/**
 * The rendered redis.conf and sentinel.conf, run for real: a master, a replica and
 * three Sentinels from the Debian packages, on free loopback ports in a fresh temp dir.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import type { RedisSettings } from "../settings/schema";
import { redisHealthCommand, sentinelHealthCommand } from "./docker";
import { REDIS_USERS, type RedisUserPasswords } from "./acl";
import { renderRedisConf, renderSentinelConf } from "./render";
import { freePort, until } from "../../testing/local";

const tag = Math.random().toString(36).slice(2, 10);
const PW: RedisUserPasswords = { application: `app${tag}`, replication: `repl${tag}`, sentinel: `sent${tag}`, monitoring: `mon${tag}`, operator: `op${tag}` };
/** The checks below act as the operator (CONFIG GET, freezes); components/redis/acl.int.test.ts covers each user. */
const PASSWORD = PW.operator;
const base = loadStackSettings("dev").redis;
const settings: RedisSettings = { ...base, maxmemoryMb: 64, ioThreads: 2, slowlogLogSlowerThanUs: 4321, latencyMonitorThresholdMs: 55 };

const root = mkdtempSync(join(tmpdir(), "redis-render-it-"));
const procs: ChildProcess[] = [];
const clients: Redis[] = [];
let masterPort = 0;
let replicaPort = 0;
const sentinelPorts: number[] = [];


function start(bin: string, conf: string, log: string): void {
  const p = spawn(bin, [conf], { stdio: ["ignore", "ignore", "pipe"] });
  p.stderr?.on("data", (d) => writeFileSync(log, d, { flag: "a" }));
  procs.push(p);
}

function client(port: number, password?: string): Redis {
  // No ready check: without a password it would fail with NOAUTH and close the connection.
  const c = new Redis({ host: "127.0.0.1", port, username: password ? REDIS_USERS.operator : undefined, password, enableReadyCheck: false, lazyConnect: true, connectTimeout: 2000, commandTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  c.on("error", () => undefined);
  clients.push(c);
  return c;
}


async function ping(port: number, password?: string): Promise<boolean> {
  const c = client(port, password);
  try {
    await c.connect();
    return (await c.ping()) === "PONG";
  } finally {
    c.disconnect();
  }
}

let master: Redis;
let replica: Redis;
let sentinel: Redis;

beforeAll(async () => {
  masterPort = await freePort();
  replicaPort = await freePort();
  for (let i = 0; i < settings.sentinel.count; i++) sentinelPorts.push(await freePort());

  const nodes = [
    { name: "master", port: masterPort, replicaOf: undefined },
    { name: "replica", port: replicaPort, replicaOf: { host: "127.0.0.1", port: masterPort } },
  ];
  for (const n of nodes) {
    const dir = join(root, n.name);
    mkdirSync(dir);
    const conf = join(dir, "redis.conf");
    writeFileSync(conf, renderRedisConf(settings, { bind: "127.0.0.1", port: n.port, dir, passwords: PW, replicaOf: n.replicaOf, logFile: join(dir, "redis.log") }), { mode: 0o600 });
    start("redis-server", conf, join(dir, "stderr.log"));
  }
  await until("master", () => ping(masterPort, PASSWORD));
  await until("replica", () => ping(replicaPort, PASSWORD));

  sentinelPorts.forEach((port, i) => {
    const dir = join(root, `sentinel-${i}`);
    mkdirSync(dir);
    const conf = join(dir, "sentinel.conf");
    writeFileSync(conf, renderSentinelConf(settings, { bind: "127.0.0.1", port, dir, masterHost: "127.0.0.1", masterPort, passwords: PW, logFile: join(dir, "sentinel.log") }), { mode: 0o600 });
    start("redis-sentinel", conf, join(dir, "stderr.log"));
  });
  for (const port of sentinelPorts) await until(`sentinel on ${port}`, () => ping(port, PASSWORD));

  master = client(masterPort, PASSWORD);
  replica = client(replicaPort, PASSWORD);
  sentinel = client(sentinelPorts[0], PASSWORD);
  await Promise.all([master.connect(), replica.connect(), sentinel.connect()]);
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.disconnect();
  const exits = procs.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => p.once("exit", () => r()))));
  for (const p of procs) p.kill("SIGTERM");
  const hardKill = setTimeout(() => procs.forEach((p) => p.kill("SIGKILL")), 5000);
  await Promise.all(exits);
  clearTimeout(hardKill);
  rmSync(root, { recursive: true, force: true });
}, 20_000);

describe("rendered redis.conf on a real redis-server", () => {
  it("runs with the settings (CONFIG GET)", async () => {
    const get = async (k: string) => ((await master.call("CONFIG", "GET", k)) as string[])[1];
    expect(await get("maxmemory")).toBe(String(64 * 1024 * 1024));
    expect(await get("maxmemory-policy")).toBe(settings.maxmemoryPolicy);
    expect(await get("appendonly")).toBe("yes");
    expect(await get("appendfsync")).toBe("everysec");
    expect(await get("io-threads")).toBe("2");
    expect(await get("lazyfree-lazy-eviction")).toBe("yes");
    expect(await get("lazyfree-lazy-user-del")).toBe("yes");
    expect(await get("slowlog-log-slower-than")).toBe("4321");
    expect(await get("latency-monitor-threshold")).toBe("55");
    expect(await get("save")).toBe("900 1 300 10 60 10000");
  });

  it("refuses the renamed commands", async () => {
    for (const cmd of settings.disabledCommands) {
      await expect(master.call(cmd), cmd).rejects.toThrow(/unknown command/i);
    }
  });

  it("demands AUTH", async () => {
    const anon = client(masterPort);
    await anon.connect();
    await expect(anon.get("k")).rejects.toThrow(/NOAUTH/);
    await expect(anon.call("AUTH", "not-the-password")).rejects.toThrow(/WRONGPASS/);
    // No single password any more: `default` is off whatever is sent; a user and its password work.
    await expect(anon.call("AUTH", PASSWORD)).rejects.toThrow(/WRONGPASS/);
    expect(await anon.call("AUTH", REDIS_USERS.application, PW.application)).toBe("OK");
    // min-replicas-to-write 1: writes wait for the replica to be attached and counted good.
    await until("min_slaves_good_slaves:1", async () => /min_slaves_good_slaves:1/.test(await master.info("replication")));
    await anon.set("after-auth", "1");
  });

  it("attaches the replica, read-only, and replicates writes", async () => {
    await until("master_link_status:up", async () => /master_link_status:up/.test(await replica.info("replication")));
    expect(await master.info("replication")).toMatch(/connected_slaves:1/);
    await master.set("render-it", "v1");
    await until("the write on the replica", async () => (await replica.get("render-it")) === "v1", 5000);
    await expect(replica.set("x", "y")).rejects.toThrow(/READONLY/);
  });

  it("refuses writes (NOREPLICAS) once no replica has acknowledged within min-replicas-max-lag, and takes them again after", async () => {
    const lag = Number(((await master.call("CONFIG", "GET", "min-replicas-max-lag")) as string[])[1]);
    expect(lag).toBe(Math.floor(settings.sentinel.downAfterMs / 1000));
    await master.set("before-freeze", "1");
    const frozen = procs[1];
    frozen.kill("SIGSTOP");
    const t0 = performance.now();
    try {
      let refusedAfterMs = -1;
      await until(
        "NOREPLICAS on the master",
        async () => {
          try {
            await master.set("while-frozen", "1");
            return false;
          } catch (e) {
            if (!/NOREPLICAS/.test((e as Error).message)) throw e;
            refusedAfterMs = performance.now() - t0;
            return true;
          }
        },
        (lag + 5) * 1000,
      );
      // Redis counts a replica good while its last ACK is at most `lag` whole seconds old,
      // recounted once a second: refusal comes after more than lag and within lag + 2 s.
      expect(refusedAfterMs).toBeGreaterThan(lag * 1000 - 1000);
      expect(refusedAfterMs).toBeLessThan((lag + 3) * 1000);
    } finally {
      frozen.kill("SIGCONT");
    }
    await until("writes accepted again", async () => (await master.set("after-freeze", "1").catch(() => null)) === "OK", 5000);
  });
});

describe("the docker healthcheck", () => {
  const sh = (cmd: string) => execFileSync("sh", ["-c", cmd], { timeout: 5000, stdio: "pipe" });
  it("passes as the monitoring user with its password file; fails on a wrong password or a dead port", () => {
    const auth = join(root, "monitor.auth");
    writeFileSync(auth, PW.monitoring, { mode: 0o600 });
    expect(() => sh(redisHealthCommand(auth, masterPort))).not.toThrow();
    const wrong = join(root, "wrong.auth");
    writeFileSync(wrong, "not-the-password");
    expect(() => sh(redisHealthCommand(wrong, masterPort))).toThrow();
    expect(() => sh(redisHealthCommand(auth, 0))).toThrow();
  });

  it("still passes after CONFIG REWRITE (as after a Sentinel reconfiguration), which stores the ACL passwords hashed", async () => {
    const conf = join(root, "master", "redis.conf");
    expect(String(await master.call("CONFIG", "REWRITE"))).toBe("OK");
    const text = readFileSync(conf, "utf8");
    expect(text).toMatch(/^user monitor on #[0-9a-f]{64} /m);
    expect(text).not.toContain(PW.monitoring);
    const auth = join(root, "monitor.auth");
    expect(() => sh(redisHealthCommand(auth, masterPort))).not.toThrow();
  });
});

describe("rendered sentinel.conf on real Sentinels", () => {
  it("knows the master", async () => {
    const addr = (await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", settings.sentinel.masterName)) as string[];
    expect(addr).toEqual(["127.0.0.1", String(masterPort)]);
  });

  it("reaches quorum with the other Sentinels", async () => {
    let answer = "";
    await until(
      "SENTINEL CKQUORUM OK",
      async () => {
        answer = String(await sentinel.call("SENTINEL", "CKQUORUM", settings.sentinel.masterName));
        return answer.startsWith("OK");
      },
      20_000,
    );
    expect(answer).toMatch(new RegExp(`^OK ${settings.sentinel.count} usable Sentinels`));
  });

  it("rewrote its own config file (it must be writable)", async () => {
    const text = readFileSync(join(root, "sentinel-0", "sentinel.conf"), "utf8");
    expect(text).toMatch(/sentinel myid [0-9a-f]{40}/);
  });

  // Last: the Sentinel stays in TILT for 30 s afterwards.
  it("health: a Sentinel whose timer stalled past 2 s is in TILT and not healthy, although CKQUORUM still says OK", async () => {
    const auth = join(root, "monitor.auth");
    writeFileSync(auth, PW.monitoring, { mode: 0o600 });
    const health = () => execFileSync("sh", ["-c", sentinelHealthCommand(sentinelPorts[0], settings.sentinel.masterName, auth)], { timeout: 5000, stdio: "pipe" });
    expect(() => health()).not.toThrow();
    // What a starved or paused host does to it (seen on the dev stack's engine).
    const p = procs[2];
    p.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 2600));
    p.kill("SIGCONT");
    await until("sentinel_tilt:1", async () => String(await sentinel.call("INFO", "sentinel")).includes("sentinel_tilt:1"), 5000);
    expect(String(await sentinel.call("SENTINEL", "CKQUORUM", settings.sentinel.masterName))).toMatch(/^OK/);
    expect(() => health()).toThrow();
  }, 20_000);
});
