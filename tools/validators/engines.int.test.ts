/**
 * Issue 21, item 3: the real engines judge what the settings accept. The PostgreSQL
 * walk covers every parameter a stack may set, at its boundaries and every enum value,
 * and the verdicts of the settings (checkParameter + engineLimits) and of PostgreSQL 15
 * itself must agree, both ways. Redis, Sentinel and PgBouncer load the files rendered
 * from every enumerated setting and every numeric setting at its schema maximum.
 */
import { describe, expect, it } from "vitest";
import { PG_CATALOGUE, allowedParameterNames, checkParameter, checkParameterValue, pgParameter } from "../../components/postgres/catalogue";
import { engineLimitProblems } from "../../components/postgres/catalogue/engineLimits";
import { quoteConfValue } from "../../components/postgres/render";
import { deepMerge } from "../../components/settings/defaults";
import { parseSettings } from "../../components/settings/load";
import { readStackFile } from "../../components/settings/stackFile";
import { engineValidation, postgresConfFor, sharedMemoryJudgement } from "./index";
import { ENGINES, postgresConfCheck, postgresSharedMemory, postgresSingle } from "./engines";

const settingsWith = (stack: "dev" | "prod", over: Record<string, unknown>) => {
  const raw = readStackFile(stack).raw;
  return parseSettings({ ...raw, values: deepMerge(raw.values, over) as Record<string, unknown> });
};

/** Our verdict on one parameter alone: its own check and the engine's cross-parameter limits. */
function oursAccepts(name: string, value: string): boolean {
  const c = checkParameter(name, value, "docker");
  if (!c.ok) return false;
  return engineLimitProblems({ platform: "docker", maxConnections: 100, walSenders: 10, parameters: { [name]: value } }).length === 0;
}

/** PostgreSQL's verdict on each (name, value), batched: one conf per batch, then each pair alone for any batch that fails. */
function engineAccepts(pairs: [string, string][]): Map<string, boolean> {
  const verdict = new Map<string, boolean>();
  const key = ([n, v]: [string, string]) => `${n}=${v}`;
  const lines = postgresConfCheck(conf(pairs));
  // A refused value can mask another's (with one line failing, PostgreSQL did not name max_stack_depth's): a batch that fails is judged pair by pair.
  for (const p of pairs) verdict.set(key(p), lines.length > 0 ? postgresConfCheck(conf([p])).length === 0 : true);
  return verdict;
}

/** pg_stat_statements' parameters are checked only with the library loaded, as the program always loads it. */
const conf = (ps: [string, string][]) => ["shared_preload_libraries = 'pg_stat_statements'", ...ps.map(([n, v]) => `${n} = ${quoteConfValue(n, v)}`)].join("\n");

