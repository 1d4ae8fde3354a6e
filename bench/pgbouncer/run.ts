/**
 * The PgBouncer benchmark: pgbench select-only direct to Postgres with 50 clients,
 * through PgBouncer with 50 clients and with 1000, while a sampler counts the server
 * connections PgBouncer holds (pg_stat_activity on the primary, plus SHOW POOLS where a
 * console connection still fits under max_client_conn).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { countBackends } from "./backends";
import { BENCH_SCHEMA, PGBENCH, parsePgbenchOutput, peakProblems, pgbenchArgs, poolCeiling, selectOnlyScript, type PgbenchResult } from "./pgbench";
import type { BenchTarget } from "./targets";

export interface BenchOptions {
  durationSeconds: number;
  scale: number;
  jobs: number;
  clients: { direct: number; pooled: number; many: number };
  log: (line: string) => void;
}

export interface RunReport extends PgbenchResult {
  label: string;
  via: "postgres" | "pgbouncer";
  clients: number;
  /** Peak backends of the bench role on the primary (pg_stat_activity). */
  peakServerConnections?: number;
  /** Peak server connections of the pool in SHOW POOLS, when the console fitted. */
  peakPoolServerConnections?: number;
  peakWaitingClients?: number;
  /** Wall time of the pgbench process, seconds (connecting its clients included). */
  processSeconds?: number;
}

export interface BenchReport {
  source: string;
  config: { poolMode: string; maxClientConn: number; defaultPoolSize: number; reservePoolSize: number };
  ceiling: number;
  runs: RunReport[];
  problems: string[];
  /** Figures worth a sentence that are not failures (a run that only connected). */
  notes?: string[];
  wallSeconds: number;
}

const TIMEOUTS = { connectionTimeoutMillis: 5000, query_timeout: 15_000 };

