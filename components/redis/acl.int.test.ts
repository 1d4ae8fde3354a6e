/**
 * The ACL users (components/redis/acl.ts), rendered into redis.conf / sentinel.conf and run
 * on real Debian redis-server / redis-sentinel: a master, a replica, three Sentinels.
 *
 * The whole command table is judged, not a hand list: every command and subcommand the
 * server reports (COMMAND INFO, with its ACL categories) is dry-run (ACL DRYRUN) as the
 * application user, and must be refused exactly when Redis files it under @admin or
 * @dangerous or it is one of APPLICATION_EXTRA_DENIED, and allowed otherwise; the @pubsub
 * category likewise against the channels Redis and Sentinel publish in.
 * The reproductions then run for real as the application user.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Redis from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRedis } from "../clients/redis";
import { loadStackSettings } from "../settings/stackFile";
import type { RedisSettings } from "../settings/schema";
import { freePort, until } from "../../testing/local";
import { APPLICATION_DENIED_CATEGORIES, APPLICATION_EXTRA_DENIED, APPLICATION_GRANTED_BACK, APPLICATION_PUBLISH_CHANNELS, MONITORING_KEY_PATTERN, REDIS_USERS, SENTINEL_LOOKUP, type RedisUserPasswords } from "./acl";
import { renderRedisConf, renderSentinelConf } from "./render";

const tag = Math.random().toString(36).slice(2, 10);
const PW: RedisUserPasswords = { application: `app${tag}A1`, replication: `repl${tag}B2`, sentinel: `sent${tag}C3`, monitoring: `mon${tag}D4`, operator: `op${tag}E5` };
const base = loadStackSettings("dev").redis;
// FLUSHALL etc. stay renamed away as in the stack; the ACL must still load around them.
const settings: RedisSettings = { ...base, maxmemoryMb: 64, ioThreads: 1, persistence: { rdb: false, aof: false } };
const masterName = settings.sentinel.masterName;

const root = mkdtempSync(join(tmpdir(), "redis-acl-it-"));
const procs: ChildProcess[] = [];
const clients: Redis[] = [];
let masterPort = 0;
let replicaPort = 0;
const sentinelPorts: number[] = [];

function start(bin: string, conf: string): ChildProcess {
  const p = spawn(bin, [conf], { stdio: "ignore" });
  procs.push(p);
  return p;
}

/** A connected client through the project's one wrapper; `user` undefined: anonymous. */
async function as(port: number, user?: keyof RedisUserPasswords): Promise<Redis> {
  const c = openRedis({ host: "127.0.0.1", port }, { username: user ? REDIS_USERS[user] : undefined, password: user ? PW[user] : undefined, connectTimeoutMs: 2000, commandTimeoutMs: 4000, readyCheck: false });
  clients.push(c);
  await c.connect();
  return c;
}

const errorOf = async (p: Promise<unknown>): Promise<string> => p.then((v) => `answered ${JSON.stringify(v)}`, (e: Error) => e.message);

interface CommandRow {
  name: string;
  arity: number;
  categories: string[];
  /** COMMAND INFO flags (`noscript`, `fast`, ...). */
  flags: string[];
  /** A container (CONFIG, SENTINEL, ...): its subcommands are rows of their own. */
  container: boolean;
}

/** Every command and subcommand of the server, with its ACL categories (COMMAND INFO). */
async function commandTable(c: Redis): Promise<CommandRow[]> {
  const rows: CommandRow[] = [];
  const walk = (x: unknown[]) => {
    rows.push({ name: String(x[0]), arity: Number(x[1]), flags: (x[2] as string[]).map(String), categories: (x[6] as string[]).map(String), container: ((x[9] as unknown[] | undefined) ?? []).length > 0 });
    for (const sub of (x[9] as unknown[][] | undefined) ?? []) walk(sub);
  };
  for (const x of (await c.call("COMMAND", "INFO")) as unknown[][]) if (x) walk(x);
  return rows;
}

/** ACL DRYRUN arguments: the command (and subcommand) padded with dummy arguments up to its arity. */
function dryRunArgs(row: CommandRow): string[] {
  const words = row.name.split("|");
  const pad = Math.max(0, Math.abs(row.arity) - words.length);
  return [...words, ...Array.from({ length: pad }, (_, i) => `datatier:smoke:k${i}`)];
}

