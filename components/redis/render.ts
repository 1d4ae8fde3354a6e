/**
 * Pure renderers for Redis: redis.conf and sentinel.conf for self-managed nodes
 * (docker containers, sandbox processes) and the ElastiCache parameter group for AWS.
 * One source of truth, so the three realizations cannot drift apart.
 *
 * Values are quoted the way Redis' own config parser (sdssplitargs) reads them; a value
 * that could smuggle in another config line (newline, NUL, other control characters)
 * is refused with an error naming the directive but never echoing the value, since
 * some of them are passwords.
 */
import { redisWriteSafety } from "../settings/defaults";
import type { RedisSettings } from "../settings/schema";
import { dataNodeAclLines, REDIS_USERS, sentinelAclLines, type RedisUserPasswords } from "./acl";
import { elasticacheParameterProblems } from "./catalogue";

/** Per-node facts the settings do not hold: where this node listens and whom it follows. */
export interface RedisNodeRuntime {
  bind: string;
  port: number;
  dir: string;
  /** One password per ACL user (components/redis/acl.ts). */
  passwords: RedisUserPasswords;
  replicaOf?: { host: string; port: number };
  announceIp?: string;
  logFile?: string;
  pidFile?: string;
}

/** Per-Sentinel facts: where it listens and where the master is at start. */
export interface SentinelRuntime {
  bind: string;
  port: number;
  dir: string;
  masterHost: string;
  masterPort: number;
  /** One password per ACL user: Sentinel logs in to the nodes and to its peers as `sentinel`. */
  passwords: RedisUserPasswords;
  announceIp?: string;
  logFile?: string;
  pidFile?: string;
}

/** RDB snapshot points (seconds, changes): Redis' classic defaults, kept explicit. */
export const RDB_SAVE_POINTS: readonly (readonly [number, number])[] = [
  [900, 1],
  [300, 10],
  [60, 10_000],
];

const BARE = /^[A-Za-z0-9._:/@+=,-]+$/;

/** A value as Redis' config parser reads it; throws on anything that could break the line. */
export function quoteConfValue(directive: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) {
    throw new Error(`redis config: the value of "${directive}" contains a control character (newline, tab, NUL, ...); expected a single-line value`);
  }
  if (value !== "" && BARE.test(value)) return value;
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function checkPort(directive: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`redis config: "${directive}" is ${port}; expected a port from 1 to 65535`);
  return port;
}

function checkHost(directive: string, host: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9.:_-]*$/.test(host)) {
    throw new Error(`redis config: "${directive}" must be a host name or IP address (letters, digits, ".", ":", "-", "_")`);
  }
  return host;
}

function checkPassword(directive: string, password: string): string {
  if (password.length === 0) throw new Error(`redis config: "${directive}" is empty; a password is required`);
  return quoteConfValue(directive, password);
}

/** "bind" takes several space-separated addresses; each one is checked. */
function bindAddresses(bind: string): string[] {
  quoteConfValue("bind", bind);
  const list = bind.split(" ").filter(Boolean);
  if (list.length === 0) throw new Error('redis config: "bind" is empty; expected at least one address');
  return list.map((b) => checkHost("bind", b));
}

const yesNo = (b: boolean) => (b ? "yes" : "no");
const isLoopback = (bind: string) => bindAddresses(bind).every((b) => b === "127.0.0.1" || b === "::1" || b === "localhost");