async function withClient<T>(c: Client, f: (c: Client) => Promise<T>): Promise<T> {
  try {
    return await f(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

function consoleClient(t: BenchTarget): Client {
  const c = new Client({ host: t.pgbouncer.host, port: t.pgbouncer.port, database: "pgbouncer", user: t.console.user, password: t.console.password, ...TIMEOUTS });
  c.on("error", () => undefined);
  return c;
}

/** Runs a process with a hard deadline; stdout and stderr are returned, never echoed. */
function runProcess(cmd: string, args: string[], env: Record<string, string>, deadlineMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    // pgbench needs two descriptors per client; raise the soft limit inside its own shell.
    const p = spawn("/bin/sh", ["-c", 'ulimit -n 8192 2>/dev/null; exec "$0" "$@"', cmd, ...args], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => {
      p.kill("SIGKILL");
      reject(new Error(`bench: ${cmd} did not finish within ${Math.round(deadlineMs / 1000)} s`));
    }, deadlineMs);
    p.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // "close", not "exit": pgbench's summary may still be in the pipe when it exits.
    p.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** Creates the bench schema and pgbench tables at `scale` unless they are there already. */
async function prepare(t: BenchTarget, o: BenchOptions): Promise<void> {
  const c = new Client({ host: t.postgres.host, port: t.postgres.port, database: t.database, user: t.bench.user, password: t.bench.password, ...TIMEOUTS });
  c.on("error", () => undefined);
  await c.connect();
  const branches = await withClient(c, async (db) => {
    await db.query(`CREATE SCHEMA IF NOT EXISTS ${BENCH_SCHEMA}`);
    const exists = await db.query(`SELECT to_regclass('${BENCH_SCHEMA}.pgbench_branches') IS NOT NULL AS ok`);
    return exists.rows[0].ok ? Number((await db.query(`SELECT count(*) AS n FROM ${BENCH_SCHEMA}.pgbench_branches`)).rows[0].n) : 0;
  });
  if (branches === o.scale) {
    o.log(`tables: ${BENCH_SCHEMA} already at scale ${o.scale}`);
    return;
  }
  const started = Date.now();
  // Direct to Postgres: the search_path goes in as a startup option, which PgBouncer would refuse.
  const r = await runProcess(
    PGBENCH,
    ["-i", "-s", String(o.scale), "-I", "dtGvp", "--unlogged-tables", "-q", "-h", t.postgres.host, "-p", String(t.postgres.port), "-U", t.bench.user, t.database],
    { PGPASSWORD: t.bench.password, PGOPTIONS: `-c search_path=${BENCH_SCHEMA}`, PGCONNECT_TIMEOUT: "10" },
    120_000,
  );
  if (r.code !== 0) throw new Error(`bench: pgbench -i failed (exit ${r.code}):\n${r.out.slice(-1500)}`);
  o.log(`tables: ${BENCH_SCHEMA} initialized at scale ${o.scale} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Samples server connections every 200 ms until stopped; every query has a timeout. */
function startSampler(t: BenchTarget, withConsole: boolean, onlyNewBackends: boolean) {
  let peakBackends: number | undefined;
  let peakPool: number | undefined;
  let peakWaiting: number | undefined;
  let running = true;
  let error: unknown;
  // Taken now, before pgbench starts (the loop below connects asynchronously); the
  // servers are on loopback, so this clock is theirs.
  const startedAt = new Date();
  const loop = (async () => {
    const db = await t.sampler();
    const admin = withConsole ? consoleClient(t) : undefined;
    if (admin) await admin.connect();
    // A direct run counts only backends opened after it began: PgBouncer's idle server
    // connections (same role, same database, opened earlier) are not pgbench's.
    const since = onlyNewBackends ? startedAt : null;
    try {
      while (running) {
        const n = await countBackends(db, t.bench.user, t.database, since);
        peakBackends = Math.max(peakBackends ?? 0, n);
        if (admin) {
          const pools = (await admin.query("SHOW POOLS")).rows.filter((p) => p.database === t.readWriteDatabase && p.user === t.bench.user);
          const sv = pools.reduce((sum, p) => sum + Number(p.sv_active) + Number(p.sv_idle) + Number(p.sv_used) + Number(p.sv_tested) + Number(p.sv_login), 0);
          const waiting = pools.reduce((sum, p) => sum + Number(p.cl_waiting), 0);
          peakPool = Math.max(peakPool ?? 0, sv);
          peakWaiting = Math.max(peakWaiting ?? 0, waiting);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await db.end().catch(() => undefined);
      await admin?.end().catch(() => undefined);
    }
  })().catch((e) => {
    error = e;
  });
  return {
    async stop() {
      running = false;
      await loop;
      if (error) throw new Error(`bench: the server-connection sampler failed: ${(error as Error).message}`);
      return { peakBackends, peakPool, peakWaiting };
    },
  };
}

export async function runBench(t: BenchTarget, o: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const config = await withClient(consoleClient(t), async (c) => {
    await c.connect();
    const rows = (await c.query("SHOW CONFIG")).rows as { key: string; value: string }[];
    const get = (k: string) => {
      const v = rows.find((r) => r.key === k)?.value;
      if (v === undefined) throw new Error(`bench: SHOW CONFIG has no ${k}`);
      return v;
    };
    return { poolMode: get("pool_mode"), maxClientConn: Number(get("max_client_conn")), defaultPoolSize: Number(get("default_pool_size")), reservePoolSize: Number(get("reserve_pool_size")) };
  });
  const ceiling = poolCeiling(config.defaultPoolSize, config.reservePoolSize);
  o.log(`pgbouncer: pool_mode=${config.poolMode} max_client_conn=${config.maxClientConn} default_pool_size=${config.defaultPoolSize} reserve_pool_size=${config.reservePoolSize}`);
  await prepare(t, o);

  const dir = mkdtempSync(join(tmpdir(), "bench-pgbouncer-"));
  const script = join(dir, "select-only.sql");
  writeFileSync(script, selectOnlyScript(o.scale));
  const problems: string[] = [];
  const notes: string[] = [];
  const runs: RunReport[] = [];
  try {
    const plan = [
      { label: `direct to Postgres, ${o.clients.direct} clients`, via: "postgres" as const, clients: o.clients.direct },
      { label: `through PgBouncer, ${o.clients.pooled} clients`, via: "pgbouncer" as const, clients: o.clients.pooled },
      { label: `through PgBouncer, ${o.clients.many} clients`, via: "pgbouncer" as const, clients: o.clients.many },
    ];
    for (const p of plan) {
      const clients = p.via === "pgbouncer" ? Math.min(p.clients, config.maxClientConn) : p.clients;
      if (clients < p.clients) problems.push(`${p.label}: max_client_conn is ${config.maxClientConn}, below the ${p.clients} clients asked for`);
      const endpoint = p.via === "postgres" ? t.postgres : t.pgbouncer;
      // The console is a client too: sample SHOW POOLS only where it fits under max_client_conn.
      const sampler = startSampler(t, p.via === "pgbouncer" && clients < config.maxClientConn, p.via === "postgres");
      o.log(`run: ${p.label} for ${o.durationSeconds} s ...`);
      let result: PgbenchResult | undefined;
      let failure: unknown;
      const t0 = Date.now();
      try {
        const r = await runProcess(
          PGBENCH,
          pgbenchArgs({ host: endpoint.host, port: endpoint.port, user: t.bench.user, database: p.via === "postgres" ? t.database : t.readWriteDatabase, clients, jobs: o.jobs, durationSeconds: o.durationSeconds, scriptFile: script, scale: o.scale }),
          { PGPASSWORD: p.via === "postgres" ? t.bench.password : (t.bench.pooledPassword ?? t.bench.password), PGCONNECT_TIMEOUT: "30" },
          (o.durationSeconds + 90) * 1000,
        );
        if (r.code !== 0) throw new Error(`bench: pgbench (${p.label}) exited ${r.code}:\n${r.out.slice(-1500)}`);
        result = parsePgbenchOutput(r.out);
      } catch (e) {
        failure = e;
      }
      const peaks = await sampler.stop();
      if (failure || !result) throw failure;
      const processSeconds = (Date.now() - t0) / 1000;
      const run: RunReport = { label: p.label, via: p.via, clients, ...result, peakServerConnections: peaks.peakBackends, peakPoolServerConnections: peaks.peakPool, peakWaitingClients: peaks.peakWaiting, processSeconds };
      runs.push(run);
      if (result.transactions === 0) notes.push(connectOnlyNote(run, o.durationSeconds));
      if (result.failed > 0) problems.push(`${p.label}: ${result.failed} failed transactions`);
      if (p.via === "pgbouncer") {
        problems.push(...peakProblems(`${p.label} (pg_stat_activity)`, peaks.peakBackends, ceiling));
        if (peaks.peakPool !== undefined) problems.push(...peakProblems(`${p.label} (SHOW POOLS)`, peaks.peakPool, ceiling));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { source: t.source, config, ceiling, runs, problems, notes, wallSeconds: (Date.now() - started) / 1000 };
}

/**
 * What a run that finished no transaction measured: its connect phase outlasted `-T`.
 * pgbench counts no connected clients in that case, so the server side (peak server
 * connections) is the only count there is; a figure of the machine's load, not a failure.
 */
export function connectOnlyNote(run: RunReport, durationSeconds: number): string {
  const seconds = run.processSeconds !== undefined ? `${run.processSeconds.toFixed(1)} s` : "the whole run";
  const server = run.peakServerConnections !== undefined ? `; at most ${run.peakServerConnections} server connections were open meanwhile` : "";
  return `${run.label}: no transaction finished in the ${durationSeconds} s run: connecting the ${run.clients} clients took all of it (pgbench ran ${seconds}${server}). tps not measured: the machine is too loaded for this many clients; rerun with a longer --duration <seconds>`;
}

/** The report as a table for a terminal. */
export function formatReport(r: BenchReport): string {
  const rows = r.runs.map((x) => [
    x.label,
    x.transactions === 0 ? "-" : x.tps.toFixed(0),
    x.transactions === 0 ? "-" : x.latencyAvgMs.toFixed(2),
    x.latencyStddevMs?.toFixed(2) ?? "-",
    x.initialConnectionMs !== undefined ? x.initialConnectionMs.toFixed(0) : "-",
    x.via === "pgbouncer" ? String(x.peakServerConnections ?? "-") : `(${x.peakServerConnections ?? "-"} direct)`,
    x.peakPoolServerConnections !== undefined ? String(x.peakPoolServerConnections) : "n/a",
    x.peakWaitingClients !== undefined ? String(x.peakWaitingClients) : "n/a",
  ]);
  const head = ["run", "tps", "lat avg ms", "lat sd ms", "connect ms", "peak server conns", "SHOW POOLS sv", "cl_waiting"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [
    `source: ${r.source}`,
    `server connections allowed per pool: default_pool_size ${r.config.defaultPoolSize} + reserve_pool_size ${r.config.reservePoolSize} = ${r.ceiling}`,
    line(head),
    ...rows.map(line),
    `wall time: ${r.wallSeconds.toFixed(1)} s`,
    ...(r.notes ?? []).map((n) => `note: ${n}`),
    r.problems.length ? `FAIL:\n${r.problems.map((p) => `  - ${p}`).join("\n")}` : `PASS: PgBouncer never held more than ${r.ceiling} server connections`,
  ].join("\n");
}
