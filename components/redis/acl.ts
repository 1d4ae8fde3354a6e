/**
 * Redis least privilege: ONE definition of the ACL users, rendered for redis.conf and
 * sentinel.conf (sandbox, docker) and as ElastiCache RBAC access strings (AWS).
 *
 * Data nodes:
 * - application: every data command, none of what runs the server. Built from Redis' own
 *   categories (`-@admin -@dangerous`: CONFIG, MONITOR, SHUTDOWN, REPLICAOF, DEBUG, KEYS,
 *   FLUSHALL, CLIENT KILL/LIST, ACL, SAVE, ...) minus the subcommands that act on the
 *   server-wide script cache or function libraries (SCRIPT FLUSH/KILL/DEBUG, FUNCTION
 *   LOAD/DELETE/FLUSH/RESTORE/KILL), server-wide MEMORY subcommands and other databases
 *   (SELECT, MOVE), which sit in no such category; no PUBLISH on the `__*` channels Redis
 *   and Sentinel publish in. INFO comes back: it is how ioredis' ready check confirms a
 *   node's role after a failover, and holds no secret.
 * - replication: PSYNC/REPLCONF/PING only (the replica's `masteruser`).
 * - sentinel: what Sentinel sends to monitor and reconfigure nodes (Redis' Sentinel docs).
 * - monitoring: the smoke suite: INFO, PING, ROLE, SLOWLOG/LATENCY reads and data
 *   commands on its own `datatier:smoke:*` keys only.
 * - operator: everything (drills, runbook, restores).
 * The `default` user is off: nobody is anonymous, and `requirepass` is never rendered.
 *
 * Sentinels: the application may look the master up (and what a client library asks
 * while doing so), monitoring adds CKQUORUM and INFO, the operator everything; the
 * Sentinels authenticate to each other as the `sentinel` user.
 */

/** The roles, each one ACL user. */
export const REDIS_ROLES = ["application", "replication", "sentinel", "monitoring", "operator"] as const;
export type RedisRole = (typeof REDIS_ROLES)[number];

/** User names per role (the same on every platform; AWS adds only `default`). */
export const REDIS_USERS: Readonly<Record<RedisRole, string>> = {
  application: "app",
  replication: "replica",
  sentinel: "sentinel",
  monitoring: "monitor",
  operator: "operator",
};

/** One password per role. */
export type RedisUserPasswords = Record<RedisRole, string>;

/** The smoke suite's keys: checks/lib/redis.ts smokeKey() makes every one under it. */
export const MONITORING_KEY_PATTERN = "datatier:smoke:*";

/**
 * Subcommands an application may not run although no category forbids them: each
 * changes or stops server-wide scripting state that other clients depend on.
 */
export const APPLICATION_EXTRA_DENIED = [
  "script|flush", // empties every client's script cache (EVALSHA then fails for all)
  "script|kill", // kills another client's running script
  "script|debug", // SYNC mode blocks the whole server while debugging
  "function|load", // libraries are server-wide: deploy them as the operator
  "function|delete",
  "function|flush",
  "function|restore",
  "function|kill",
  // Server-wide memory introspection and maintenance, outside @admin: PURGE makes the
  // allocator release pages (latency for everyone), DOCTOR/STATS/MALLOC-STATS describe the
  // whole server, not the caller's keys. MEMORY USAGE (one key) stays.
  "memory|purge",
  "memory|doctor",
  "memory|stats",
  "memory|malloc-stats",
  // Other logical databases: the tier, its checks and its failover drills know database 0
  // only, so a key elsewhere is unmonitored and out of every client's sight. SWAPDB and
  // FLUSHALL are already @dangerous; clients send SELECT only for a database other than 0.
  "select",
  "move",
] as const;

/** Commands granted back to the application after the category subtraction, with why. */
export const APPLICATION_GRANTED_BACK = [
  "info", // ioredis' ready check (role after failover, loading); no secret in INFO
] as const;

export const APPLICATION_DENIED_CATEGORIES = ["@admin", "@dangerous"] as const;

