/**
 * Pure parts of the PgBouncer benchmark: the pgbench script and arguments, parsing its
 * report, and the verdict on the server connections PgBouncer opened.
 *
 * The select-only transaction is pgbench's built-in one with the table qualified by
 * schema: through PgBouncer in transaction mode a search_path cannot be set at startup
 * (the `options` startup parameter is refused), and the bench tables live in a schema of
 * their own so they never mix with the application's.
 */

export const PGBENCH = "/usr/lib/postgresql/15/bin/pgbench";
export const BENCH_SCHEMA = "pgbench_bench";

/** pgbench's built-in select-only transaction, against the bench schema. */
export function selectOnlyScript(scale: number, schema = BENCH_SCHEMA): string {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`bench: scale is ${scale}; expected a whole number >= 1`);
  return [`\\set aid random(1, ${100_000 * scale})`, `SELECT abalance FROM ${schema}.pgbench_accounts WHERE aid = :aid;`, ""].join("\n");
}

export interface PgbenchRun {
  host: string;
  port: number;
  user: string;
  database: string;
  clients: number;
  jobs: number;
  durationSeconds: number;
  scriptFile: string;
  /** Reported in pgbench's output only (a custom script does not detect it). */
  scale: number;
}

/** Arguments of one timed run: simple protocol (transaction pooling breaks -M prepared), no vacuum. */
export function pgbenchArgs(r: PgbenchRun): string[] {
  return ["-h", r.host, "-p", String(r.port), "-U", r.user, "-M", "simple", "-n", "-c", String(r.clients), "-j", String(Math.min(r.jobs, r.clients)), "-T", String(r.durationSeconds), "-P", String(Math.max(1, Math.floor(r.durationSeconds / 3))), "-s", String(r.scale), "-f", r.scriptFile, r.database];
}

export interface PgbenchResult {
  /** 0 when no transaction finished (`transactions` 0): the run ended while its clients were still connecting. */
  tps: number;
  /** NaN when no transaction finished. */
  latencyAvgMs: number;
  latencyStddevMs?: number;
  initialConnectionMs?: number;
  transactions: number;
  failed: number;
}

/**
 * Figures from pgbench 15's report; throws naming what is missing. pgbench prints no tps
 * nor latency when no transaction finished (printResults returns after the count): with
 * 1000 clients on a loaded 2-core machine, connecting (SCRAM for each) can take all of
 * `-T` (200 clients took 3.3 s to connect here). That is a figure (0 transactions), not
 * a broken report: run.ts notes it and how to run longer.
 */
export function parsePgbenchOutput(text: string): PgbenchResult {
  const none = /^number of transactions actually processed: 0\b/m.test(text) && !/^tps = /m.test(text);
  if (none) return { tps: 0, latencyAvgMs: Number.NaN, transactions: 0, failed: 0 };
  const num = (re: RegExp, what: string, optional = false): number | undefined => {
    const m = re.exec(text);
    if (!m) {
      if (optional) return undefined;
      throw new Error(`bench: pgbench printed no ${what}; output was:\n${text.slice(-1500)}`);
    }
    return Number(m[1]);
  };
  return {
    tps: num(/^tps = ([\d.]+)/m, "tps")!,
    latencyAvgMs: num(/^latency average = ([\d.]+) ms/m, "latency average")!,
    latencyStddevMs: num(/^latency stddev = ([\d.]+) ms/m, "latency stddev", true),
    initialConnectionMs: num(/^initial connection time = ([\d.]+) ms/m, "initial connection time", true),
    transactions: num(/^number of transactions actually processed: (\d+)/m, "transaction count")!,
    failed: num(/^number of failed transactions: (\d+)/m, "failed transaction count", true) ?? 0,
  };
}

/** Server connections PgBouncer may open for one (database, user) pool. */
export function poolCeiling(defaultPoolSize: number, reservePoolSize: number): number {
  return defaultPoolSize + reservePoolSize;
}

/** Problems with a PgBouncer run's peak server connections; empty when within the pool. */
export function peakProblems(label: string, peak: number | undefined, ceiling: number): string[] {
  if (peak === undefined) return [`${label}: no server-connection sample was taken`];
  return peak > ceiling ? [`${label}: ${peak} server connections observed, above default_pool_size + reserve_pool_size = ${ceiling}`] : [];
}

/** Only loopback: the benchmark never sends traffic anywhere else. */
export function assertLoopback(what: string, host: string): void {
  if (!["127.0.0.1", "localhost", "::1"].includes(host)) {
    throw new Error(`bench: ${what} is "${host}"; the benchmark runs against loopback only (127.0.0.1)`);
  }
}
