/**
 * `npm run bench -- partition`: grows the sandbox's first partition pair to each size
 * in turn (its own sandbox, Postgres primary only, in <repo>/.sandbox/bench-partition),
 * runs each partition check of that pair several times per size and a reconciliation
 * once, and prints rows / per-check median / ratio to the smallest size. States its disk
 * need before loading and refuses when the disk lacks room; removes its sandbox after.
 */
import { statfsSync } from "node:fs";
import { join } from "node:path";
import type { StackOutputs } from "../../components/contract/outputs";
import { loadStackSettings } from "../../components/settings/stackFile";
import { percentile } from "../../checks/lib/measure";
import { monitorTarget } from "../../checks/lib/postgres";
import { partitionChecks } from "../../checks/partition";
import { reconcile } from "../../checks/reconcile/run";
import type { Status } from "../../checks/types";
import { startSandbox, stopSandbox } from "../../sandbox";
import { withPg } from "../../sandbox/pgClient";
import { superuserTarget } from "../../sandbox/postgres";
import type { SandboxState } from "../../sandbox/state";
import { bulkLoadSql, diskNeedBytes, partitionsForSpan, topUpSql } from "./load";

export interface PartitionBenchOptions {
  rows: number[];
  runs: number;
  ratePerSecond: number;
  /** Per-check timeout, as the suite's default. */
  checkTimeoutMs: number;
  dir: string;
  log(line: string): void;
}

export interface SizeResult {
  rows: number;
  loadSeconds: number;
  bytesOnDisk: number;
  reconcileMs: number;
  reconcileExit: number;
  /** check id (pair suffix dropped) -> median ms, statuses seen, last message. */
  checks: Record<string, { medianMs: number; statuses: Status[]; message: string }>;
}

export interface PartitionBenchReport {
  ratePerSecond: number;
  runs: number;
  diskNeedBytes: number;
  diskFreeBytes: number;
  sizes: SizeResult[];
  /** Check ids whose runs were not all PASS. */
  problems: string[];
}

const GB = 1024 ** 3;
const gb = (b: number) => `${(b / GB).toFixed(1)} GB`;

export class DiskSpaceError extends Error {}

/** Refuses before anything is loaded when the disk under `dir` lacks room for the largest size. */
export function assertDiskRoom(dir: string, rows: number): { need: number; free: number } {
  const st = statfsSync(dir);
  const free = Number(st.bavail) * Number(st.bsize);
  const need = diskNeedBytes(rows);
  if (free < need) throw new DiskSpaceError(`bench partition: ${rows} rows need about ${gb(need)} on the disk of ${dir}, only ${gb(free)} free; choose smaller --rows`);
  return { need, free };
}

async function superuserSql(state: SandboxState, statements: string[], timeoutMs: number, log?: (line: string) => void): Promise<void> {
  const primary = state.processes.find((p) => p.name === "postgres-primary");
  if (!primary) throw new Error("bench sandbox has no postgres-primary");
  await withPg(superuserTarget(state, primary, state.settings.postgres.databaseName), async (c) => {
    for (const s of statements) {
      const t = performance.now();
      await c.query(s);
      const ms = performance.now() - t;
      if (log && ms > 1_000) log(`    ${(ms / 1000).toFixed(1)} s  ${s.replace(/\s+/g, " ").slice(0, 90)}`);
    }
  }, timeoutMs);
}

async function relationBytes(state: SandboxState, tables: string[]): Promise<number> {
  const primary = state.processes.find((p) => p.name === "postgres-primary")!;
  return withPg(superuserTarget(state, primary, state.settings.postgres.databaseName), async (c) => {
    const r = await c.query<{ b: string }>(
      "SELECT sum(pg_total_relation_size(t.relid))::bigint AS b FROM unnest($1::text[]) AS n, LATERAL pg_partition_tree(n::regclass) AS t",
      [tables],
    );
    return Number(r.rows[0].b);
  });
}