/** redis.conf for one data node (master, or replica when `node.replicaOf` is set). */
export function renderRedisConf(s: RedisSettings, node: RedisNodeRuntime): string {
  const lines: string[] = [];
  const put = (directive: string, ...values: string[]) => lines.push([directive, ...values].join(" "));
  const comment = (text: string) => lines.push("", `# ${text}`);

  comment("Generated from the stack's redis settings (components/redis/render.ts); Sentinel may rewrite it.");
  put("daemonize", "no");
  put("bind", ...bindAddresses(node.bind));
  put("port", String(checkPort("port", node.port)));
  // With a password set, protected mode only refuses password-less access; keep it on.
  put("protected-mode", "yes");
  put("dir", quoteConfValue("dir", node.dir));
  if (node.logFile !== undefined) put("logfile", quoteConfValue("logfile", node.logFile));
  if (node.pidFile !== undefined) put("pidfile", quoteConfValue("pidfile", node.pidFile));

  comment("Auth: one ACL user per role (components/redis/acl.ts); default is off, so nobody is anonymous.");
  for (const line of dataNodeAclLines(node.passwords, s.disabledCommands)) lines.push(line);
  // The replica logs in to its master as the replication user, whatever node is master.
  put("masteruser", REDIS_USERS.replication);
  put("masterauth", checkPassword("masterauth", node.passwords.replication));

  comment("Memory");
  put("maxmemory", `${s.maxmemoryMb}mb`);
  put("maxmemory-policy", s.maxmemoryPolicy);

  comment("Persistence: RDB snapshots and the append-only file");
  if (s.persistence.rdb) for (const [sec, changes] of RDB_SAVE_POINTS) put("save", String(sec), String(changes));
  else put("save", '""');
  put("dbfilename", "dump.rdb");
  put("appendonly", yesNo(s.persistence.aof));
  put("appendfsync", "everysec");

  comment("Threaded I/O and lazy freeing");
  put("io-threads", String(s.ioThreads));
  put("io-threads-do-reads", yesNo(s.ioThreads > 1));
  for (const d of ["lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "replica-lazy-flush"]) {
    put(d, yesNo(s.lazyFree));
  }

  comment("Observability");
  put("slowlog-log-slower-than", String(s.slowlogLogSlowerThanUs));
  put("slowlog-max-len", String(s.slowlogMaxLen));
  put("latency-monitor-threshold", String(s.latencyMonitorThresholdMs));

  comment("Replication");
  put("replica-read-only", "yes");
  if (node.announceIp !== undefined) put("replica-announce-ip", checkHost("replica-announce-ip", node.announceIp));
  if (node.replicaOf) put("replicaof", checkHost("replicaof", node.replicaOf.host), String(checkPort("replicaof", node.replicaOf.port)));
  // Every node gets it (a replica keeps it when Sentinel promotes it): a master that no
  // replica has acknowledged within the lag refuses writes (NOREPLICAS), which bounds
  // what an isolated or frozen-then-resumed old master accepts and then loses.
  const safety = redisWriteSafety(s);
  put("min-replicas-to-write", String(safety.minReplicasToWrite));
  put("min-replicas-max-lag", String(safety.maxLagSeconds));

  if (s.disabledCommands.length > 0) {
    comment("Dangerous commands, renamed away");
    for (const c of s.disabledCommands) {
      if (!/^[A-Z][A-Z-]*$/.test(c)) throw new Error(`redis config: disabledCommands entry "${c.slice(0, 40)}" is not an upper-case command name`);
      put("rename-command", c, '""');
    }
  }
  return lines.join("\n").trimStart() + "\n";
}

/** sentinel.conf for one Sentinel; each Sentinel needs its own writable copy (it rewrites it). */
export function renderSentinelConf(s: RedisSettings, rt: SentinelRuntime): string {
  const m = s.sentinel;
  if (!/^[a-zA-Z0-9._-]+$/.test(m.masterName)) throw new Error(`sentinel config: redis.sentinel.masterName must hold only letters, digits, ".", "_", "-"`);
  if (m.quorum < 1 || m.quorum > m.count) throw new Error(`sentinel config: redis.sentinel.quorum is ${m.quorum}; expected 1 to sentinel.count (${m.count})`);
  const lines: string[] = ["# Generated from the stack's redis settings (components/redis/render.ts); Sentinel rewrites it."];
  const put = (...parts: string[]) => lines.push(parts.join(" "));
  const bind = bindAddresses(rt.bind);
  put("daemonize", "no");
  put("bind", ...bind);
  put("port", String(checkPort("port", rt.port)));
  // On loopback keep protected mode; on a container network the other Sentinels and the
  // clients come from other addresses and the network itself is the boundary.
  put("protected-mode", yesNo(isLoopback(rt.bind)));
  put("dir", quoteConfValue("dir", rt.dir));
  if (rt.logFile !== undefined) put("logfile", quoteConfValue("logfile", rt.logFile));
  if (rt.pidFile !== undefined) put("pidfile", quoteConfValue("pidfile", rt.pidFile));
  const host = checkHost("sentinel monitor", rt.masterHost);
  // Container names instead of addresses need hostname resolution (Redis 6.2+).
  if (!/^[\d.]+$/.test(host) && !host.includes(":")) {
    put("sentinel", "resolve-hostnames", "yes");
    put("sentinel", "announce-hostnames", "yes");
  }
  if (rt.announceIp !== undefined) put("sentinel", "announce-ip", checkHost("sentinel announce-ip", rt.announceIp));
  put("sentinel", "monitor", m.masterName, host, String(checkPort("sentinel monitor", rt.masterPort)), String(m.quorum));
  // Clients, peers and the operator must log in to a Sentinel too (SENTINEL CONFIG GET,
  // FAILOVER, SET answered anyone before); the Sentinels use the `sentinel` user with
  // each other and on the data nodes.
  for (const line of sentinelAclLines(rt.passwords)) lines.push(line);
  put("sentinel", "sentinel-user", REDIS_USERS.sentinel);
  put("sentinel", "sentinel-pass", checkPassword("sentinel sentinel-pass", rt.passwords.sentinel));
  put("sentinel", "auth-user", m.masterName, REDIS_USERS.sentinel);
  put("sentinel", "auth-pass", m.masterName, checkPassword("sentinel auth-pass", rt.passwords.sentinel));
  put("sentinel", "down-after-milliseconds", m.masterName, String(m.downAfterMs));
  put("sentinel", "failover-timeout", m.masterName, String(m.failoverTimeoutMs));
  put("sentinel", "parallel-syncs", m.masterName, "1");
  return lines.join("\n") + "\n";
}

/**
 * ElastiCache parameter group family for the engine and version, e.g. "redis7",
 * "redis6.x", "valkey7", "valkey8".
 */
export function elasticacheParameterFamily(s: Pick<RedisSettings, "engine" | "engineVersion">): string {
  const [major, minor] = s.engineVersion.split(".").map(Number);
  if (!Number.isInteger(major)) throw new Error(`redis.engineVersion "${s.engineVersion}" is not "major.minor"`);
  if (s.engine === "valkey") {
    if (major < 7) throw new Error(`redis.engineVersion ${s.engineVersion}: ElastiCache Valkey starts at 7.2`);
    return `valkey${major}`;
  }
  if (major >= 7) return "redis7";
  if (major === 6) return "redis6.x";
  if (major === 5 || major === 4) return `redis${major}.0`;
  if (major === 3 && minor === 2) return "redis3.2";
  throw new Error(`redis.engineVersion ${s.engineVersion}: ElastiCache has no parameter group family for it (expected 4.0 or later)`);
}

/**
 * The ElastiCache parameters that carry the stack's settings. Only parameters
 * ElastiCache marks modifiable for the family: memory size, persistence (AOF is not
 * offered on current engines; snapshots cover RDB), threaded I/O, rename-command and
 * latency-monitor-threshold are managed by ElastiCache; replica-lazy-flush is fixed
 * at "yes". lazyfree-lazy-user-del exists from 6.x; latency-tracking from 7.
 */
export function elasticacheParameters(s: RedisSettings): { name: string; value: string }[] {
  const family = elasticacheParameterFamily(s);
  const modern = family === "redis7" || family.startsWith("valkey");
  const out: { name: string; value: string }[] = [{ name: "maxmemory-policy", value: s.maxmemoryPolicy }];
  const lazy = ["lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del"];
  if (modern || family === "redis6.x") lazy.push("lazyfree-lazy-user-del");
  if (family !== "redis3.2") for (const name of lazy) out.push({ name, value: yesNo(s.lazyFree) });
  out.push({ name: "slowlog-log-slower-than", value: String(s.slowlogLogSlowerThanUs) });
  out.push({ name: "slowlog-max-len", value: String(s.slowlogMaxLen) });
  if (modern) out.push({ name: "latency-tracking", value: yesNo(s.latencyMonitorThresholdMs > 0) });
  // Modifiable (ChangeType immediate) on ElastiCache: aws-cli's
  // describe-engine-default-parameters example for redis5.0 lists both as IsModifiable.
  // The lag default follows Sentinel's down-after, which ElastiCache does not use; it still
  // bounds writes an isolated primary accepts to about that many seconds.
  if (family !== "redis3.2" && family !== "redis4.0") {
    const safety = redisWriteSafety(s);
    out.push({ name: "min-replicas-to-write", value: String(safety.minReplicasToWrite) });
    out.push({ name: "min-replicas-max-lag", value: String(safety.maxLagSeconds) });
  }
  // A custom group for a cluster-mode-enabled group must say so itself.
  if (s.clusterMode.enabled) out.push({ name: "cluster-enabled", value: "yes" });
  // Guard: only what ElastiCache lists as modifiable for the family, with permitted values.
  const problems = elasticacheParameterProblems(out, family);
  if (problems.length > 0) throw new Error(`ElastiCache parameter group ${family}: ${problems.join("; ")}`);
  return out;
}

/** Data nodes the settings ask for: (1 primary + replicas) per shard. */
export function redisNodeCount(s: RedisSettings): number {
  return (1 + s.replicas) * (s.clusterMode.enabled ? s.clusterMode.shards : 1);
}
