/**
 * `npm run bench -- partition`: its own sandbox (Postgres primary only, in
 * <repo>/.sandbox/bench-partition) whose partition pairs are one per size, each loaded
 * to its row count; runs each partition check of every pair several times, the sizes
 * interleaved within each run so a busy shared machine weighs on all sizes alike, and a
 * reconciliation once per pair; prints rows / per-check median / ratio to the smallest
 * size. States its disk need before loading and refuses when the disk lacks room;
 * removes its sandbox after.
 */
import { mkdirSync, statfsSync } from "node:fs";
import { join } from "node:path";
import { loadStackSettings } from "../../components/settings/stackFile";
import { percentile } from "../../checks/lib/measure";
import { monitorTarget } from "../../checks/lib/postgres";
import { partitionChecks } from "../../checks/partition";
import { reconcile } from "../../checks/reconcile/run";
import type { Status } from "../../checks/types";
import { startSandbox, stopSandbox } from "../../sandbox";
import { withPg } from "../../components/clients/postgres";
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
const gb = (b: number) => (b < GB ? `${Math.round(b / 1024 ** 2)} MB` : `${(b / GB).toFixed(1)} GB`);

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
    let bytes = 0;
    for (const t of tables) {
      // pg_partition_tree is empty for a plain table, and a partitioned parent's own size is 0: add both.
      const r = await c.query<{ b: string }>("SELECT (pg_total_relation_size($1::regclass) + (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree($1::regclass)))::bigint AS b", [t]);
      bytes += Number(r.rows[0].b);
    }
    return bytes;
  });
}

/** One pair per size, so every size is measured side by side, interleaved, under the same machine load. */
export function benchPairs(sizes: number[]): { legacy: string; partitioned: string; timestampColumn: string }[] {
  return sizes.map((n) => ({ legacy: `bench_rows_${n}`, partitioned: `bench_rows_${n}_partitioned`, timestampColumn: "created_at" }));
}

export async function runPartitionBench(o: PartitionBenchOptions): Promise<PartitionBenchReport> {
  const sizes = [...new Set(o.rows)].sort((a, b) => a - b);
  const total = sizes.reduce((a, b) => a + b, 0);
  const settings = loadStackSettings("dev");
  // Primary only: the bench measures the checks, and a replica would double disk and load time.
  settings.postgres.replicas = 0;
  const pairs = benchPairs(sizes);
  settings.postgres.partitionPairs = pairs;
  mkdirSync(o.dir, { recursive: true });
  const room = assertDiskRoom(o.dir, total);
  o.log(`bench partition: ${sizes.join(" + ")} rows (one pair per size) need about ${gb(room.need)} (${gb(room.free)} free on ${o.dir})`);
  const info = await startSandbox({ dir: o.dir, settings, timeoutMs: 60_000 });
  const report: PartitionBenchReport = { ratePerSecond: o.ratePerSecond, runs: o.runs, diskNeedBytes: room.need, diskFreeBytes: room.free, sizes: [], problems: [] };
  try {
    if (!info.outputs) throw new Error("bench partition: the sandbox wrote no outputs");
    const outputs = info.outputs;
    const anchor = new Date();
    const loadTimeout = 3 * 3_600_000;
    for (const [i, rows] of sizes.entries()) {
      const pair = pairs[i];
      const t0 = performance.now();
      o.log(`loading ${pair.legacy} and ${pair.partitioned} to ${rows} rows (generate_series, triggers off, then indexes and VACUUM ANALYZE)...`);
      await superuserSql(info.state, partitionsForSpan(pair, anchor, rows / o.ratePerSecond), 60_000);
      await superuserSql(info.state, bulkLoadSql(pair, { from: 0, to: rows, anchor, ratePerSecond: o.ratePerSecond }), loadTimeout, o.log);
      const loadSeconds = (performance.now() - t0) / 1000;
      const bytesOnDisk = await relationBytes(info.state, [pair.legacy, pair.partitioned]);
      o.log(`  loaded in ${loadSeconds.toFixed(1)} s; ${gb(bytesOnDisk)} on disk`);
      report.sizes.push({ rows, loadSeconds, bytesOnDisk, reconcileMs: 0, reconcileExit: -1, checks: {} });
    }
    // The same recent rows in every pair's window, written through the trigger, however long the loads took.
    await superuserSql(info.state, pairs.flatMap((pair) => [topUpSql(pair, { ratePerSecond: o.ratePerSecond, maxSeconds: 86_400 }), `VACUUM ANALYZE ${pair.legacy}`, `VACUUM ANALYZE ${pair.partitioned}`]), loadTimeout);
    const primary = monitorTarget(outputs, outputs.postgres.primary, "primary");
    for (const [i, pair] of pairs.entries()) {
      // The full verdict the gate reads: once per size, off the gate.
      const r0 = performance.now();
      const rec = await reconcile({ outputs, pairs: [pair], read: primary, write: primary, statementTimeoutMs: 600_000, pauseMs: 0, keyColumn: "id", statePath: join(o.dir, "reconcile-state.json"), fresh: true });
      report.sizes[i].reconcileMs = performance.now() - r0;
      report.sizes[i].reconcileExit = rec.exitCode;
      o.log(`  reconcile ${pair.legacy}: ${Math.round(report.sizes[i].reconcileMs)} ms, exit ${rec.exitCode}`);
    }
    const checksBySize = pairs.map((pair) => partitionChecks({ ...outputs, postgres: { ...outputs.postgres, partitionPairs: [pair] } }));
    const kinds = checksBySize[0].length;
    for (let k = 0; k < kinds; k++) {
      const key = checksBySize[0][k].id.replace(new RegExp(`\\.${pairs[0].legacy}$|\\.${pairs[0].partitioned}$`), "");
      const samples = sizes.map(() => ({ times: [] as number[], statuses: [] as Status[], message: "" }));
      // Run 0 warms the connection path and the caches; it is not counted. Sizes alternate within each run.
      for (let run = 0; run <= o.runs; run++) {
        for (const [i, checks] of checksBySize.entries()) {
          const check = checks[k];
          const ac = new AbortController();
          const timer = setTimeout(() => ac.abort(), o.checkTimeoutMs);
          const t = performance.now();
          let status: Status;
          try {
            const out = await check.run({ outputs, signal: ac.signal, timeoutMs: o.checkTimeoutMs });
            status = out.status;
            samples[i].message = out.message;
          } catch (e) {
            status = "FAIL";
            samples[i].message = (e as Error).message;
          } finally {
            clearTimeout(timer);
          }
          if (run > 0) {
            samples[i].times.push(performance.now() - t);
            samples[i].statuses.push(status);
          }
        }
      }
      for (const [i, smp] of samples.entries()) {
        report.sizes[i].checks[key] = { medianMs: percentile(smp.times, 50), statuses: smp.statuses, message: smp.message };
        if (smp.statuses.some((x) => x !== "PASS")) report.problems.push(`${checksBySize[i][k].id} at ${sizes[i]} rows: ${smp.statuses.join(",")}: ${smp.message}`);
      }
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