export async function runPartitionBench(o: PartitionBenchOptions): Promise<PartitionBenchReport> {
  const sizes = [...o.rows].sort((a, b) => a - b);
  const largest = sizes[sizes.length - 1];
  const settings = loadStackSettings("dev");
  // Primary only: the bench measures the checks, and a replica would double disk and load time.
  settings.postgres.replicas = 0;
  const pair = settings.postgres.partitionPairs[0];
  if (!pair) throw new Error("bench partition: the dev stack has no postgres.partitionPairs");
  const { mkdirSync } = await import("node:fs");
  mkdirSync(o.dir, { recursive: true });
  const room = assertDiskRoom(o.dir, largest);
  o.log(`bench partition: up to ${largest} rows per table needs about ${gb(room.need)} (${gb(room.free)} free on ${o.dir})`);
  const info = await startSandbox({ dir: o.dir, settings, timeoutMs: 60_000 });
  const report: PartitionBenchReport = { ratePerSecond: o.ratePerSecond, runs: o.runs, diskNeedBytes: room.need, diskFreeBytes: room.free, sizes: [], problems: [] };
  try {
    if (!info.outputs) throw new Error("bench partition: the sandbox wrote no outputs");
    const outputs: StackOutputs = { ...info.outputs, postgres: { ...info.outputs.postgres, partitionPairs: [pair] } };
    const anchor = new Date();
    const loadTimeout = 3 * 3_600_000;
    await superuserSql(info.state, partitionsForSpan(pair, anchor, largest / o.ratePerSecond), 60_000);
    let loaded = 0;
    for (const rows of sizes) {
      const t0 = performance.now();
      o.log(`loading ${pair.legacy} and ${pair.partitioned} to ${rows} rows (${rows - loaded} more, triggers off, then indexes and VACUUM ANALYZE)...`);
      await superuserSql(info.state, bulkLoadSql(pair, { from: loaded, to: rows, anchor, ratePerSecond: o.ratePerSecond }), loadTimeout, o.log);
      loaded = rows;
      const loadSeconds = (performance.now() - t0) / 1000;
      await superuserSql(info.state, [topUpSql(pair, { ratePerSecond: o.ratePerSecond, maxSeconds: 86_400 }), `ANALYZE ${pair.legacy}`, `ANALYZE ${pair.partitioned}`], 600_000);
      const bytesOnDisk = await relationBytes(info.state, [pair.legacy, pair.partitioned]);
      o.log(`  loaded in ${loadSeconds.toFixed(1)} s; ${gb(bytesOnDisk)} on disk (${Math.round(bytesOnDisk / rows)} B per row, both tables and indexes)`);
      // The full verdict the gate reads: measured once per size, off the gate.
      const r0 = performance.now();
      const primary = monitorTarget(outputs, outputs.postgres.primary, "primary");
      const rec = await reconcile({ outputs, pairs: [pair], read: primary, write: primary, statementTimeoutMs: 600_000, pauseMs: 0, keyColumn: "id", statePath: join(o.dir, "reconcile-state.json"), fresh: true });
      const reconcileMs = performance.now() - r0;
      o.log(`  reconcile: ${Math.round(reconcileMs)} ms, exit ${rec.exitCode}`);
      const size: SizeResult = { rows, loadSeconds, bytesOnDisk, reconcileMs, reconcileExit: rec.exitCode, checks: {} };
      for (const check of partitionChecks(outputs)) {
        const key = check.id.replace(/\.[^.]+$/, "");
        const times: number[] = [];
        const statuses: Status[] = [];
        let message = "";
        for (let i = 0; i <= o.runs; i++) {
          const ac = new AbortController();
          const timer = setTimeout(() => ac.abort(), o.checkTimeoutMs);
          const t = performance.now();
          try {
            const out = await check.run({ outputs, signal: ac.signal, timeoutMs: o.checkTimeoutMs });
            if (i > 0) statuses.push(out.status);
            message = out.message;
          } catch (e) {
            if (i > 0) statuses.push("FAIL");
            message = (e as Error).message;
          } finally {
            clearTimeout(timer);
          }
          // Run 0 warms the connection path and the caches; it is not counted.
          if (i > 0) times.push(performance.now() - t);
        }
        size.checks[key] = { medianMs: percentile(times, 50), statuses, message };
        if (statuses.some((s) => s !== "PASS")) report.problems.push(`${check.id} at ${rows} rows: ${statuses.join(",")}: ${message}`);
      }
      report.sizes.push(size);
    }
  } finally {
    await stopSandbox(o.dir, { purge: true });
  }
  return report;
}

export function formatPartitionBench(r: PartitionBenchReport): string {
  const base = r.sizes[0];
  const ids = Object.keys(base?.checks ?? {});
  const lines = [`partition checks: median of ${r.runs} runs per size (after one warm-up), constant write rate ${r.ratePerSecond} rows/s; ratio = median / median at ${base?.rows} rows`, ""];
  const w = Math.max(...ids.map((i) => i.length), 10);
  lines.push(`${"check".padEnd(w)}  ${r.sizes.map((s) => `${String(s.rows).padStart(10)} rows      `).join("")}`);
  for (const id of ids) {
    const cells = r.sizes.map((s) => {
      const c = s.checks[id];
      const ratio = c.medianMs / base.checks[id].medianMs;
      const status = c.statuses.every((x) => x === "PASS") ? "PASS" : [...new Set(c.statuses)].join("/");
      return `${c.medianMs.toFixed(1).padStart(7)} ms x${ratio.toFixed(2)} ${status.padEnd(4)}`;
    });
    lines.push(`${id.padEnd(w)}  ${cells.join("  ")}`);
  }
  lines.push("");
  lines.push(`${"reconcile (off the gate)".padEnd(w)}  ${r.sizes.map((s) => `${(s.reconcileMs / 1000).toFixed(1).padStart(7)} s  exit ${s.reconcileExit}   `).join("  ")}`);
  lines.push(`${"load / on disk".padEnd(w)}  ${r.sizes.map((s) => `${s.loadSeconds.toFixed(0).padStart(5)} s ${gb(s.bytesOnDisk).padStart(7)}  `).join("  ")}`);
  lines.push("", r.problems.length ? `NOT ALL PASS:\n${r.problems.map((p) => `  - ${p}`).join("\n")}` : "every check PASS at every size");
  return `${lines.join("\n")}\n`;
}