/**
 * Channels the application may PUBLISH / SPUBLISH on: every name not starting with `__`.
 * `__` is the namespace Redis and Sentinel publish in (`__sentinel__:hello`,
 * `__keyspace@0__:*`, `__redis__:invalidate`), and Sentinel believes what it reads there: a
 * forged hello with a higher config epoch moved every Sentinel's master to an address of
 * the publisher's choosing (issue 20, reproduced on the sandbox as the application user).
 * Glob patterns, since ACLs only allow, never deny, a channel.
 */
export const APPLICATION_PUBLISH_CHANNELS = ["[^_]*", "_[^_]*", "_"] as const;

/**
 * A selector (Redis 7.0+) that gives the subscribe commands back every channel: a pattern
 * subscription must equal an allowed pattern literally, so the rules above alone would
 * refuse `PSUBSCRIBE orders.*`. Reading `__*` (keyspace events, client-side caching
 * invalidations) forges nothing; `~*` because SSUBSCRIBE's channels count as keys.
 */
export const APPLICATION_SUBSCRIBE_SELECTOR = "(~* &* +subscribe +psubscribe +ssubscribe)";

/** Data-node rules per role: permissions only (no on/off, no password), in ACL order. */
export function dataNodeRules(disabledCommands: readonly string[] = []): Record<RedisRole, string[]> {
  // A renamed-away command no longer exists: naming it in a rule would stop Redis at start.
  const gone = new Set(disabledCommands.map((c) => c.toLowerCase()));
  const keep = (rules: string[]) => rules.filter((r) => !/^[+-][a-z]/.test(r) || !gone.has(r.slice(1).split("|")[0]));
  return {
    application: keep([
      "~*",
      "resetchannels",
      ...APPLICATION_PUBLISH_CHANNELS.map((c) => `&${c}`),
      "+@all",
      ...APPLICATION_DENIED_CATEGORIES.map((c) => `-${c}`),
      ...APPLICATION_GRANTED_BACK.map((c) => `+${c}`),
      ...APPLICATION_EXTRA_DENIED.map((c) => `-${c}`),
      APPLICATION_SUBSCRIBE_SELECTOR,
    ]),
    replication: keep(["-@all", "+psync", "+replconf", "+ping"]),
    // Redis' Sentinel documentation ("Redis access control list authentication"); REPLICAOF
    // beside SLAVEOF, FAILOVER-free: Sentinel reconfigures with SLAVEOF inside MULTI/EXEC.
    sentinel: keep(["&*", "-@all", "+multi", "+exec", "+slaveof", "+replicaof", "+ping", "+subscribe", "+publish", "+config|rewrite", "+role", "+info", "+client|setname", "+client|kill", "+script|kill"]),
    monitoring: keep([`~${MONITORING_KEY_PATTERN}`, "-@all", "+ping", "+info", "+role", "+get", "+set", "+del", "+exists", "+wait", "+slowlog|get", "+slowlog|len", "+latency|latest", "+latency|history", "+client|setname"]),
    operator: ["~*", "&*", "+@all"],
  };
}

/** Sentinel subcommands a client library sends while following the master. */
export const SENTINEL_LOOKUP = ["get-master-addr-by-name", "master", "masters", "replicas", "slaves", "sentinels"] as const;

/** Sentinel rules per user: who may log in to a Sentinel (replication has no business there). */
export function sentinelRules(): Record<Exclude<RedisRole, "replication">, string[]> {
  // +switch-master and friends arrive over pub/sub: clients that subscribe follow faster.
  const lookup = ["&*", "-@all", "+auth", "+hello", "+ping", "+subscribe", "+psubscribe", "+unsubscribe", "+punsubscribe", ...SENTINEL_LOOKUP.map((s) => `+sentinel|${s}`)];
  return {
    application: lookup,
    monitoring: [...lookup, "+sentinel|ckquorum", "+info", "+role"],
    // What Sentinels send each other: hellos (PUBLISH), votes (IS-MASTER-DOWN-BY-ADDR), PING,
    // CLIENT SETNAME on connect (seen refused in ACL LOG without it).
    sentinel: [...lookup, "+publish", "+sentinel|is-master-down-by-addr", "+info", "+role", "+client|setname"],
    operator: ["~*", "&*", "+@all"],
  };
}

