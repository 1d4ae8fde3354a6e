/**
 * The files the program renders for a stack, judged by the engines themselves
 * (engines.ts), each refusal mapped back to the settings key it comes from. Which ran
 * is reported: a binary that is absent is "not run", never a silent pass.
 *
 * The review runs the cheap ones (postgres -C, ~20 ms; redis-server and PgBouncer load
 * and kill, ~50 ms each; the shared memory figure, ~40 ms once a sizing cluster exists, ~3 s
 * the first time on a machine); `postgresSingle` (initdb, ~3 s) runs in the integration tests.
 */
import { renderPgBouncerIni } from "../../components/pgbouncer/render";
import { postgresParameters, quoteConfValue, renderPostgresConf } from "../../components/postgres/render";
import { PGBOUNCER_BIN, PGBOUNCER_VERSION } from "../../components/pgbouncer/version";
import { REDIS_USERS, type RedisUserPasswords } from "../../components/redis/acl";
import { renderRedisConf, renderSentinelConf } from "../../components/redis/render";
import type { SettingsProblem } from "../../components/settings/load";
import type { Settings } from "../../components/settings/schema";
import { totalmem } from "node:os";
import { ENGINES, freeHugePages, pgbouncerIniCheck, postgresConfCheck, postgresSharedMemory, redisConfCheck } from "./engines";

export interface ValidatorRun {
  name: string;
  ran: boolean;
  ms: number;
  /** Why it did not run, or what it judged. */
  note: string;
}

/** Parameters the program derives, and the setting that sets each. */
const PG_DERIVED: Record<string, string> = {
  max_connections: "postgres.maxConnections",
  superuser_reserved_connections: "postgres.reservedConnections",
  log_min_duration_statement: "postgres.logMinDurationStatementMs",
  port: "postgres.port",
  max_wal_senders: "postgres.replicas",
  max_replication_slots: "postgres.replicas",
};

/** Redis directives the renderer sets from a setting. */
const REDIS_DIRECTIVES: Record<string, string> = {
  port: "redis.port",
  maxmemory: "redis.maxmemoryMb",
  "maxmemory-policy": "redis.maxmemoryPolicy",
  "io-threads": "redis.ioThreads",
  "slowlog-log-slower-than": "redis.slowlogLogSlowerThanUs",
  "slowlog-max-len": "redis.slowlogMaxLen",
  "latency-monitor-threshold": "redis.latencyMonitorThresholdMs",
  "rename-command": "redis.disabledCommands",
  "min-replicas-to-write": "redis.minReplicasToWrite",
  "min-replicas-max-lag": "redis.minReplicasMaxLagSeconds",
  sentinel: "redis.sentinel",
};

/** The settings key a PostgreSQL error line is about. */
export function pgKeyFor(s: Settings, line: string): string {
  const name = /parameter "([^"]+)"|"([a-z_]+)" must/.exec(line);
  const n = (name?.[1] ?? name?.[2])?.toLowerCase();
  if (!n) return "postgres.parameters";
  const user = Object.keys(s.postgres.parameters).find((k) => k.toLowerCase() === n);
  if (user) return `postgres.parameters.${user}`;
  return PG_DERIVED[n] ?? "postgres.parameters";
}

