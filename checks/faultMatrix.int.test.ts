/**
 * The fault matrix (issue 16): gray failures injected into one real sandbox, each with the
 * verdict every check must give. A row names the fault, how it is injected and undone,
 * and the checks whose status differs from the healthy baseline (all others must keep
 * theirs). Silent faults (SIGSTOP: the kernel still accepts TCP, the process never
 * answers) must give the verdicts a refused endpoint gives, bounded by the connect
 * deadline; damaged files must be caught by the suite and healed by `up`.
 * checks/sandbox.int.test.ts covers killed processes; the drills cover kill -9 under load.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadStackSettings } from "../components/settings/stackFile";
import { startSandbox, stopSandbox, type SandboxInfo } from "../sandbox";
import { PRIMARY_NAME, replicaName, superuserTarget } from "../sandbox/postgres";
import { withPg } from "../components/clients/postgres";
import { startReadLoop, readFigures, formatReadFigures, type PoolTarget } from "../sandbox/readLoop";
import { redisNodeNames } from "../sandbox/redis";
import { withRedis as withSandboxRedis } from "../components/clients/redis";
import { healthyExitCode, LOAD_SENSITIVE } from "../testing/loadSensitive";
import { fill, fillTo, mountsUnder, mountTmpfs, unfill, unmountAll } from "../testing/tmpfs";
import { startWriteLoop } from "../testing/writeLoop";
import { processTree } from "../testing/freeze";
import { killHard, logTail, processLogs, recordAlive, type ProcessRecord } from "../sandbox/procs";
import { operatorTarget, sentinelTargets } from "../sandbox/redis";
import { currentMaster } from "../components/clients/redis";
import { SANDBOX_ROLES } from "../sandbox/schema";
import { READROUTER_NAME, routerDir } from "../sandbox/readrouter";
import { startWriter } from "../sandbox/freezeDrill";
import { readState } from "../sandbox/state";
import { formatConsoleReport } from "./report/console";
import { runSuite, type SuiteReport } from "./suite";

const DEADLINE_MS = 15_000;
const dir = mkdtempSync(join(tmpdir(), "fault-matrix-"));
let sandbox: SandboxInfo;
let baseline = new Map<string, string>();
const stopped = new Set<number>();

/**
 * Full-disk faults: each Redis node's and each Postgres server's data folder is its own
 * small tmpfs, mounted before the sandbox creates it, so filling one fills only that
 * component's disk. Sizes: room for what the dev stack writes in this test, little more.
 */
const REDIS_DISK_MB = 32;
// 256, not 160: a fresh primary uses ~80 MB (50% of 160), and system.disk-space WARNs
// past 80% used: with 160 the rows' own writes could bring it near the warning level.
const POSTGRES_DISK_MB = 256;
const diskOf = (name: string) => (name.startsWith("redis-") ? join(dir, "redis", name) : name === PRIMARY_NAME ? join(dir, "postgres", "primary") : join(dir, "postgres", name));
const SCRATCH = "public.fault_matrix_writes";

beforeAll(async () => {
  const settings = loadStackSettings("dev");
  for (const n of redisNodeNames(settings)) mountTmpfs(diskOf(n), REDIS_DISK_MB);
  mountTmpfs(diskOf(PRIMARY_NAME), POSTGRES_DISK_MB);
  for (let i = 0; i < settings.postgres.replicas; i++) mountTmpfs(diskOf(replicaName(i)), POSTGRES_DISK_MB);
  sandbox = await startSandbox({ dir });
  if (!sandbox.outputs) throw new Error("the sandbox returned no outputs");
  // The table the kill-under-load rows' application writes to.
  const state = readState(dir)!;
  await withPg(superuserTarget(state, proc(PRIMARY_NAME), state.settings.postgres.databaseName), async (c) => {
    await c.query(`CREATE TABLE ${SCRATCH} (id bigint PRIMARY KEY)`);
    await c.query(`GRANT SELECT, INSERT ON ${SCRATCH} TO ${SANDBOX_ROLES.app}`);
  });
}, 90_000);
afterAll(async () => {
  for (const pid of stopped) process.kill(pid, "SIGCONT");
  await stopSandbox(dir).catch(() => undefined);
  unmountAll(dir);
  const left = mountsUnder(dir);
  rmSync(dir, { recursive: true, force: true });
  // No test leaves a mount behind, whatever happened in the rows.
  expect(left).toEqual([]);
}, 60_000);

// A row that failed may leave its fault in place: resume what is frozen and `up` again, so the next rows start healthy.
afterEach(async (ctx) => {
  if (ctx.task.result?.state !== "fail") return;
  for (const pid of stopped) process.kill(pid, "SIGCONT");
  stopped.clear();
  const info = await startSandbox({ dir }).catch(() => null);
  if (info) sandbox = { ...sandbox, outputs: info.outputs };
}, 90_000);

/** The process as the state file records it now (restarts and failovers change pids and roles). */
function proc(name: string): ProcessRecord {
  const p = readState(dir)?.processes.find((x) => x.name === name);
  if (!p) throw new Error(`no sandbox process ${name}`);
  return p;
}
const master = () => readState(dir)!.redis!.master;
const replicaNodes = () => readState(dir)!.processes.filter((p) => p.kind === "redis" && p.name !== master()).map((p) => p.name);