describe.skipIf(!ENGINES.postgres())("PostgreSQL 15 as the validator of postgres.parameters", () => {
  it("every allowed parameter, at its minimum and maximum, each enum value and both booleans: the settings and the engine agree", () => {
    const names = allowedParameterNames("docker");
    expect(names.length).toBeGreaterThan(200);
    // Batches in which each parameter appears once (PostgreSQL judges only the last of a name in a file).
    const accepted: [string, string][][] = [];
    const place = (pair: [string, string]) => {
      const batch = accepted.find((b) => !b.some(([n]) => n === pair[0])) ?? (accepted.push([]), accepted[accepted.length - 1]);
      batch.push(pair);
    };
    const refused: [string, string][] = [];
    let walked = 0;
    for (const name of names) {
      const p = pgParameter(name, "docker")!;
      const candidates: string[] =
        p.type === "bool" ? ["on", "off", "maybe", "t", "of", "o", "YE", "n"] : p.type === "enum" ? [...(p.values ?? []), "no-such-value"] : p.type === "string" ? [] : [String(p.min), String(p.max), String((p.min ?? 0) - 1), String((p.max ?? 0) + 1)];
      for (const v of candidates) {
        walked++;
        const c = checkParameter(name, v, "docker");
        const value = c.ok ? c.value : v;
        if (oursAccepts(name, v)) place([name, value]);
        // Value-level refusals only (a value refused on the project's own policy, e.g. wal_receiver_status_interval 0, is not the engine's).
        else if (!checkParameterValue(p, v, "docker").ok) refused.push([name, v]);
      }
    }
    expect(walked).toBeGreaterThan(600);
    // Everything the settings accept, PostgreSQL accepts.
    const disagreeAccepted = accepted.flatMap((batch) => {
      const v = engineAccepts(batch);
      return batch.filter((p) => !v.get(`${p[0]}=${p[1]}`)).map(([n, x]) => `${n}=${x}`);
    });
    expect(disagreeAccepted).toEqual([]);
    // Extension parameters, judged when the library loads: no value the settings accept draws a WARNING. (Memory
    // the host cannot map, e.g. pg_stat_statements.max at its maximum, is the instance's limit, not the value's.)
    for (const pair of accepted.flat().filter(([n]) => n.includes("."))) {
      expect(postgresSingle(conf([pair]), { warnings: true }).filter((l) => !/could not map anonymous shared memory/.test(l)), pair.join("=")).toEqual([]);
    }
    // Everything the settings refuse for its value, PostgreSQL refuses too (PostgreSQL lists every bad value of a file at once).
    const byName = new Map<string, [string, string][]>();
    for (const r of refused) byName.set(r[0], [...(byName.get(r[0]) ?? []), r]);
    const rounds = Math.max(...[...byName.values()].map((x) => x.length));
    const disagreeRefused: string[] = [];
    for (let i = 0; i < rounds; i++) {
      const batch = [...byName.values()].map((x) => x[i]).filter(Boolean);
      const named = new Set(postgresConfCheck(conf(batch)).map((l) => /parameter "([^"]+)"/.exec(l)?.[1]?.toLowerCase()));
      // `postgres -C` loads no library: an extension's parameters are judged when it loads (single-user mode, WARNING).
      const ext = batch.filter(([n]) => n.includes("."));
      for (const l of ext.length ? postgresSingle(conf(ext), { warnings: true }) : []) named.add(/parameter "([^"]+)"/.exec(l)?.[1]?.toLowerCase());
      for (const [n, v] of batch) if (!named.has(n.toLowerCase()) && postgresConfCheck(conf([[n, v]])).length === 0) disagreeRefused.push(`${n}=${v}`);
    }
    expect(disagreeRefused).toEqual([]);
  }, 300_000);

  it("the mixed-case names are the engine's too", () => {
    const mixed = Object.keys(PG_CATALOGUE.parameters).filter((n) => n !== n.toLowerCase());
    expect(mixed.sort()).toEqual(["DateStyle", "IntervalStyle", "TimeZone"]);
    expect(postgresConfCheck("timezone = 'UTC'\ndatestyle = 'ISO, MDY'\nintervalstyle = 'iso_8601'")).toEqual([]);
  });

  it("the rendered postgresql.conf of dev and prod starts a real PostgreSQL 15 (single-user mode); the issue's cases are refused by the engine and by the settings alike", () => {
    expect(postgresSingle(postgresConfFor(settingsWith("dev", {})))).toEqual([]);
    expect(postgresSingle(postgresConfFor(settingsWith("prod", {})))).toEqual([]);
    const base = settingsWith("dev", {});
    const walTooSmall = { ...base, postgres: { ...base.postgres, parameters: { max_wal_size: "16MB" } } };
    expect(postgresSingle(postgresConfFor(walTooSmall)).join("\n")).toMatch(/"max_wal_size" must be at least twice "wal_segment_size"/);
    const tooMany = { ...base, postgres: { ...base.postgres, maxConnections: 262143 } };
    expect(postgresConfCheck(postgresConfFor(tooMany)).join("\n")).toMatch(/invalid value for parameter "max_connections"/);
  }, 120_000);
});