/** The settings key a redis-server error is about (its ">>> 'directive ...'" line). */
export function redisKeyFor(lines: string[]): string {
  const d = lines.map((l) => /^>>> '([a-z-]+)/.exec(l)?.[1]).find(Boolean);
  return (d && REDIS_DIRECTIVES[d]) ?? "redis";
}

/** The postgresql.conf the stack's servers get: the rendered file on docker; RDS's parameters (its own formulas and rds.* aside) on aws. */
export function postgresConfFor(s: Settings): string {
  if (s.platform === "docker") return renderPostgresConf(s, { role: "primary", port: s.postgres.port, listenAddresses: "127.0.0.1", socketDir: "/tmp" });
  return Object.entries(postgresParameters(s))
    .filter(([n, v]) => !n.startsWith("rds.") && !/^\{.*\}$/.test(v))
    .map(([n, v]) => `${n} = ${quoteConfValue(n, v)}`)
    .join("\n");
}

/** The settings key of a postgresql.conf parameter the stack sets (its own or derived), or undefined for the renderer's fixed lines. */
function stackKeyOf(s: Settings, name: string): string | undefined {
  const n = name.toLowerCase();
  const user = Object.keys(s.postgres.parameters).find((k) => k.toLowerCase() === n);
  return user ? `postgres.parameters.${user}` : PG_DERIVED[n];
}

/**
 * The line the stack sets that asks for the most shared memory: each left out in turn
 * (PostgreSQL's default then), the one whose absence shrinks `shared_memory_size` most.
 */
function sharedMemoryCulprit(s: Settings, conf: string, fullMb: number): { key: string; name: string; withoutMb: number } | undefined {
  const lines = conf.split("\n");
  let best: { key: string; name: string; withoutMb: number } | undefined;
  lines.forEach((line, i) => {
    const name = /^\s*([A-Za-z_.]+)\s*=/.exec(line)?.[1];
    const key = name && stackKeyOf(s, name);
    if (!name || !key) return;
    const withoutMb = postgresSharedMemory(lines.filter((_, j) => j !== i).join("\n")).mb;
    if (withoutMb < fullMb && (!best || withoutMb < best.withoutMb)) best = { key, name, withoutMb };
  });
  return best;
}

/**
 * What PostgreSQL itself says the file asks for at start, against the machine the sandbox
 * and the dev stack run on (the one running the review): more shared memory than it has,
 * or huge pages it does not have, and the server does not start ("could not map anonymous
 * shared memory"). Returns the validator's note; refusals go through `add`.
 */
export function sharedMemoryJudgement(s: Settings, add: (key: string, engine: string, line: string) => void, machine = { totalMb: Math.floor(totalmem() / 2 ** 20), freeHugePages: freeHugePages() }): string {
  const conf = postgresConfFor(s);
  let size: { mb: number; hugePages: number };
  try {
    size = postgresSharedMemory(conf);
  } catch (e) {
    // A file PostgreSQL refuses outright is reported by postgres -C above, under its key.
    return `not computed: ${(e as Error).message.slice(0, 200)}`;
  }
  const notes = [`${size.mb} MB of this machine's ${machine.totalMb} MB`];
  if (size.mb > machine.totalMb) {
    const c = sharedMemoryCulprit(s, conf, size.mb);
    add(c?.key ?? "postgres.parameters", "PostgreSQL 15", `the file asks for ${size.mb} MB of shared memory (postgres -C shared_memory_size), more than the ${machine.totalMb} MB of this machine, where the sandbox and the dev stack run: the server would not start ("could not map anonymous shared memory")${c ? `; most of it comes from ${c.name} (${c.withoutMb} MB without that line)` : ""}`);
  }
  const huge = conf.split("\n").find((l) => /^\s*huge_pages\s*=/i.test(l));
  if (huge && /=\s*'?on'?\s*$/i.test(huge)) {
    notes.push(`huge_pages = on: ${size.hugePages} huge pages needed, ${machine.freeHugePages} free`);
    if (size.hugePages > machine.freeHugePages) {
      add(stackKeyOf(s, "huge_pages") ?? "postgres.parameters", "PostgreSQL 15", `huge_pages = on needs ${size.hugePages} huge pages (postgres -C shared_memory_size_in_huge_pages) and this machine has ${machine.freeHugePages} free: the server would not start ("could not map anonymous shared memory"); "try" falls back to normal pages`);
    }
  }
  return notes.join("; ");
}

/** A throw-away password per ACL user: the engines only load the files. */
const PASSWORDS = Object.fromEntries(Object.keys(REDIS_USERS).map((r) => [r, `${r[0]}`.repeat(32)])) as RedisUserPasswords;

export async function engineValidation(s: Settings, project: string): Promise<{ validators: ValidatorRun[]; problems: SettingsProblem[] }> {
  const validators: ValidatorRun[] = [];
  const problems: SettingsProblem[] = [];
  const add = (key: string, engine: string, line: string) => problems.push({ key: `${project}:${key}`, value: undefined, message: `${engine} refuses the rendered file: ${line}` });
  // Started together (each engine is its own process), reported in this order.
  const pending: Promise<ValidatorRun>[] = [];
  const timed = (name: string, available: boolean, why: string, run: () => Promise<string> | string) => {
    if (!available) return void pending.push(Promise.resolve({ name, ran: false, ms: 0, note: `not run: ${why}` }));
    const t = Date.now();
    pending.push(Promise.resolve().then(run).then((note) => ({ name, ran: true, ms: Date.now() - t, note })));
  };

  timed("PostgreSQL 15 (postgres -C on postgresql.conf)", ENGINES.postgres(), "/usr/lib/postgresql/15/bin/postgres not installed", () => {
    const found = postgresConfCheck(postgresConfFor(s));
    for (const l of found.filter((x) => !/contains errors/.test(x))) add(pgKeyFor(s, l), "PostgreSQL 15", l);
    return found.length ? `${found.length} error line(s)` : "accepted";
  });
  const docker = s.platform === "docker";
  timed("PostgreSQL 15 shared memory (postgres -C shared_memory_size)", ENGINES.postgres() && docker, docker ? "/usr/lib/postgresql/15/bin/postgres not installed" : "RDS sizes shared memory from the instance class, whose memory no catalogue here holds", () => sharedMemoryJudgement(s, add));
  timed("Redis (redis-server on redis.conf)", ENGINES.redis() && docker, docker ? "redis-server not installed" : "ElastiCache renders no redis.conf", async () => {
    const found = await redisConfCheck((dir, port) => renderRedisConf(s.redis, { bind: "127.0.0.1", port, dir, passwords: PASSWORDS }));
    if (found.length) add(redisKeyFor(found), "redis-server", found.join(" | "));
    return found.length ? "refused" : "accepted";
  });
  timed("Sentinel (redis-server --sentinel on sentinel.conf)", ENGINES.redis() && docker, docker ? "redis-server not installed" : "ElastiCache has no Sentinel", async () => {
    const found = await redisConfCheck((dir, port) => renderSentinelConf(s.redis, { bind: "127.0.0.1", port, dir, masterHost: "127.0.0.1", masterPort: s.redis.port, passwords: PASSWORDS }), { sentinel: true });
    if (found.length) add("redis.sentinel", "Sentinel", found.join(" | "));
    return found.length ? "refused" : "accepted";
  });
  timed(`PgBouncer ${PGBOUNCER_VERSION} (pgbouncer on pgbouncer.ini)`, ENGINES.pgbouncer() && docker, docker ? `PgBouncer ${PGBOUNCER_VERSION} not installed at ${PGBOUNCER_BIN} (scripts/install-system-packages.sh builds it)` : "the aws image renders its ini at start (same renderer)", async () => {
    const found = await pgbouncerIniCheck((dir, port) => ({
      ini: renderPgBouncerIni(s.pgbouncer, { listenAddr: "127.0.0.1", listenPort: port, primary: { host: "127.0.0.1", port: s.postgres.port }, replicas: [], database: s.postgres.databaseName, authFile: `${dir}/userlist.txt`, logFile: `${dir}/pgbouncer.log`, pidFile: `${dir}/pgbouncer.pid` }),
      files: { "userlist.txt": `"${s.pgbouncer.adminUser}" "x"\n` },
    }));
    if (found.length) add("pgbouncer", "PgBouncer", found.join(" | "));
    return found.length ? "refused" : "accepted";
  });
  validators.push(...(await Promise.all(pending)));
  return { validators, problems };
}