/** A password Redis can hold in a `user` line: ACL `>` takes it up to the next space. */
function checkAclPassword(role: string, password: string): string {
  if (password.length === 0) throw new Error(`redis ACL: the ${role} user's password is empty; a password is required`);
  // eslint-disable-next-line no-control-regex
  if (/[\s"'\\\x00-\x1f\x7f]/.test(password)) throw new Error(`redis ACL: the ${role} user's password contains a space, quote, backslash or control character; expected letters, digits and punctuation only`);
  return password;
}

/** `user <name> on >password <rules>` for redis.conf / sentinel.conf. */
export function aclUserLine(role: string, name: string, password: string, rules: readonly string[]): string {
  return ["user", name, "on", `>${checkAclPassword(role, password)}`, ...rules].join(" ");
}

/** The `user` lines of a data node: `default` off, then one line per role. */
export function dataNodeAclLines(passwords: RedisUserPasswords, disabledCommands: readonly string[] = []): string[] {
  const rules = dataNodeRules(disabledCommands);
  return ["user default off resetpass -@all", ...REDIS_ROLES.map((r) => aclUserLine(r, REDIS_USERS[r], passwords[r], rules[r]))];
}

/** The `user` lines of a Sentinel: `default` off, then application, monitoring, sentinel, operator. */
export function sentinelAclLines(passwords: RedisUserPasswords): string[] {
  const rules = sentinelRules();
  return ["user default off resetpass -@all", ...(Object.keys(rules) as (keyof typeof rules)[]).map((r) => aclUserLine(r, REDIS_USERS[r], passwords[r], rules[r]))];
}

/** The roles that exist on ElastiCache: it runs replication and failover itself. */
export const ELASTICACHE_ROLES = ["application", "monitoring", "operator"] as const;
export type ElastiCacheRole = (typeof ELASTICACHE_ROLES)[number];

/**
 * ElastiCache RBAC access strings: the same rules, with `on` and without passwords
 * (set through the API) and without `reset*` (refused by ElastiCache). Commands
 * ElastiCache itself restricts (CONFIG, MONITOR, SHUTDOWN, ...) are never named: it
 * refuses an access string that names one; categories cover them.
 *
 * Redis 6.x ACLs are older: a subcommand can only be added, not removed (7.0 added
 * `-cmd|sub`), channel rules (`&`) start at 6.2, FUNCTION at 7.0. There the application
 * loses SCRIPT except LOAD/EXISTS instead of only its management subcommands.
 */
export function elasticacheAccessStrings(engine: "redis" | "valkey" = "redis", engineVersion = "7.0"): Record<ElastiCacheRole | "default", string> {
  const [major, minor] = engineVersion.split(".").map(Number);
  const v6 = engine === "redis" && major === 6;
  const channels = !(v6 && minor < 2);
  const adapt = (rules: string[]): string[] => {
    // ElastiCache runs no Sentinel (nothing trusts `__sentinel__:hello` there) and refuses
    // `reset*`; whether RBAC takes selectors is unverified: the application keeps `&*`.
    const published = rules.includes("resetchannels");
    rules = rules.filter((r) => r !== "resetchannels" && r !== APPLICATION_SUBSCRIBE_SELECTOR && !(published && r.startsWith("&")));
    if (published) rules.splice(1, 0, "&*");
    if (!v6) return rules;
    const out = rules.filter((r) => !/^-[a-z]+\|/.test(r) && (channels || !r.startsWith("&")));
    return rules.some((r) => r === "-script|flush") ? [...out, "-script", "+script|load", "+script|exists"] : out;
  };
  const rules = dataNodeRules();
  const out = { default: "off -@all" } as Record<ElastiCacheRole | "default", string>;
  for (const r of ELASTICACHE_ROLES) out[r] = ["on", ...adapt(rules[r])].join(" ");
  return out;
}

/** The Redis engine versions with ACL users (6.0+; ElastiCache RBAC likewise; every Valkey). */
export function supportsAcl(engine: "redis" | "valkey", engineVersion: string): boolean {
  return engine === "valkey" || Number(engineVersion.split(".")[0]) >= 6;
}
