import { describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import type { RedisSettings } from "../settings/schema";
import type { RedisUserPasswords } from "./acl";
import { elasticacheParameterFamily, elasticacheParameters, quoteConfValue, renderRedisConf, renderSentinelConf, type RedisNodeRuntime, type SentinelRuntime } from "./render";

const dev = loadStackSettings("dev").redis;
const prod = loadStackSettings("prod").redis;
const PW: RedisUserPasswords = { application: "app-PW_1", replication: "repl-PW_2", sentinel: "sent-PW_3", monitoring: "mon-PW_4", operator: "op-PW_5" };
const node: RedisNodeRuntime = { bind: "127.0.0.1", port: 17001, dir: "/tmp/r1", passwords: PW };
const sentinel: SentinelRuntime = { bind: "127.0.0.1", port: 27001, dir: "/tmp/s1", masterHost: "127.0.0.1", masterPort: 17001, passwords: PW };

/** Every value of a directive, as lines "directive v1 v2". */
function directive(conf: string, name: string): string[] {
  return conf
    .split("\n")
    .filter((l) => l.startsWith(`${name} `))
    .map((l) => l.slice(name.length + 1));
}

const withRedis = (over: Partial<RedisSettings>): RedisSettings => ({ ...dev, ...over });

describe("renderRedisConf", () => {
  const conf = renderRedisConf(dev, node);

  it("reflects memory, persistence, threads and observability settings", () => {
    expect(directive(conf, "maxmemory")).toEqual([`${dev.maxmemoryMb}mb`]);
    expect(directive(conf, "maxmemory-policy")).toEqual([dev.maxmemoryPolicy]);
    expect(directive(conf, "save")).toEqual(["900 1", "300 10", "60 10000"]);
    expect(directive(conf, "appendonly")).toEqual(["yes"]);
    expect(directive(conf, "appendfsync")).toEqual(["everysec"]);
    expect(directive(conf, "io-threads")).toEqual([String(dev.ioThreads)]);
    expect(directive(conf, "io-threads-do-reads")).toEqual(["yes"]);
    expect(directive(conf, "slowlog-log-slower-than")).toEqual([String(dev.slowlogLogSlowerThanUs)]);
    expect(directive(conf, "slowlog-max-len")).toEqual([String(dev.slowlogMaxLen)]);
    expect(directive(conf, "latency-monitor-threshold")).toEqual([String(dev.latencyMonitorThresholdMs)]);
    for (const d of ["lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "replica-lazy-flush"]) {
      expect(directive(conf, d), d).toEqual(["yes"]);
    }
  });

  it("makes an isolated master refuse writes: one replica within Sentinel's down-after, derived from the settings", () => {
    // dev: 2 replicas, down-after 2000 ms.
    expect(directive(conf, "min-replicas-to-write")).toEqual(["1"]);
    expect(directive(conf, "min-replicas-max-lag")).toEqual(["2"]);
    const lone = renderRedisConf(withRedis({ replicas: 0, automaticFailover: false }), node);
    expect(directive(lone, "min-replicas-to-write")).toEqual(["0"]);
    const slow = renderRedisConf(withRedis({ sentinel: { ...dev.sentinel, downAfterMs: 5_500 } }), node);
    expect(directive(slow, "min-replicas-max-lag")).toEqual(["5"]);
    const explicit = renderRedisConf(withRedis({ minReplicasToWrite: 2, minReplicasMaxLagSeconds: 7 }), node);
    expect(directive(explicit, "min-replicas-to-write")).toEqual(["2"]);
    expect(directive(explicit, "min-replicas-max-lag")).toEqual(["7"]);
  });

  it("follows the settings when they change", () => {
    const c = renderRedisConf(
      withRedis({ maxmemoryMb: 64, maxmemoryPolicy: "volatile-lfu", persistence: { rdb: false, aof: false }, ioThreads: 1, lazyFree: false, slowlogLogSlowerThanUs: 7, slowlogMaxLen: 9, latencyMonitorThresholdMs: 0 }),
      node,
    );
    expect(directive(c, "maxmemory")).toEqual(["64mb"]);
    expect(directive(c, "maxmemory-policy")).toEqual(["volatile-lfu"]);
    expect(directive(c, "save")).toEqual(['""']);
    expect(directive(c, "appendonly")).toEqual(["no"]);
    expect(directive(c, "io-threads-do-reads")).toEqual(["no"]);
    expect(directive(c, "lazyfree-lazy-eviction")).toEqual(["no"]);
    expect(directive(c, "slowlog-log-slower-than")).toEqual(["7"]);
    expect(directive(c, "slowlog-max-len")).toEqual(["9"]);
    expect(directive(c, "latency-monitor-threshold")).toEqual(["0"]);
  });

  it("sets auth, listening address, safety switches and renames the disabled commands away", () => {
    // No single password: default is off, one ACL user per role, the replica logs in as the replication user.
    expect(directive(conf, "requirepass")).toEqual([]);
    expect(directive(conf, "user default")).toEqual(["off resetpass -@all"]);
    expect(directive(conf, "user app")[0]).toMatch(/^on >app-PW_1 ~\* resetchannels &\[\^_\]\* .* \+@all -@admin -@dangerous .* \(~\* &\* \+subscribe \+psubscribe \+ssubscribe\)$/);
    expect(directive(conf, "user replica")).toEqual(["on >repl-PW_2 -@all +psync +replconf +ping"]);
    expect(directive(conf, "user monitor")[0]).toMatch(/^on >mon-PW_4 ~datatier:smoke:\* -@all /);
    expect(directive(conf, "user operator")).toEqual(["on >op-PW_5 ~* &* +@all"]);
    expect(directive(conf, "user sentinel")[0]).toMatch(/^on >sent-PW_3 /);
    expect(directive(conf, "masteruser")).toEqual(["replica"]);
    expect(directive(conf, "masterauth")).toEqual(["repl-PW_2"]);
    expect(directive(conf, "bind")).toEqual(["127.0.0.1"]);
    expect(directive(conf, "port")).toEqual(["17001"]);
    expect(directive(conf, "dir")).toEqual(["/tmp/r1"]);
    expect(directive(conf, "protected-mode")).toEqual(["yes"]);
    expect(directive(conf, "daemonize")).toEqual(["no"]);
    expect(directive(conf, "replica-read-only")).toEqual(["yes"]);
    expect(directive(conf, "replicaof")).toEqual([]);
    expect(directive(conf, "rename-command")).toEqual(dev.disabledCommands.map((c) => `${c} ""`));
    expect(dev.disabledCommands).toContain("FLUSHALL");
  });

  it("makes a replica follow its master and announce itself", () => {
    const c = renderRedisConf(dev, { ...node, replicaOf: { host: "redis-master", port: 6380 }, announceIp: "10.0.0.7", logFile: "/tmp/r1/r.log", pidFile: "/tmp/r1/r.pid" });
    expect(directive(c, "replicaof")).toEqual(["redis-master 6380"]);
    expect(directive(c, "replica-announce-ip")).toEqual(["10.0.0.7"]);
    expect(directive(c, "logfile")).toEqual(["/tmp/r1/r.log"]);
    expect(directive(c, "pidfile")).toEqual(["/tmp/r1/r.pid"]);
  });

  it("quotes values Redis would otherwise split, and escapes quotes and backslashes", () => {
    const c = renderRedisConf(dev, { ...node, dir: '/tmp/with space "q" \\' });
    expect(directive(c, "dir")).toEqual(['"/tmp/with space \\"q\\" \\\\"']);
    expect(quoteConfValue("x", "")).toBe('""');
  });

  it("refuses an ACL password a user line cannot hold (space, quote, backslash), naming the user and not echoing it", () => {
    for (const bad of ["a b", 'a"b', "a\\b", "a'b"]) {
      const e = (() => {
        try {
          renderRedisConf(dev, { ...node, passwords: { ...PW, monitoring: `${bad}-SECRET` } });
        } catch (x) {
          return String(x);
        }
        return "";
      })();
      expect(e, bad).toMatch(/monitoring user's password/);
      expect(e, bad).not.toContain("SECRET");
    }
  });

  it("refuses values that would inject config lines, without echoing them", () => {
    const evil = "pw\nrename-command CONFIG CONF2";
    expect(() => renderRedisConf(dev, { ...node, passwords: { ...PW, application: evil } })).toThrow(/application user's password.*control character/);
    try {
      renderRedisConf(dev, { ...node, passwords: { ...PW, application: evil } });
    } catch (e) {
      expect(String(e)).not.toContain("CONF2");
    }
    expect(() => renderRedisConf(dev, { ...node, dir: "/tmp\r\nsave 1 1" })).toThrow(/"dir"/);
    expect(() => renderRedisConf(dev, { ...node, logFile: "a\u0000b" })).toThrow(/"logfile"/);
    expect(() => renderRedisConf(dev, { ...node, bind: "127.0.0.1\nprotected-mode" })).toThrow(/bind/);
    expect(() => renderRedisConf(dev, { ...node, replicaOf: { host: "h\nx", port: 1 } })).toThrow(/replicaof/);
    expect(() => renderRedisConf(withRedis({ disabledCommands: ["FLUSHALL\nappendonly"] }), node)).toThrow(/disabledCommands/);
    expect(() => renderRedisConf(dev, { ...node, port: 70000 })).toThrow(/port/);
    for (const role of Object.keys(PW)) expect(() => renderRedisConf(dev, { ...node, passwords: { ...PW, [role]: "" } }), role).toThrow(/password is required|is empty/);
  });
});

describe("renderSentinelConf", () => {
  const conf = renderSentinelConf(dev, sentinel);
  const name = dev.sentinel.masterName;

  it("monitors the master with the settings' quorum and timings", () => {
    expect(directive(conf, "sentinel monitor")).toEqual([`${name} 127.0.0.1 17001 ${dev.sentinel.quorum}`]);
    // Sentinel logs in to the nodes and to its peers as the sentinel user; clients must log in to it.
    expect(directive(conf, "sentinel auth-user")).toEqual([`${name} sentinel`]);
    expect(directive(conf, "sentinel auth-pass")).toEqual([`${name} sent-PW_3`]);
    expect(directive(conf, "sentinel sentinel-user")).toEqual(["sentinel"]);
    expect(directive(conf, "sentinel sentinel-pass")).toEqual(["sent-PW_3"]);
    expect(directive(conf, "user default")).toEqual(["off resetpass -@all"]);
    expect(directive(conf, "user app")[0]).toMatch(/^on >app-PW_1 &\* -@all .*\+sentinel\|get-master-addr-by-name/);
    expect(directive(conf, "user replica")).toEqual([]);
    expect(directive(conf, "sentinel down-after-milliseconds")).toEqual([`${name} ${dev.sentinel.downAfterMs}`]);
    expect(directive(conf, "sentinel failover-timeout")).toEqual([`${name} ${dev.sentinel.failoverTimeoutMs}`]);
    expect(directive(conf, "sentinel parallel-syncs")).toEqual([`${name} 1`]);
    expect(directive(conf, "port")).toEqual(["27001"]);
    expect(directive(conf, "dir")).toEqual(["/tmp/s1"]);
    expect(directive(conf, "protected-mode")).toEqual(["yes"]);
    expect(directive(conf, "sentinel announce-ip")).toEqual([]);
    expect(directive(conf, "sentinel resolve-hostnames")).toEqual([]);
  });

  it("follows changed settings, announces itself and resolves container names", () => {
    const s = withRedis({ sentinel: { ...dev.sentinel, quorum: 3, count: 5, downAfterMs: 2500, failoverTimeoutMs: 9000, masterName: "other" } });
    const c = renderSentinelConf(s, { ...sentinel, bind: "0.0.0.0", masterHost: "redis-master", announceIp: "10.1.2.3" });
    expect(directive(c, "sentinel monitor")).toEqual(["other redis-master 17001 3"]);
    expect(directive(c, "sentinel down-after-milliseconds")).toEqual(["other 2500"]);
    expect(directive(c, "sentinel failover-timeout")).toEqual(["other 9000"]);
    expect(directive(c, "sentinel announce-ip")).toEqual(["10.1.2.3"]);
    expect(directive(c, "sentinel resolve-hostnames")).toEqual(["yes"]);
    expect(directive(c, "protected-mode")).toEqual(["no"]);
  });

  it("refuses injection and impossible quorums", () => {
    expect(() => renderSentinelConf(dev, { ...sentinel, passwords: { ...PW, sentinel: "x\nsentinel monitor evil 1.2.3.4 1 1" } })).toThrow(/sentinel user's password.*control character/);
    expect(() => renderSentinelConf(dev, { ...sentinel, masterHost: "h x" })).toThrow(/sentinel monitor/);
    expect(() => renderSentinelConf(withRedis({ sentinel: { ...dev.sentinel, masterName: "a b" } }), sentinel)).toThrow(/masterName/);
    expect(() => renderSentinelConf(withRedis({ sentinel: { ...dev.sentinel, quorum: 4 } }), sentinel)).toThrow(/quorum/);
  });
});

describe("ElastiCache parameters", () => {
  it("maps engine and version to the parameter group family", () => {
    expect(elasticacheParameterFamily({ engine: "redis", engineVersion: "7.1" })).toBe("redis7");
    expect(elasticacheParameterFamily({ engine: "redis", engineVersion: "6.2" })).toBe("redis6.x");
    expect(elasticacheParameterFamily({ engine: "redis", engineVersion: "5.0" })).toBe("redis5.0");
    expect(elasticacheParameterFamily({ engine: "valkey", engineVersion: "8.0" })).toBe("valkey8");
    expect(elasticacheParameterFamily({ engine: "valkey", engineVersion: "7.2" })).toBe("valkey7");
    expect(() => elasticacheParameterFamily({ engine: "redis", engineVersion: "2.8" })).toThrow(/2\.8/);
  });

  it("carries the settings ElastiCache lets us change, and nothing it refuses", () => {
    const params = Object.fromEntries(elasticacheParameters(prod).map((p) => [p.name, p.value]));
    expect(params).toEqual({
      "maxmemory-policy": prod.maxmemoryPolicy,
      "lazyfree-lazy-eviction": "yes",
      "lazyfree-lazy-expire": "yes",
      "lazyfree-lazy-server-del": "yes",
      "lazyfree-lazy-user-del": "yes",
      "slowlog-log-slower-than": String(prod.slowlogLogSlowerThanUs),
      "slowlog-max-len": String(prod.slowlogMaxLen),
      "latency-tracking": "yes",
      "min-replicas-to-write": "1",
      "min-replicas-max-lag": "2",
    });
    for (const refused of ["maxmemory", "appendonly", "io-threads", "rename-command", "requirepass", "replica-lazy-flush", "save"]) {
      expect(params, refused).not.toHaveProperty(refused);
    }
  });

  it("bounds writes on an isolated primary where the family has the parameters (5.0 and later)", () => {
    const names = (v: string) => elasticacheParameters({ ...prod, engineVersion: v }).map((p) => p.name);
    for (const v of ["5.0", "6.2", "7.1"]) expect(names(v), v).toEqual(expect.arrayContaining(["min-replicas-to-write", "min-replicas-max-lag"]));
    expect(names("4.0")).not.toContain("min-replicas-to-write");
    const explicit = Object.fromEntries(elasticacheParameters({ ...prod, minReplicasToWrite: 2, minReplicasMaxLagSeconds: 5 }).map((p) => [p.name, p.value]));
    expect(explicit).toMatchObject({ "min-replicas-to-write": "2", "min-replicas-max-lag": "5" });
  });

  it("follows engine version and cluster mode", () => {
    const five = Object.fromEntries(elasticacheParameters({ ...prod, engineVersion: "5.0", lazyFree: false }).map((p) => [p.name, p.value]));
    expect(five).not.toHaveProperty("lazyfree-lazy-user-del");
    expect(five).not.toHaveProperty("latency-tracking");
    expect(five["lazyfree-lazy-eviction"]).toBe("no");
    const clustered = elasticacheParameters({ ...prod, clusterMode: { enabled: true, shards: 3 } });
    expect(clustered).toContainEqual({ name: "cluster-enabled", value: "yes" });
    expect(elasticacheParameters(prod).map((p) => p.name)).not.toContain("cluster-enabled");
  });
});