/** SIGSTOP of the whole process (with its children): it keeps its sockets, answers nothing. */
function freeze(p: ProcessRecord): void {
  for (const pid of processTree(p.pid)) {
    process.kill(pid, "SIGSTOP");
    stopped.add(pid);
  }
}
function thaw(p: ProcessRecord): void {
  for (const pid of processTree(p.pid)) {
    process.kill(pid, "SIGCONT");
    stopped.delete(pid);
  }
}

/** kill -9 of the process and its children (a crashed server), until it is gone. */
async function killTree(p: ProcessRecord): Promise<void> {
  for (const pid of processTree(p.pid)) process.kill(pid, "SIGKILL");
  await killHard(p);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An application's connection through PgBouncer: read-write as the app role, read-only as the read-only role. */
function appPool(pool: "read-write" | "read-only"): PoolTarget {
  const o = sandbox.outputs!.pgbouncer;
  const secrets = readState(dir)!.secrets;
  return pool === "read-write"
    ? { host: o.endpoint.host, port: o.endpoint.port, user: SANDBOX_ROLES.app, password: secrets.app, database: o.readWriteDatabase }
    : { host: o.endpoint.host, port: o.endpoint.port, user: SANDBOX_ROLES.readonly, password: secrets.readonly, database: o.readOnlyDatabase };
}
/** A statement on the primary as the superuser (the test's own bookkeeping, not the suite's). */
async function onPrimary<T>(fn: (c: import("pg").Client) => Promise<T>): Promise<T> {
  const state = readState(dir)!;
  return withPg(superuserTarget(state, proc(PRIMARY_NAME), state.settings.postgres.databaseName), fn, 10_000);
}
/** Acknowledged writes of the loop that the primary no longer has. */
async function lostOf(acked: number[]): Promise<number> {
  const n = await onPrimary(async (c) => (await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${SCRATCH} WHERE id = ANY($1::bigint[])`, [acked])).rows[0].n);
  return acked.length - n;
}
const redisAt = (name: string) => {
  const p = proc(name);
  // The operator: it writes any key (the application user could too; the checks' monitor user could not).
  return operatorTarget(readState(dir)!, p);
};
/** Two writes of 256 KiB to a node, 300 ms apart (Redis appends to its AOF before its next event-loop turn): their answers. */
async function bigWrites(name: string): Promise<string[]> {
  const out: string[] = [];
  for (const v of ["a", "b"]) {
    out.push(await withSandboxRedis(redisAt(name), (c) => c.set("fault-matrix:disk", v.repeat(256 * 1024)).then(String, (e: Error) => e.message)).catch((e: Error) => e.message));
    await sleep(300);
  }
  return out;
}
async function suite(): Promise<SuiteReport> {
  const t0 = Date.now();
  const r = await runSuite(sandbox.outputs!, { deadlineMs: DEADLINE_MS, timeoutMs: 3_000, hooks: [] });
  expect(Date.now() - t0).toBeLessThan(DEADLINE_MS);
  expect(r.results.filter((x) => x.message.includes("suite deadline")).map((x) => x.id)).toEqual([]);
  console.log(`${formatConsoleReport(r, false)}\n(wall ${r.wallTimeMs} ms)`);
  return r;
}


/** The healthy verdict of a check now: replica-read SKIPs on whichever node is the master. */
function healthy(id: string): string | undefined {
  if (id.startsWith("redis.replica-read.")) return id === `redis.replica-read.${master()}` ? "SKIP" : "PASS";
  return baseline.get(id);
}

/** Checks whose status differs from the healthy baseline. */
function diff(r: SuiteReport): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of r.results) if (!LOAD_SENSITIVE.has(x.id) && healthy(x.id) !== x.status) out[x.id] = x.status;
  return out;
}
/** Every baseline check whose id starts with `prefix`, with `status`. */
const all = (prefix: string, status: string) => Object.fromEntries([...baseline.keys()].filter((id) => id.startsWith(prefix)).map((id) => [id, status]));
/** What an unreachable primary (silent or killed) turns: everything that needs it. */
const primaryDown = () => ({ "postgres.primary-writable": "FAIL", "postgres.app-role-settings": "FAIL", "postgres.readonly-role-writes": "FAIL", "postgres.streaming": "FAIL", [`postgres.replica-lag.${replicaName(0)}`]: "FAIL", "pgbouncer.read-write": "FAIL", "pgbouncer.app-login.read-write": "FAIL", ...all("partition.", "FAIL") });
/** Drops `id` from the diff after checking it is one of `allowed` (a verdict that follows timing, e.g. clients waiting in a pool while a loop runs). */
function either(d: Record<string, string>, id: string, allowed: (string | undefined)[]): Record<string, string> {
  expect(allowed, id).toContain(d[id]);
  const { [id]: _, ...rest } = d;
  return rest;
}
const msg = (r: SuiteReport, id: string) => r.results.find((x) => x.id === id)?.message ?? "";
const dur = (r: SuiteReport, id: string) => r.results.find((x) => x.id === id)?.durationMs ?? Infinity;

/** `up` on the same folder, then the suite is back to the baseline. */
async function healed(): Promise<SandboxInfo> {
  const info = await startSandbox({ dir });
  sandbox = { ...sandbox, outputs: info.outputs };
  expect(diff(await suite())).toEqual({});
  return info;
}

describe("fault matrix on the sandbox", () => {
  it("baseline: healthy", async () => {
    const r = await suite();
    baseline = new Map(r.results.map((x) => [x.id, x.status]));
    // A fresh sandbox has no reconcile recorded yet: the full-table verdict is SKIP, one per pair.
    const noReconcileYet = sandbox.outputs!.postgres.partitionPairs.map((p) => `partition.reconcile.${p.legacy}=SKIP`);
    expect(r.results.filter((x) => x.status !== "PASS" && !LOAD_SENSITIVE.has(x.id)).map((x) => `${x.id}=${x.status}`)).toEqual([`redis.replica-read.${master()}=SKIP`, "redis.hit-rate=SKIP", ...noReconcileYet]);
    // Exit 0 unless the machine's load alone pushed GET p99 past its level.
    expect(r.exitCode).toBe(healthyExitCode(r));
    expect(msg(r, "postgres.primary-writable")).toMatch(/and allocated a new page$/);
  });

  it("damaged config: pgbouncer.ini pool size changed and reloaded -> pgbouncer.config FAIL; up rewrites the ini", async () => {
    const ini = join(dir, "pgbouncer", "pgbouncer.ini");
    writeFileSync(ini, readFileSync(ini, "utf8").replace(/^default_pool_size = \d+$/m, "default_pool_size = 77"));
    process.kill(proc("pgbouncer").pid, "SIGHUP");
    await new Promise((r) => setTimeout(r, 500));
    const r = await suite();
    expect(diff(r)).toEqual({ "pgbouncer.config": "FAIL" });
    expect(msg(r, "pgbouncer.config")).toContain("default_pool_size is 77, expected");
    const info = await healed();
    expect(info.rewritten).toEqual([ini]);
  });

  it("damaged application verifier: one character in PgBouncer's userlist -> the application's read-write login FAILs in one run; up rewrites the userlist", async () => {
    const userlist = join(dir, "pgbouncer", "userlist.txt");
    const text = readFileSync(userlist, "utf8");
    // One character of the app role's secret, its last: the SCRAM verifier's ServerKey, or
    // (since issue 20 split the application's password from the pool's server login) the
    // application's plain password, which PgBouncer checks clients against.
    const damaged = text.replace(new RegExp(`^("${SANDBOX_ROLES.app}" "[^"]*?)(.)(")$`, "m"), (_, a: string, c: string, b: string) => `${a}${c === "A" ? "B" : "A"}${b}`);
    expect(damaged).not.toBe(text);
    writeFileSync(userlist, damaged);
    process.kill(proc("pgbouncer").pid, "SIGHUP");
    await new Promise((r) => setTimeout(r, 500));
    const r = await suite();
    expect(diff(r)).toEqual({ "pgbouncer.app-login.read-write": "FAIL" });
    expect(msg(r, "pgbouncer.app-login.read-write")).toMatch(new RegExp(`PgBouncer read-write pool as the application role ${SANDBOX_ROLES.app} at 127\\.0\\.0\\.1:\\d+/\\w+`));
    expect(r.exitCode).toBe(2);
    const info = await healed();
    expect(info.rewritten).toEqual([userlist]);
  });

  it("silent PgBouncer: SIGSTOP; every PgBouncer check FAILs at the connect deadline, as if refused", async () => {
    const pb = proc("pgbouncer");
    freeze(pb);
    let r: SuiteReport;
    try {
      r = await suite();
    } finally {
      thaw(pb);
    }
    const ids = ["pgbouncer.read-write", "pgbouncer.read-only", "pgbouncer.app-login.read-write", "pgbouncer.app-login.read-only", "pgbouncer.pool-roles", "pgbouncer.config", "pgbouncer.pools"];
    // The read router's pool check reads PgBouncer's console too: it FAILs with the rest.
    expect(diff(r)).toEqual({ ...Object.fromEntries(ids.map((id) => [id, "FAIL"])), "pgbouncer.read-pool": "FAIL" });
    for (const id of ids) {
      expect(msg(r, id), id).toMatch(/^timed out after 2000 ms connecting to PgBouncer/);
      expect(dur(r, id), id).toBeLessThan(3_000);
    }
    await healed();
  });

  it("silent Postgres replica: SIGSTOP; its checks, streaming (no acknowledgement of a fresh write) and the read-only pools FAIL", async () => {
    const rep = proc("postgres-replica-1");
    freeze(rep);
    let r: SuiteReport;
    try {
      r = await suite();
    } finally {
      thaw(rep);
    }
    const id = "postgres-replica-1";
    // The read router takes the frozen replica out within its interval: reads on the primary
    // (read-pool WARN), or not yet when the suite ran first.
    const d = diff(r);
    const readPool = d["pgbouncer.read-pool"];
    delete d["pgbouncer.read-pool"];
    expect([undefined, "WARN"]).toContain(readPool);
    expect(d).toEqual({ "postgres.streaming": "FAIL", [`postgres.replica-readonly.${id}`]: "FAIL", [`postgres.replica-lag.${id}`]: "FAIL", "pgbouncer.read-only": "FAIL", "pgbouncer.app-login.read-only": "FAIL" });
    expect(msg(r, `postgres.replica-readonly.${id}`)).toMatch(/^timed out after 2000 ms connecting to/);
    // The primary still shows the walsender as streaming; the message names the replica that no longer acknowledges.
    expect(msg(r, "postgres.streaming")).toMatch(new RegExp(`^only 0 of 1 replica\\(s\\) streaming from the primary; connected but not acknowledging a write for 2(\\.\\d)? s \\(frozen or hung\\?\\): ${id} \\(slot replica_1\\), last reply \\d+(\\.\\d)? s ago$`));
    expect(dur(r, "postgres.streaming")).toBeLessThan(4_000);
    await healed();
  });

  it("silent Postgres primary: SIGSTOP of the postmaster and its backends; everything that needs the primary FAILs at the connect deadline", async () => {
    const p = proc(PRIMARY_NAME);
    freeze(p);
    let r: SuiteReport;
    try {
      r = await suite();
    } finally {
      thaw(p);
    }
    expect(diff(r)).toEqual(primaryDown());
    expect(msg(r, "postgres.primary-writable")).toMatch(/^timed out after 2000 ms connecting to Postgres primary/);
    expect(msg(r, "pgbouncer.read-write")).toMatch(/PgBouncer queues clients while it cannot reach the server/);
    expect(r.exitCode).toBe(2);
    await healed();
  });

  it("kill -9 of the Postgres primary under load: an application's write loop; the verdicts of a silent one, refused; no acknowledged write lost", async () => {
    await onPrimary((c) => c.query(`TRUNCATE ${SCRATCH}`));
    const loop = startWriteLoop(appPool("read-write"), SCRATCH);
    await sleep(1_000);
    await killTree(proc(PRIMARY_NAME));
    await sleep(300);
    const r = await suite();
    const seen = await loop.stop();
    console.log(`write loop: ${seen.acked.length} acknowledged, ${seen.failed} failed, longest gap ${seen.longestGapMs} ms; errors: ${seen.errors.join(" | ")}`);
    // The loop's client waits in PgBouncer's queue while the suite samples the pools.
    expect(either(diff(r), "pgbouncer.pools", [undefined, "WARN"])).toEqual(primaryDown());
    expect(msg(r, "postgres.primary-writable")).toMatch(/connection refused/);
    expect(seen.acked.length).toBeGreaterThan(0);
    expect(seen.failed).toBeGreaterThan(0);
    await healed();
    expect(await lostOf(seen.acked)).toBe(0);
  });

  it("kill -9 of a Postgres replica under load: an application's read loop; its checks and streaming FAIL, reads move to the primary", async () => {
    const loop = startReadLoop(appPool("read-only"));
    await sleep(1_000);
    const t = performance.now();
    await killTree(proc(replicaName(0)));
    await sleep(300);
    const r = await suite();
    const reads = await loop.stop();
    const f = readFigures(reads, t);
    console.log(`read loop after the kill: ${formatReadFigures(f)}`);
    const id = replicaName(0);
    // The read router may not have moved the pool yet when the suite samples it (read-only FAIL then, WARN after).
    let d = either(diff(r), "pgbouncer.pools", [undefined, "WARN"]);
    d = either(d, "pgbouncer.read-only", ["WARN", "FAIL"]);
    d = either(d, "pgbouncer.app-login.read-only", [undefined, "FAIL"]);
    expect(d).toEqual({ "postgres.streaming": "FAIL", [`postgres.replica-readonly.${id}`]: "FAIL", [`postgres.replica-lag.${id}`]: "FAIL", "pgbouncer.read-pool": "WARN" });
    expect(msg(r, "postgres.streaming")).toBe("only 0 of 1 replica(s) streaming from the primary");
    expect(f.servedBy.at(-1)?.[0]).toBe("primary");
    await healed();
  });

  it("kill -9 of PgBouncer under load: an application's write and read loops; every PgBouncer check FAILs, refused; no acknowledged write lost", async () => {
    await onPrimary((c) => c.query(`TRUNCATE ${SCRATCH}`));
    const writes = startWriteLoop(appPool("read-write"), SCRATCH);
    const reads = startReadLoop(appPool("read-only"));
    await sleep(1_000);
    const t = performance.now();
    await killHard(proc("pgbouncer"));
    const r = await suite();
    const w = await writes.stop();
    const rd = await reads.stop();
    console.log(`write loop: ${w.acked.length} acknowledged, ${w.failed} failed; errors: ${w.errors.join(" | ")}\nread loop after the kill: ${formatReadFigures(readFigures(rd, t))}`);
    const ids = ["pgbouncer.read-write", "pgbouncer.read-only", "pgbouncer.app-login.read-write", "pgbouncer.app-login.read-only", "pgbouncer.pool-roles", "pgbouncer.config", "pgbouncer.pools", "pgbouncer.read-pool"];
    // pgbouncer.read-router reads the router's own state, which does not need PgBouncer: it keeps PASS.
    expect(diff(r)).toEqual(Object.fromEntries(ids.map((id) => [id, "FAIL"])));
    expect(msg(r, "pgbouncer.read-write")).toMatch(/connection refused/);
    expect(w.failed).toBeGreaterThan(0);
    expect(readFigures(rd, t).failed).toBeGreaterThan(0);
    await healed();
    expect(await lostOf(w.acked)).toBe(0);
  });

  it("full disk on the Redis master: MISCONF on every write and PING, so Sentinel fails over to a replica", async () => {
    const m = master();
    const p = proc(m);
    const bytes = fill(diskOf(m));
    let writes: string[];
    let r: SuiteReport;
    let failoverMs: number | null = null;
    try {
      // An application's writes: a value larger than the AOF's last page makes Redis need new space.
      writes = await bigWrites(m);
      // At once, before Sentinel (down-after) acts: the master's own checks name the full disk.
      r = await runSuite(sandbox.outputs!, { only: `redis.primary,redis.node.${m}`, deadlineMs: 5_000, timeoutMs: 3_000, hooks: [] });
      const t0 = Date.now();
      const state = readState(dir)!;
      while (Date.now() - t0 < 20_000) {
        const named = await currentMaster(sentinelTargets(state), state.settings.redis.sentinel.masterName);
        if (named && !(named.host === p.host && named.port === p.port)) {
          failoverMs = Date.now() - t0;
          break;
        }
        await sleep(200);
      }
    } finally {
      unfill(diskOf(m));
    }
    console.log(`filled ${bytes} bytes; the application's writes: ${writes.join(" / then ")}; Sentinel named another master ${failoverMs} ms after the suite's run`);
    expect(writes[0]).toBe("OK");
    // The application's next connection: the node answers its first command with MISCONF.
    expect(writes[1]).toMatch(/MISCONF Errors writing to the AOF file: No space left on device$/);
    expect(r.results.map((x) => x.status)).toEqual(["FAIL", "FAIL"]);
    for (const x of r.results) expect(x.message, x.id).toMatch(/refused the connection: MISCONF Errors writing to the AOF file: No space left on device/);
    expect(failoverMs).not.toBeNull();
    await healed();
  });

  it("full disk on a Redis replica: Redis 7.0 panics ('Replica was unable to write command to disk'), the verdicts of a killed replica", async () => {
    const victim = replicaNodes()[0];
    fill(diskOf(victim));
    let r: SuiteReport;
    try {
      await bigWrites(master());
      // The panic writes a bug report (and a quick memory test) before the process is gone.
      const end = Date.now() + 15_000;
      while (recordAlive(proc(victim)) && Date.now() < end) await sleep(100);
      r = await suite();
    } finally {
      unfill(diskOf(victim));
    }
    expect(diff(r)).toEqual({ [`redis.node.${victim}`]: "FAIL", [`redis.replica-read.${victim}`]: "FAIL", "redis.replicas-connected": "WARN", "redis.readers": "WARN" });
    expect(recordAlive(proc(victim))).toBe(false);
    expect(logTail(proc(victim).logFile, 100_000)).toContain("Replica was unable to write command to disk");
    await healed();
  });

  it("full disk on the Postgres primary: postgres.primary-writable FAILs, naming the full disk (its probe needs a new page, as the application's inserts do)", async () => {
    const bytes = fill(diskOf(PRIMARY_NAME));
    let r: SuiteReport;
    let app: string;
    try {
      // What an application does: a bulk insert, which extends the table.
      app = await onPrimary((c) => c.query(`INSERT INTO ${SCRATCH} SELECT generate_series(1000000, 1100000)`).then(() => "ok")).catch((e: Error) => e.message);
      r = await suite();
    } finally {
      unfill(diskOf(PRIMARY_NAME));
    }
    console.log(`filled ${bytes} bytes; the application's bulk insert: ${app}`);
    expect(app).toMatch(/could not extend file .*: No space left on device/);
    // The heartbeat upserts still fit in existing pages and WAL segments: only the page probe notices, and the disk-space check.
    expect(diff(r)).toEqual({ "postgres.primary-writable": "FAIL", "system.disk-space": "FAIL" });
    expect(msg(r, "system.disk-space")).toMatch(/^disk nearly full: postgres primary 100\.0% used/);
    expect(msg(r, "postgres.primary-writable")).toMatch(/^the primary took a heartbeat write but cannot allocate a new page: could not extend file .*: No space left on device \(its disk is full/);
    await healed();
  });

  it("full disk on a Postgres replica: at its next WAL segment it stops (the verdicts of a killed replica); its log names the full disk", async () => {
    const victim = replicaName(0);
    fill(diskOf(victim));
    let r: SuiteReport;
    try {
      // WAL on the primary: the replica needs a new segment file.
      for (let i = 0; i < 3; i++) await onPrimary((c) => c.query(`INSERT INTO ${SCRATCH} VALUES (${3_000_000 + i}); SELECT pg_switch_wal()`));
      await sleep(1_000);
      r = await suite();
    } finally {
      unfill(diskOf(victim));
    }
    const d = either(either(diff(r), "pgbouncer.read-only", ["WARN", "FAIL"]), "pgbouncer.app-login.read-only", [undefined, "FAIL"]);
    expect(either(d, "pgbouncer.pools", [undefined, "WARN"])).toEqual({ "postgres.streaming": "FAIL", [`postgres.replica-readonly.${victim}`]: "FAIL", [`postgres.replica-lag.${victim}`]: "FAIL", "pgbouncer.read-pool": "WARN" });
    expect(processLogs(proc(victim))).toMatch(/No space left on device/);
    await healed();
  });

  it("silent Redis replica: SIGSTOP past three missed ACKs; the verdicts of a killed one", async () => {
    const victim = replicaNodes()[0];
    const p = proc(victim);
    freeze(p);
    let silent: SuiteReport;
    try {
      await new Promise((r) => setTimeout(r, 4_500));
      silent = await suite();
    } finally {
      thaw(p);
    }
    const expected = { [`redis.node.${victim}`]: "FAIL", [`redis.replica-read.${victim}`]: "FAIL", "redis.replicas-connected": "WARN", "redis.readers": "WARN" };
    expect(diff(silent)).toEqual(expected);
    expect(msg(silent, "redis.replicas-connected")).toMatch(/online but last acknowledged \d+ s ago/);
    expect(msg(silent, `redis.node.${victim}`)).toMatch(new RegExp(`^timed out after 2000 ms connecting to Redis node ${victim}`));
    await healed();
    await killHard(proc(victim));
    const refused = await suite();
    expect(diff(refused)).toEqual(expected);
    await healed();
  });

  it("damaged redis.conf on a dead node: up restarts it from the rendered file", async () => {
    const victim = replicaNodes()[0];
    await killHard(proc(victim));
    const conf = join(dir, "redis", victim, "redis.conf");
    writeFileSync(conf, "this is not a redis directive\n");
    const info = await startSandbox({ dir });
    expect(info.started).toEqual([victim]);
    expect(readFileSync(conf, "utf8")).toMatch(/^min-replicas-to-write 1$/m);
    expect(recordAlive(proc(victim))).toBe(true);
    expect(diff(await suite())).toEqual({});
  });

  it("frozen Redis master: SIGSTOP past down-after, then SIGCONT; during the two-masters window the old master's checks FAIL 'two masters'", async () => {
    const old = master();
    const p = proc(old);
    const s = readState(dir)!.settings.redis.sentinel;
    freeze(p);
    try {
      // Until the Sentinels have promoted another node.
      const end = Date.now() + s.downAfterMs + 15_000;
      const state = readState(dir)!;
      for (;;) {
        const named = await currentMaster(sentinelTargets(state), state.settings.redis.sentinel.masterName);
        if (named && !(named.host === p.host && named.port === p.port)) break;
        if (Date.now() > end) throw new Error("no failover while the master was frozen");
        await new Promise((r) => setTimeout(r, 200));
      }
    } catch (e) {
      thaw(p);
      throw e;
    }
    thaw(p);
    const r = await runSuite(sandbox.outputs!, { only: `redis.node.${old},redis.replica-read.${old}`, deadlineMs: 5_000, timeoutMs: 3_000, hooks: [] });
    console.log(formatConsoleReport(r, false));
    expect(r.results.map((x) => x.status)).toEqual(["FAIL", "FAIL"]);
    for (const x of r.results) expect(x.message, x.id).toMatch(/two masters/);
    await healed();
  });

  it("frozen read router, then killed: after 3 intervals + 2 s pgbouncer.read-router FAILs 'last round N s ago', the same once killed; reads keep being served by the replica; up restarts it from a fresh config", async () => {
    const rr = proc(READROUTER_NAME);
    const interval = readState(dir)!.settings.readRouting.intervalMs;
    const loop = startReadLoop(appPool("read-only"));
    const t = performance.now();
    const pids = processTree(rr.pid);
    freeze(rr);
    let frozen: SuiteReport;
    let killed: SuiteReport;
    try {
      // The check's bound: the router's last round at most 3 intervals + 2 s ago.
      await sleep(3 * interval + 2_500);
      frozen = await suite();
      // kill -9 while it is stopped, with its configuration damaged: the last round is as old.
      writeFileSync(join(routerDir(dir), "config.json"), "{ not json");
      await killTree(rr);
      for (const pid of pids) stopped.delete(pid);
      killed = await suite();
    } finally {
      for (const pid of pids) if (stopped.delete(pid)) process.kill(pid, "SIGCONT");
    }
    const f = readFigures(await loop.stop(), t);
    console.log(`read loop while the router was frozen and dead: ${formatReadFigures(f)}`);
    // Only the router's own check: the pools, PgBouncer's ini and both application logins keep PASS.
    for (const r of [frozen, killed]) expect(diff(r)).toEqual({ "pgbouncer.read-router": "FAIL" });
    // Frozen, it still exists: only the age of its last round tells. Killed, its pid is gone: said as such.
    expect(msg(frozen, "pgbouncer.read-router")).toMatch(/^the read router's last round was \d+ s ago \(pid \d+\): the read-only pool no longer follows replica health$/);
    expect(msg(killed, "pgbouncer.read-router")).toMatch(/^the read router \(pid \d+, started \S+\) is not running: the read-only pool no longer follows replica health$/);
    expect(f.failed).toBe(0);
    expect(f.ok).toBeGreaterThan(0);
    expect(f.servedBy.map(([where]) => where)).toEqual(["replica"]);
    const info = await healed();
    expect(info.started).toEqual([READROUTER_NAME]);
    expect(JSON.parse(readFileSync(join(routerDir(dir), "config.json"), "utf8")).instance).toBe("sandbox");
  });

  it("damaged read-router config on a running router: the suite is unchanged (the router read it at its start); up rewrites it without a restart", async () => {
    const file = join(routerDir(dir), "config.json");
    const pid = proc(READROUTER_NAME).pid;
    writeFileSync(file, "{ not json");
    const r = await suite();
    expect(diff(r)).toEqual({});
    const info = await healed();
    expect(info.rewritten).toEqual([file]);
    expect(info.started).toEqual([]);
    expect(proc(READROUTER_NAME).pid).toBe(pid);
  });

  it("damaged postgresql.conf: an invalid value + SIGHUP; the primary ignores that line and logs why, the suite is unchanged; up rewrites the conf", async () => {
    const p = proc(PRIMARY_NAME);
    const conf = join(p.args[p.args.indexOf("-D") + 1], "postgresql.conf");
    writeFileSync(conf, `${readFileSync(conf, "utf8")}work_mem = 'banana'\n`);
    process.kill(p.pid, "SIGHUP");
    const end = Date.now() + 5_000;
    // PostgreSQL 15 ignores the invalid line and applies the rest of the file.
    while (!/contains errors; unaffected changes were applied/.test(processLogs(p)) && Date.now() < end) await sleep(100);
    expect(processLogs(p)).toMatch(/invalid value for parameter "work_mem": "banana"/);
    expect(processLogs(p)).toMatch(/contains errors; unaffected changes were applied/);
    // Nothing the running server does changed; the file would matter at its next start, and `up` rewrites it before any start.
    expect(diff(await suite())).toEqual({});
    const info = await healed();
    expect(info.rewritten).toEqual([conf]);
  });

  it("damaged redis.conf and sentinel.conf on running nodes: the suite is unchanged (both read their file at start); up leaves them; once killed, up restarts the node from the rendered file and names the Sentinel's file it refuses", async () => {
    const node = proc(replicaNodes()[0]);
    const sentinel = proc("sentinel-1");
    const [nodeConf, sentinelConf] = [node.args[0], sentinel.args[0]];
    const garbage = "this is not a redis directive\n";
    const before = readFileSync(sentinelConf, "utf8");
    writeFileSync(nodeConf, `${readFileSync(nodeConf, "utf8")}${garbage}`);
    writeFileSync(sentinelConf, `${before}${garbage}`);
    expect(diff(await suite())).toEqual({});
    // Sentinel rewrites both files itself (CONFIG REWRITE): `up` compares neither with the settings while they run.
    const untouched = await startSandbox({ dir });
    expect([untouched.started, untouched.rewritten]).toEqual([[], []]);
    await killHard(proc(node.name));
    await killHard(proc(sentinel.name));
    const t0 = Date.now();
    const err = await startSandbox({ dir }).then(() => null, (e: Error) => e.message);
    console.log(`up with a damaged sentinel.conf, ${Date.now() - t0} ms: ${err}`);
    expect(err).toContain(`sentinel-1 exited at start: it refuses its ${sentinelConf}`);
    expect(err).toMatch(/Bad directive or wrong number of arguments/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    // The node came back from the rendered file before the Sentinel was tried.
    expect(recordAlive(proc(node.name))).toBe(true);
    expect(readFileSync(nodeConf, "utf8")).not.toContain(garbage);
    // What the operator does: take the line out; then `up` starts the Sentinel from its own file.
    writeFileSync(sentinelConf, readFileSync(sentinelConf, "utf8").replace(garbage, ""));
    const info = await healed();
    expect(info.started).toEqual(["sentinel-1"]);
  });

  it("kill -9 of a Sentinel under load: a writer (SET + WAIT 1) that follows the master Sentinel names; redis.sentinel-agreement WARN, no write fails, no acknowledged write lost", async () => {
    const state = readState(dir)!;
    const sentinels = sentinelTargets(state);
    const masterName = state.settings.redis.sentinel.masterName;
    const named = await currentMaster(sentinels, masterName);
    expect(named).not.toBeNull();
    // An application writes: its own ACL user.
    const first = { ...named!, username: "app", password: state.secrets.redisPassword };
    const w = startWriter({ first, old: first, follow: sentinels, masterName, prefix: "fault-matrix:sentinel-kill:", phase: () => "before", commandTimeoutMs: 1_500 });
    await sleep(1_000);
    await killTree(proc("sentinel-1"));
    const r = await suite();
    await w.stop();
    const kept = await withSandboxRedis(redisAt(master()), (c) => c.exists(...w.acked));
    console.log(`writer: ${w.accepted.length} accepted, ${w.acked.length} acknowledged, errors ${JSON.stringify(w.errors)}; kept ${kept}`);
    expect(diff(r)).toEqual({ "redis.sentinel-agreement": "WARN" });
    expect(r.exitCode).toBe(Math.max(1, healthyExitCode(r)));
    expect(w.acked.length).toBeGreaterThan(0);
    expect(w.errors).toEqual({});
    expect(w.acked.length - kept).toBe(0);
    const info = await healed();
    expect(info.started).toEqual(["sentinel-1"]);
  });

  it("dead read router (kill -9): pgbouncer.read-router FAILs in the very next run, within the connect deadline, not 3 intervals + 2 s later", async () => {
    const rr = proc(READROUTER_NAME);
    await killTree(rr);
    const t = Date.now();
    const r = await suite();
    console.log(`suite right after the router's kill: ${Date.now() - t} ms`);
    expect(diff(r)).toEqual({ "pgbouncer.read-router": "FAIL" });
    expect(msg(r, "pgbouncer.read-router")).toMatch(new RegExp(`^the read router \\(pid ${rr.pid}, started \\S+\\) is not running`));
    expect(dur(r, "pgbouncer.read-router")).toBeLessThan(2_000);
    const info = await healed();
    expect(info.started).toEqual([READROUTER_NAME]);
  });

  it("frozen postmaster of the primary, its backends running: the read-write pools still answer over old server connections, yet FAIL because the primary accepts no new one; everything else that needs the primary FAILs as for a frozen primary", async () => {
    const p = proc(PRIMARY_NAME);
    // The postmaster only: the backends PgBouncer holds keep serving the pools.
    process.kill(p.pid, "SIGSTOP");
    stopped.add(p.pid);
    let r: SuiteReport;
    try {
      r = await suite();
    } finally {
      process.kill(p.pid, "SIGCONT");
      stopped.delete(p.pid);
    }
    expect(diff(r)).toEqual(primaryDown());
    for (const id of ["pgbouncer.read-write", "pgbouncer.app-login.read-write"]) {
      expect(msg(r, id), id).toMatch(/, but only over server connections PgBouncer opened earlier: the primary at 127\.0\.0\.1:\d+ accepts no new connection \(timed out after 2000 ms connecting to Postgres primary \(a new connection\)/);
      // The pool's answer and the new connection run side by side: one connect deadline, with margin for a loaded machine.
      expect(dur(r, id), id).toBeLessThan(4_000);
    }
    await healed();
  });

  it("frozen postmaster of a replica, its backends running, the read router held: the read-only pools still answer over old server connections, yet FAIL because no replica accepts a new one; the replica's own checks FAIL", async () => {
    const id = replicaName(0);
    const rep = proc(id);
    const router = proc(READROUTER_NAME);
    // Server connections in both read-only pools, as an application's reads leave them.
    await suite();
    // The router moves reads off a replica that refuses new connections within an interval;
    // held, it stands for a stack without one (or the interval before it acts).
    freeze(router);
    process.kill(rep.pid, "SIGSTOP");
    stopped.add(rep.pid);
    let r: SuiteReport;
    try {
      r = await suite();
    } finally {
      process.kill(rep.pid, "SIGCONT");
      stopped.delete(rep.pid);
      thaw(router);
    }
    console.log(`frozen replica postmaster: ${JSON.stringify(diff(r))}`);
    // The walreceiver is the postmaster's child, not frozen: streaming may go on.
    const d = either(diff(r), "postgres.streaming", [undefined, "FAIL"]);
    expect(d).toEqual({ [`postgres.replica-readonly.${id}`]: "FAIL", [`postgres.replica-lag.${id}`]: "FAIL", "pgbouncer.read-only": "FAIL", "pgbouncer.app-login.read-only": "FAIL", "pgbouncer.read-pool": "FAIL" });
    for (const check of ["pgbouncer.read-only", "pgbouncer.app-login.read-only"]) {
      expect(msg(r, check), check).toMatch(new RegExp(`, but only over server connections PgBouncer opened earlier: no replica accepts a new connection \\(${id} at 127\\.0\\.0\\.1:\\d+: timed out after 2000 ms connecting to Postgres replica ${id} \\(a new connection\\)`));
      expect(dur(r, check), check).toBeLessThan(4_000);
    }
    await healed();
  });

  it("disk filling on self-managed nodes: system.disk-space WARNs past 80% used on a Postgres replica's disk and FAILs past 90% on a Redis replica's, naming the node; the rest of the suite is unchanged", async () => {
    const replica = replicaName(0);
    const redisReplica = replicaNodes()[0];
    let warn: SuiteReport;
    let fail: SuiteReport;
    try {
      fillTo(diskOf(replica), 85);
      warn = await suite();
      fillTo(diskOf(redisReplica), 95);
      fail = await suite();
    } finally {
      unfill(diskOf(replica));
      unfill(diskOf(redisReplica));
    }
    expect(diff(warn)).toEqual({ "system.disk-space": "WARN" });
    expect(msg(warn, "system.disk-space")).toMatch(new RegExp(`^disk filling: postgres ${replica} 8\\d\\.\\d% used \\(\\d+ MiB free at ${diskOf(replica)}[^)]*\\)$`));
    expect(diff(fail)).toEqual({ "system.disk-space": "FAIL" });
    expect(msg(fail, "system.disk-space")).toMatch(new RegExp(`^disk nearly full: redis ${redisReplica} 9\\d\\.\\d% used .*; writes fail when it is full$`));
    await healed();
  });

  it("silent Sentinel (1 of 3): same verdict as a refused one, in under 5 s; on SIGCONT it is in TILT, a WARN", async () => {
    await killHard(proc("sentinel-2"));
    const refused = await suite();
    expect(diff(refused)).toEqual({ "redis.sentinel-agreement": "WARN" });
    await healed();
    const s = proc("sentinel-2");
    freeze(s);
    let silent: SuiteReport;
    try {
      silent = await suite();
    } finally {
      thaw(s);
    }
    expect(diff(silent)).toEqual({ "redis.sentinel-agreement": "WARN" });
    expect(silent.exitCode).toBe(refused.exitCode);
    for (const id of ["redis.sentinel-agreement", "redis.sentinel-quorum"]) expect(dur(silent, id), id).toBeLessThan(5_000);
    expect(msg(silent, "redis.sentinel-agreement")).toContain("timed out after 2000 ms connecting to Sentinel");
    // Sentinel enters TILT when its timer jumps (here: the freeze); it would not fail over meanwhile.
    const tilted = await suite();
    if (Object.keys(diff(tilted)).length > 0) {
      expect(diff(tilted)).toEqual({ "redis.sentinel-quorum": "WARN" });
      expect(msg(tilted, "redis.sentinel-quorum")).toContain("(in TILT)");
    }
    // Last row: the sandbox is stopped next, so nothing waits out the 30 s of TILT.
  });

});