let operator: Redis;
let table: CommandRow[] = [];

beforeAll(async () => {
  masterPort = await freePort();
  replicaPort = await freePort();
  for (let i = 0; i < settings.sentinel.count; i++) sentinelPorts.push(await freePort());
  for (const n of [
    { name: "master", port: masterPort, replicaOf: undefined },
    { name: "replica", port: replicaPort, replicaOf: { host: "127.0.0.1", port: masterPort } },
  ]) {
    const dir = join(root, n.name);
    mkdirSync(dir);
    const conf = join(dir, "redis.conf");
    writeFileSync(conf, renderRedisConf(settings, { bind: "127.0.0.1", port: n.port, dir, passwords: PW, replicaOf: n.replicaOf, logFile: join(dir, "redis.log") }), { mode: 0o600 });
    start("redis-server", conf);
  }
  // Both servers were spawned just now: wait for each to listen before keeping a client
  // (the replica can still be starting once the master answers: "Connection is closed").
  await until("master", async () => (await (await as(masterPort, "operator")).ping()) === "PONG");
  await until("replica", async () => (await (await as(replicaPort, "operator")).ping()) === "PONG");
  operator = await as(masterPort, "operator");
  const replicaOp = await as(replicaPort, "operator");
  await until("the replica linked with the replication user", async () => /master_link_status:up/.test(await replicaOp.info("replication")), 20_000);
  sentinelPorts.forEach((port, i) => {
    const dir = join(root, `sentinel-${i}`);
    mkdirSync(dir);
    const conf = join(dir, "sentinel.conf");
    writeFileSync(conf, renderSentinelConf(settings, { bind: "127.0.0.1", port, dir, masterHost: "127.0.0.1", masterPort, passwords: PW, logFile: join(dir, "sentinel.log") }), { mode: 0o600 });
    start("redis-sentinel", conf);
  });
  table = await commandTable(operator);
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

describe("data node: the application user over the whole command table", () => {
  it("is refused exactly the @admin / @dangerous commands and the scripting-management subcommands, and allowed the rest", async () => {
    const mismatches: string[] = [];
    let refused = 0;
    for (const row of table) {
      const denied =
        (row.categories.some((c) => (APPLICATION_DENIED_CATEGORIES as readonly string[]).includes(c)) && !(APPLICATION_GRANTED_BACK as readonly string[]).includes(row.name)) ||
        (APPLICATION_EXTRA_DENIED as readonly string[]).includes(row.name);
      const answer = String(await operator.call("ACL", "DRYRUN", REDIS_USERS.application, ...dryRunArgs(row)).catch((e: Error) => e.message));
      const wasRefused = /no permissions/i.test(answer);
      if (wasRefused) refused++;
      if (denied !== wasRefused) mismatches.push(`${row.name} (${row.categories.join(" ")}): expected ${denied ? "refused" : "allowed"}, got "${answer}"`);
    }
    expect(mismatches).toEqual([]);
    // Sanity on the table itself: Redis 7.0 has ~240 commands, ~360 with subcommands.
    expect(table.length).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(60);
  });

  it("is refused what the issue reproduced, for real (NOPERM), and nothing happened", async () => {
    const app = await as(masterPort, "application");
    const cases: string[][] = [
      ["CONFIG", "GET", "requirepass"],
      ["CONFIG", "GET", "masterauth"],
      ["CONFIG", "SET", "appendonly", "yes"],
      ["SCRIPT", "FLUSH"],
      ["MONITOR"],
      ["SHUTDOWN", "NOSAVE"],
      ["REPLICAOF", "NO", "ONE"],
      ["SLAVEOF", "127.0.0.1", "1"],
      ["ACL", "LIST"],
      ["ACL", "SETUSER", "app", "+@all"],
      ["CLIENT", "LIST"],
      ["CLIENT", "KILL", "TYPE", "normal"],
      ["DEBUG", "SLEEP", "0"],
      ["KEYS", "*"],
      ["FLUSHDB"],
      ["SAVE"],
      ["BGREWRITEAOF"],
      ["FUNCTION", "FLUSH"],
      ["FAILOVER"],
      ["ROLE"],
      ["SORT", "k"],
    ];
    for (const cmd of cases) expect(await errorOf(app.call(cmd[0], ...cmd.slice(1))), cmd.join(" ")).toMatch(/NOPERM|unknown command/i);
    expect(((await operator.call("CONFIG", "GET", "appendonly")) as string[])[1]).toBe("no");
    const replicaOp = await as(replicaPort, "operator");
    expect(await replicaOp.ping()).toBe("PONG");
  });

  it("publishes on no `__*` channel (Sentinel's hello, keyspace events) and subscribes on any: the server's whole @pubsub category", async () => {
    // A command delivers a message when it can run in a script (subscribing is `noscript`)
    // and is not the PUBSUB introspection container: PUBLISH, SPUBLISH, and any future one.
    const pubsub = ((await operator.call("ACL", "CAT", "pubsub")) as string[]).map(String);
    const rows = table.filter((r) => !r.container && pubsub.includes(r.name));
    expect(rows.length).toBe(pubsub.length);
    const wrong: string[] = [];
    for (const channel of ["__sentinel__:hello", "__keyspace@0__:k", "__redis__:invalidate", "orders", "_x"]) {
      const reserved = channel.startsWith("__");
      for (const row of rows) {
        const publishes = !row.flags.includes("noscript") && !row.name.startsWith("pubsub|");
        const words = row.name.split("|");
        const args = [...words, ...Array.from({ length: Math.max(1, Math.abs(row.arity) - words.length) }, () => channel)];
        const answer = String(await operator.call("ACL", "DRYRUN", REDIS_USERS.application, ...args).catch((e: Error) => e.message));
        if (/no permissions/i.test(answer) !== (publishes && reserved)) wrong.push(`${args.join(" ")}: ${answer}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(APPLICATION_PUBLISH_CHANNELS.length).toBeGreaterThan(0);
  });

  it("cannot forge a Sentinel hello (it moved every Sentinel's master): refused directly and from a script, and the Sentinels still name the master", async () => {
    // Forge only once every Sentinel listens on the master, or a refusal would prove nothing.
    await until("the Sentinels to subscribe to their hello channel", async () => Number(((await operator.call("PUBSUB", "NUMSUB", "__sentinel__:hello")) as unknown[])[1]) === settings.sentinel.count, 20_000);
    const app = await as(masterPort, "application");
    const forged = `127.0.0.1,1,${"f".repeat(40)},9999,${masterName},127.0.0.1,${replicaPort},9999`;
    expect(await errorOf(app.publish("__sentinel__:hello", forged))).toMatch(/NOPERM/);
    expect(await errorOf(app.eval("return redis.call('PUBLISH', '__sentinel__:hello', ARGV[1])", 0, forged))).toMatch(/publish to the channel/);
    expect(await errorOf(app.call("SELECT", "1"))).toMatch(/NOPERM/);
    expect(await errorOf(app.call("MEMORY", "PURGE"))).toMatch(/NOPERM/);
    const sub = await as(masterPort, "application");
    expect(await sub.psubscribe("orders.*", "__keyspace@0__:*")).toBe(2);
    await new Promise((r) => setTimeout(r, 500));
    for (const port of sentinelPorts) expect(await (await as(port, "application")).call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)).toEqual(["127.0.0.1", String(masterPort)]);
  });

  it("can do what an application needs: data types, TTLs, transactions, Lua, WAIT, pub/sub, SCAN, INFO", async () => {
    const app = await as(masterPort, "application");
    await until("min_slaves_good_slaves:1", async () => /min_slaves_good_slaves:1/.test(await operator.info("replication")));
    expect(await app.set("acl:k", "v", "EX", 60)).toBe("OK");
    expect(await app.get("acl:k")).toBe("v");
    expect(await app.incr("acl:n")).toBe(1);
    expect(await app.hset("acl:h", "f", "1")).toBe(1);
    expect(await app.lpush("acl:l", "a")).toBe(1);
    expect(await app.zadd("acl:z", 1, "m")).toBe(1);
    expect(typeof (await app.xadd("acl:s", "*", "f", "v"))).toBe("string");
    expect(await app.pexpire("acl:h", 60_000)).toBe(1);
    expect(await app.multi().set("acl:t", "1").incr("acl:t").exec()).toEqual([[null, "OK"], [null, 2]]);
    expect(await app.eval("return redis.call('GET', KEYS[1])", 1, "acl:k")).toBe("v");
    const sha = String(await app.call("SCRIPT", "LOAD", "return 1"));
    expect(await app.evalsha(sha, 0)).toBe(1);
    expect(Number(await app.call("WAIT", "1", "2000"))).toBe(1);
    expect(await app.publish("acl:chan", "hi")).toBe(0);
    const [, keys] = await app.scan("0", "MATCH", "acl:*", "COUNT", 100);
    expect(keys.length).toBeGreaterThan(0);
    expect(await app.info("replication")).toMatch(/role:master/);
    expect(await app.del("acl:k", "acl:n", "acl:h", "acl:l", "acl:z", "acl:s", "acl:t")).toBe(7);
  });

  it("lets nobody in anonymously or as default, and refuses a wrong password", async () => {
    const anon = await as(masterPort);
    expect(await errorOf(anon.get("x"))).toMatch(/NOAUTH/);
    expect(await errorOf(anon.call("AUTH", "anything"))).toMatch(/WRONGPASS/);
    expect(await errorOf(anon.call("AUTH", "default", "anything"))).toMatch(/WRONGPASS/);
    expect(await errorOf(anon.call("AUTH", REDIS_USERS.application, PW.operator))).toMatch(/WRONGPASS/);
    // Roles that are not for clients: the replication user cannot read data.
    const repl = await as(masterPort, "replication");
    expect(await errorOf(repl.get("x"))).toMatch(/NOPERM/);
    // That denial was deliberate: clear it, so the failover test sees only what the servers did.
    expect(await operator.call("ACL", "LOG", "RESET")).toBe("OK");
  });

  it("monitoring: INFO and its own smoke keys, nothing else", async () => {
    const mon = await as(masterPort, "monitoring");
    const key = MONITORING_KEY_PATTERN.replace("*", "probe");
    expect(await mon.set(key, "1")).toBe("OK");
    expect(await mon.get(key)).toBe("1");
    expect(Number(await mon.call("WAIT", "1", "2000"))).toBe(1);
    expect(await mon.del(key)).toBe(1);
    expect(await mon.info("replication")).toMatch(/connected_slaves:1/);
    expect(await errorOf(mon.get("tenant:42:profile"))).toMatch(/NOPERM/);
    expect(await errorOf(mon.set("tenant:42:profile", "x"))).toMatch(/NOPERM/);
    for (const cmd of [["CONFIG", "GET", "masterauth"], ["FLUSHDB"], ["SHUTDOWN"], ["EVAL", "return 1", "0"]]) expect(await errorOf(mon.call(cmd[0], ...cmd.slice(1))), cmd.join(" ")).toMatch(/NOPERM|unknown command/i);
  });
});

describe("Sentinels require auth; each user gets what its role needs", () => {
  it("reach quorum (the Sentinels log in to each other and to the nodes as the sentinel user)", async () => {
    const mon = await as(sentinelPorts[0], "monitoring");
    await until("SENTINEL CKQUORUM OK", async () => String(await mon.call("SENTINEL", "CKQUORUM", masterName)).startsWith(`OK ${settings.sentinel.count} usable`), 20_000);
  });

  it("refuse anonymous clients: SENTINEL CONFIG GET * no longer answers anyone", async () => {
    const anon = await as(sentinelPorts[0]);
    expect(await errorOf(anon.call("SENTINEL", "CONFIG", "GET", "*"))).toMatch(/NOAUTH/);
    expect(await errorOf(anon.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName))).toMatch(/NOAUTH/);
  });

  it("application: the lookups a client library makes, and nothing else in the Sentinel's command table", async () => {
    const app = await as(sentinelPorts[1], "application");
    expect(await app.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)).toEqual(["127.0.0.1", String(masterPort)]);
    expect(((await app.call("SENTINEL", "MASTERS")) as unknown[]).length).toBe(1);
    expect(((await app.call("SENTINEL", "REPLICAS", masterName)) as unknown[]).length).toBe(1);
    // Every command and subcommand the Sentinel itself lists (its own table: SENTINEL *, ACL,
    // CONFIG, CLIENT, SHUTDOWN, ...), dry-run as the application: only the lookups and what a
    // client needs to log in and follow events.
    const op = await as(sentinelPorts[1], "operator");
    const sentinelTable = (await commandTable(op)).filter((r) => !r.container);
    expect(sentinelTable.filter((r) => r.name.startsWith("sentinel|")).length).toBeGreaterThan(20);
    const connection = new Set(["auth", "hello", "ping", "subscribe", "psubscribe", "unsubscribe", "punsubscribe"]);
    const wrong: string[] = [];
    for (const row of sentinelTable) {
      const [cmd, sub] = row.name.split("|");
      const allowed = cmd === "sentinel" ? (SENTINEL_LOOKUP as readonly string[]).includes(sub) : connection.has(cmd);
      const answer = String(await op.call("ACL", "DRYRUN", REDIS_USERS.application, ...dryRunArgs(row)).catch((e: Error) => e.message));
      if (allowed === /no permissions/i.test(answer)) wrong.push(`${row.name}: ${answer}`);
    }
    expect(wrong).toEqual([]);
    for (const cmd of [["SENTINEL", "CONFIG", "GET", "*"], ["SENTINEL", "FAILOVER", masterName], ["SENTINEL", "SET", masterName, "quorum", "1"], ["SENTINEL", "RESET", "*"], ["SENTINEL", "REMOVE", masterName], ["SHUTDOWN"], ["ACL", "LIST"]]) {
      expect(await errorOf(app.call(cmd[0], ...cmd.slice(1))), cmd.join(" ")).toMatch(/NOPERM/);
    }
  });

  it("after a failover run by the operator, the new master takes the replica (replication user) and the Sentinels agree; no ACL denial was logged for the internal users", async () => {
    const op = await as(sentinelPorts[0], "operator");
    const mon = await as(sentinelPorts[0], "monitoring");
    await until("CKQUORUM before failover", async () => String(await mon.call("SENTINEL", "CKQUORUM", masterName)).startsWith("OK"), 20_000);
    await until("the Sentinel to know the replica", async () => ((await op.call("SENTINEL", "REPLICAS", masterName)) as unknown[]).length === 1, 20_000);
    expect(await op.call("SENTINEL", "FAILOVER", masterName)).toBe("OK");
    const app = await as(sentinelPorts[2], "application");
    await until("the Sentinels to name the replica as master", async () => ((await app.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName)) as string[])[1] === String(replicaPort), 20_000);
    // A fresh connection per probe: Sentinel drops the clients of a node it reconfigures.
    await until("the old master to follow the new one as replica", async () => /master_link_status:up/.test(await (await as(masterPort, "operator")).info("replication")), 20_000);
    // min-replicas-to-write counts a replica as good only from the master's next replication
    // cron (once a second) after its link is up: NOREPLICAS before that is the setting at work.
    await until("the new master to count the old one as a good replica", async () => /min_slaves_good_slaves:[1-9]/.test(await (await as(replicaPort, "operator")).info("replication")), 20_000);
    const newMasterApp = await as(replicaPort, "application");
    expect(await newMasterApp.set("acl:after-failover", "1")).toBe("OK");
    // Internal users (replication, sentinel) were never refused anything on any node or Sentinel.
    for (const port of [masterPort, replicaPort, ...sentinelPorts]) {
      const c = await as(port, "operator");
      const log = (await c.call("ACL", "LOG")) as unknown[][];
      const internal = log.map((e) => Object.fromEntries(e.flatMap((v, i) => (i % 2 === 0 ? [[String(v), e[i + 1]]] : [])))).filter((e) => e.username === REDIS_USERS.replication || e.username === REDIS_USERS.sentinel);
      expect(internal.map((e) => `${e.username}: ${e.object} (${e.reason})`), `ACL LOG on ${port}`).toEqual([]);
    }
  }, 60_000);
});