describe.skipIf(!ENGINES.redis() || !ENGINES.pgbouncer())("redis-server, Sentinel and PgBouncer as validators of the rendered files", () => {
  const variants: [string, Record<string, unknown>][] = [
    ...["allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "allkeys-random", "volatile-random", "volatile-ttl", "noeviction"].map((p): [string, Record<string, unknown>] => [`maxmemory-policy ${p}`, { redis: { maxmemoryPolicy: p } }]),
    ["Redis numbers at their schema maximum", { redis: { maxmemoryMb: 1_048_576, ioThreads: 16, slowlogLogSlowerThanUs: 2_147_483_647, slowlogMaxLen: 1_000_000, latencyMonitorThresholdMs: 2_147_483_647, sentinel: { downAfterMs: 3_600_000, failoverTimeoutMs: 86_400_000 } } }],
    ["Redis numbers at their schema minimum", { redis: { maxmemoryMb: 16, ioThreads: 1, slowlogLogSlowerThanUs: 0, slowlogMaxLen: 1, latencyMonitorThresholdMs: 0, persistence: { rdb: false, aof: false }, lazyFree: false } }],
    ...["session", "transaction", "statement"].flatMap((mode) => ["scram-sha-256", "md5"].map((auth): [string, Record<string, unknown>] => [`PgBouncer ${mode} / ${auth}`, { pgbouncer: { poolMode: mode, authType: auth } }])),
    ["PgBouncer numbers at their schema maximum", { pgbouncer: { maxClientConn: 1_000_000, defaultPoolSize: 10_000, minPoolSize: 10_000, reservePoolSize: 10_000, reservePoolTimeoutSeconds: 86_400, serverIdleTimeoutSeconds: 86_400, queryWaitTimeoutSeconds: 86_400, clientIdleTimeoutSeconds: 86_400, serverCheckDelaySeconds: 86_400, serverLoginRetrySeconds: 3_600 }, postgres: { maxConnections: 262_000 } }],
  ];

  it.each(variants)("%s: every engine loads what the settings accept", async (_name, over) => {
    let s;
    try {
      s = settingsWith("dev", over);
    } catch {
      // The settings refuse it (e.g. pool rules): then no file is rendered, nothing to load.
      return;
    }
    const r = await engineValidation(s, "data-tier");
    expect(r.validators.filter((v) => v.ran).map((v) => v.name)).toHaveLength(5);
    // The shared memory a file asks for is judged against this machine (12 GB for 262000
    // connections): a smaller one refuses it, under the key that asks for it.
    const memory = r.problems.filter((p) => /MB of shared memory/.test(p.message));
    expect(r.problems.filter((p) => !memory.includes(p))).toEqual([]);
    for (const p of memory) expect(p.key).toBe("data-tier:postgres.maxConnections");
  }, 60_000);

  it("a directive Redis does not take is refused by redis-server, under its key", async () => {
    const s = settingsWith("dev", {});
    const r = await engineValidation({ ...s, redis: { ...s.redis, maxmemoryPolicy: "bogus" as never } }, "data-tier");
    expect(r.problems.map((p) => p.key)).toEqual(["data-tier:redis.maxmemoryPolicy"]);
  });
});

describe.skipIf(!ENGINES.postgres())("PostgreSQL 15's own figure for the shared memory a file asks for (the server does not start without it)", () => {
  const collect = (s: ReturnType<typeof settingsWith>, machine: { totalMb: number; freeHugePages: number }) => {
    const problems: { key: string; line: string }[] = [];
    const note = sharedMemoryJudgement(s, (key, _engine, line) => problems.push({ key, line }), machine);
    return { note, problems };
  };

  it("the review runs it on docker stacks and says the figure; the dev stack fits this machine", async () => {
    const r = await engineValidation(settingsWith("dev", {}), "data-tier");
    const v = r.validators.find((x) => x.name.startsWith("PostgreSQL 15 shared memory"));
    expect(v?.ran).toBe(true);
    expect(v?.note).toMatch(/^\d+ MB of this machine's \d+ MB$/);
    expect(r.problems).toEqual([]);
    expect(r.validators.find((x) => x.name.startsWith("PostgreSQL 15 shared memory") && !x.ran)).toBeUndefined();
  }, 60_000);

  it("more connections mean more shared memory, by the engine's own count (not a formula of ours)", () => {
    const small = postgresSharedMemory(postgresConfFor(settingsWith("dev", {}))).mb;
    const big = postgresSharedMemory(postgresConfFor(settingsWith("dev", { postgres: { maxConnections: 5000 } }))).mb;
    expect(small).toBeGreaterThan(16);
    expect(big).toBeGreaterThan(small + 100);
  }, 60_000);

  it("max_locks_per_transaction at its maximum asks for terabytes: refused on any machine, under its key, naming the line", () => {
    const r = collect(settingsWith("dev", { postgres: { parameters: { max_locks_per_transaction: "2147483647" } } }), { totalMb: 4 * 1024 * 1024, freeHugePages: 0 });
    expect(r.problems.map((p) => p.key)).toEqual(["postgres.parameters.max_locks_per_transaction"]);
    expect(r.problems[0].line).toMatch(/^the file asks for \d{7,} MB of shared memory \(postgres -C shared_memory_size\), more than the 4194304 MB of this machine.*would not start.*most of it comes from max_locks_per_transaction \(\d+ MB without that line\)$/);
  }, 60_000);

  it("on a machine too small for the connections asked for, the key is the one asking (postgres.maxConnections), not the renderer's fixed lines", () => {
    const s = settingsWith("dev", { postgres: { maxConnections: 5000 } });
    const need = postgresSharedMemory(postgresConfFor(s)).mb;
    expect(collect(s, { totalMb: need + 1, freeHugePages: 0 }).problems).toEqual([]);
    const r = collect(s, { totalMb: need - 1, freeHugePages: 0 });
    expect(r.problems.map((p) => p.key)).toEqual(["postgres.maxConnections"]);
  }, 60_000);

  it("huge_pages = on needs the huge pages PostgreSQL counts; try and off never do", () => {
    const on = settingsWith("dev", { postgres: { parameters: { huge_pages: "on" } } });
    const r = collect(on, { totalMb: 1_000_000, freeHugePages: 0 });
    expect(r.problems.map((p) => p.key)).toEqual(["postgres.parameters.huge_pages"]);
    expect(r.problems[0].line).toMatch(/^huge_pages = on needs \d+ huge pages .* this machine has 0 free/);
    expect(collect(on, { totalMb: 1_000_000, freeHugePages: 1_000_000 }).problems).toEqual([]);
    for (const v of ["try", "off"]) expect(collect(settingsWith("dev", { postgres: { parameters: { huge_pages: v } } }), { totalMb: 1_000_000, freeHugePages: 0 }).problems, v).toEqual([]);
  }, 60_000);

  it("aws stacks: not run, and the review says why (RDS sizes shared memory from the instance class)", async () => {
    const r = await engineValidation(settingsWith("prod", {}), "data-tier");
    const v = r.validators.find((x) => x.name.startsWith("PostgreSQL 15 shared memory"));
    expect(v).toMatchObject({ ran: false });
    expect(v?.note).toMatch(/^not run: RDS sizes shared memory from the instance class/);
  }, 60_000);
});
