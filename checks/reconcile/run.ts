/**
 * Full reconciliation of each partition pair, partition by partition, off the gate:
 * for every partition of the twin, the legacy rows of its range and its own rows are
 * counted and their keys checksummed in one REPEATABLE READ snapshot (on a replica by
 * default), one partition at a time with a pause between, each statement under a
 * statement_timeout. Progress is saved after every partition (resumable); a finished
 * pair's result goes to the result table on the primary, where the gate reads it.
 */
import { randomBytes } from "node:crypto";
import type { StackOutputs } from "../../components/contract/outputs";
import { errorText, sleep } from "../lib/measure";
import { pinForAppTables } from "../lib/appTables";
import { qualified, withPg, type PgTarget } from "../lib/postgres";
import { RECONCILE_TABLE, reconcileDdl, writeReconcileResult, type PartitionDifference, type ReconcileResult } from "../lib/reconcileResult";
import type { CheckContext } from "../types";
import { EPOCH_SQL, PARTITIONS_SQL, parsePartitionBound, partitionDigestSql, partitionPredicate, partitionsSince, planPartitions, type PlannedPartition } from "./plan";
import { readReconcileState, removeReconcileState, StateFileError, writeReconcileState, STATE_VERSION, type PartitionDigest, type ReconcileState } from "./state";

type Pair = StackOutputs["postgres"]["partitionPairs"][number];

export const RECONCILE_EXIT = { matched: 0, differing: 1, incomplete: 2, usage: 3, internal: 4 } as const;

export interface ReconcileOptions {
  outputs: StackOutputs;
  pairs: Pair[];
  /** Where the rows are read (a replica by default) and its name in reports. */
  read: PgTarget;
  /** The primary: where the result is recorded. */
  write: PgTarget;
  /** Only partitions holding rows at or after this (a date or timestamp PostgreSQL parses). */
  since?: string;
  statementTimeoutMs: number;
  pauseMs: number;
  keyColumn: string;
  statePath: string;
  /** Ignore (and replace) a state file left by an earlier run. */
  fresh?: boolean;
  onProgress?(e: ProgressEvent): void;
  signal?: AbortSignal;
  /** Clock for the run id and timestamps (tests). */
  now?: () => Date;
}

export interface ProgressEvent {
  pair: string;
  partition: string;
  /** 1-based position of this partition among all planned partitions of the run. */
  index: number;
  total: number;
  /** "resumed": done by an earlier run (from the state file). */
  outcome: "matched" | "differs" | "failed" | "resumed";
  ms?: number;
  detail?: string;
}

export interface PairReport {
  legacy: string;
  partitioned: string;
  partitions: number;
  checked: number;
  differing: PartitionDifference[];
  failed: { partition: string; error: string }[];
  /** Whether the result was written to the result table (only when every partition was read). */
  recorded: boolean;
  /** Milliseconds per partition read in this run. */
  partitionMs: number[];
}

export interface ReconcileReport {
  runId: string;
  source: string;
  since: string | null;
  resumed: boolean;
  pairs: PairReport[];
  exitCode: number;
}

function differenceOf(partition: string, d: PartitionDigest): PartitionDifference | null {
  const delta = d.partitionedRows - d.legacyRows;
  const keysDiffer = d.legacyHash !== d.partitionedHash;
  return delta !== 0 || keysDiffer ? { partition, legacyRows: d.legacyRows, partitionedRows: d.partitionedRows, delta, keysDiffer } : null;
}

async function digest(ctx: CheckContext, read: PgTarget, pair: Pair, p: PlannedPartition, keyColumn: string): Promise<PartitionDigest> {
  return withPg(ctx, read, async (c) => {
    // The application owns both tables: what its policies, views or functions would run is not run (checks/lib/appTables.ts).
    const pinned = await pinForAppTables(c, [pair.legacy, pair.partitioned]);
    if (!pinned.ok) throw new Error(pinned.refused);
    const { where, params } = partitionPredicate(p, pair.timestampColumn);
    // One snapshot: the dual-write trigger writes both rows in one transaction, so no in-flight row shows as a difference.
    await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    try {
      const l = (await c.query<{ n: string; h: string }>(partitionDigestSql(pinned.resolved.get(pair.legacy)!, keyColumn, where), params)).rows[0];
      const t = (await c.query<{ n: string; h: string }>(partitionDigestSql(pinned.resolved.get(pair.partitioned)!, keyColumn, where), params)).rows[0];
      return { legacyRows: Number(l.n), partitionedRows: Number(t.n), legacyHash: l.h, partitionedHash: t.h };
    } finally {
      await c.query("ROLLBACK").catch(() => undefined);
    }
  });
}

async function planPair(ctx: CheckContext, read: PgTarget, pair: Pair, since: string | undefined): Promise<PlannedPartition[]> {
  return withPg(ctx, read, async (c) => {
    const exists = await c.query<{ legacy: string | null; part: string | null }>("SELECT to_regclass($1)::text AS legacy, to_regclass($2)::text AS part", [qualified(pair.legacy), qualified(pair.partitioned)]);
    const missing = [exists.rows[0].legacy ? "" : pair.legacy, exists.rows[0].part ? "" : pair.partitioned].filter(Boolean);
    if (missing.length) throw new Error(`table ${missing.join(" and ")} does not exist`);
    const parts = (await c.query<{ name: string; bound: string }>(PARTITIONS_SQL, [qualified(pair.partitioned)])).rows;
    if (parts.length === 0) throw new Error(`${pair.partitioned} has no partitions`);
    // The server orders the bound literals (it parses them as it does for the partitions).
    const literals = new Set<string>(since === undefined ? [] : [since]);
    for (const p of parts) {
      const r = parsePartitionBound(p.name, p.bound);
      if (r !== "default") for (const b of [r.from, r.to]) if (b !== null) literals.add(b);
    }
    const epochs = new Map((await c.query<{ literal: string; epoch: number }>(EPOCH_SQL, [[...literals]])).rows.map((r) => [r.literal, r.epoch]));
    const epoch = (l: string) => epochs.get(l) as number;
    const plan = planPartitions(parts, epoch);
    return since === undefined ? plan : partitionsSince(plan, epoch(since), epoch);
  });
}

/** Runs (or resumes) a reconciliation; never throws for a partition that fails (it is reported, the state kept). */
export async function reconcile(o: ReconcileOptions): Promise<ReconcileReport> {
  const now = o.now ?? (() => new Date());
  const source = `${o.read.label} (${o.read.host}:${o.read.port})`;
  const fingerprint = JSON.stringify({ host: o.read.host, port: o.read.port, database: o.read.database, pairs: o.pairs.map((p) => p.legacy), since: o.since ?? null, key: o.keyColumn });
  let state = o.fresh ? null : readReconcileState(o.statePath);
  if (state && state.fingerprint !== fingerprint) {
    throw new StateFileError(`${o.statePath} holds an unfinished reconciliation of another target, pair set or --since (${state.fingerprint}); pass --fresh to discard it, or --state <file> for this run`);
  }
  const resumed = state !== null;
  const s: ReconcileState = state ?? { version: STATE_VERSION, fingerprint, runId: `${now().toISOString().replace(/[-:.]/g, "").slice(0, 15)}-${randomBytes(3).toString("hex")}`, startedAt: now().toISOString(), done: {} };
  state = s;
  const controller = new AbortController();
  const signal = o.signal ?? controller.signal;
  const ctx: CheckContext = { outputs: o.outputs, signal, timeoutMs: o.statementTimeoutMs };

  // Plan every pair first, so the progress bar knows the total.
  const plans: { pair: Pair; plan: PlannedPartition[] | null; error?: string }[] = [];
  for (const pair of o.pairs) {
    try {
      plans.push({ pair, plan: await planPair(ctx, o.read, pair, o.since) });
    } catch (e) {
      plans.push({ pair, plan: null, error: errorText(e) });
    }
  }
  const total = plans.reduce((n, p) => n + (p.plan?.length ?? 0), 0);
  let index = 0;
  let first = true;
  const reports: PairReport[] = [];
  for (const { pair, plan, error } of plans) {
    const report: PairReport = { legacy: pair.legacy, partitioned: pair.partitioned, partitions: plan?.length ?? 0, checked: 0, differing: [], failed: [], recorded: false, partitionMs: [] };
    reports.push(report);
    if (!plan) {
      report.failed.push({ partition: pair.partitioned, error: error as string });
      continue;
    }
    const done = (s.done[pair.legacy] ??= {});
    for (const p of plan) {
      index++;
      if (signal.aborted) {
        report.failed.push({ partition: p.name, error: "interrupted" });
        continue;
      }
      let d = done[p.name];
      if (d) {
        o.onProgress?.({ pair: pair.legacy, partition: p.name, index, total, outcome: "resumed" });
      } else {
        // Bounded load: one partition at a time, a pause between reads.
        if (!first && o.pauseMs > 0) await sleep(o.pauseMs, signal).catch(() => undefined);
        first = false;
        const t0 = performance.now();
        try {
          d = await digest(ctx, o.read, pair, p, o.keyColumn);
        } catch (e) {
          report.failed.push({ partition: p.name, error: errorText(e) });
          o.onProgress?.({ pair: pair.legacy, partition: p.name, index, total, outcome: "failed", detail: errorText(e) });
          continue;
        }
        const ms = performance.now() - t0;
        report.partitionMs.push(ms);
        done[p.name] = d;
        writeReconcileState(o.statePath, s);
        const diff = differenceOf(p.name, d);
        o.onProgress?.({ pair: pair.legacy, partition: p.name, index, total, outcome: diff ? "differs" : "matched", ms, detail: diff ? describeDifference(diff) : undefined });
      }
      report.checked++;
      const diff = differenceOf(p.name, d);
      if (diff) report.differing.push(diff);
    }
    if (report.failed.length === 0) {
      const result: ReconcileResult = { legacy: pair.legacy, partitioned: pair.partitioned, runId: s.runId, startedAt: s.startedAt, finishedAt: now().toISOString(), since: o.since ?? null, partitions: plan.length, source, differing: report.differing };
      try {
        await withPg(ctx, o.write, async (c) => {
          // Deployments create it with the heartbeat (the monitoring role may not CREATE in the database); create it only when absent.
          if (!(await c.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [RECONCILE_TABLE])).rows[0].t) for (const sql of reconcileDdl(o.write.user)) await c.query(sql);
          await writeReconcileResult(c, result);
        });
        report.recorded = true;
      } catch (e) {
        report.failed.push({ partition: "(result)", error: `cannot record the result on ${o.write.label}: ${errorText(e)}` });
      }
    }
  }
  const complete = reports.every((r) => r.failed.length === 0);
  if (complete) removeReconcileState(o.statePath);
  const exitCode = !complete ? RECONCILE_EXIT.incomplete : reports.some((r) => r.differing.length > 0) ? RECONCILE_EXIT.differing : RECONCILE_EXIT.matched;
  return { runId: s.runId, source, since: o.since ?? null, resumed, pairs: reports, exitCode };
}

export function describeDifference(d: PartitionDifference): string {
  if (d.delta === 0) return `${d.partition}: ${d.legacyRows} rows on both sides but the keys differ`;
  return `${d.partition}: legacy ${d.legacyRows} rows, partitioned ${d.partitionedRows}: ${d.delta > 0 ? `${d.delta} extra` : `${-d.delta} missing`} in the partition`;
}

/** The report a person reads: per pair, each differing partition and by how much, what failed, what to do. */
export function formatReconcileReport(r: ReconcileReport, statePath: string): string {
  const lines = [`reconcile ${r.runId}${r.resumed ? " (resumed)" : ""} on ${r.source}${r.since ? `, partitions since ${r.since}` : ""}`];
  for (const p of r.pairs) {
    const ms = p.partitionMs.length ? `, ${Math.round(p.partitionMs.reduce((a, b) => a + b, 0))} ms reading` : "";
    const head = `${p.legacy} vs ${p.partitioned}: ${p.checked}/${p.partitions} partition(s) checked${ms}`;
    if (p.differing.length === 0 && p.failed.length === 0) lines.push(`  OK    ${head}, every partition matches${p.recorded ? " (recorded)" : ""}`);
    else {
      const total = p.differing.reduce((n, d) => n + Math.abs(d.delta), 0);
      lines.push(`  ${p.failed.length ? "INCOMPLETE" : "DIFFERS"} ${head}${p.differing.length ? `, ${p.differing.length} differing, total delta ${total}` : ""}${p.recorded ? " (recorded)" : ""}`);
      for (const d of p.differing) lines.push(`    - ${describeDifference(d)}`);
      for (const f of p.failed) lines.push(`    ! ${f.partition}: ${f.error}`);
    }
  }
  if (r.exitCode === RECONCILE_EXIT.incomplete) lines.push(`incomplete: progress kept in ${statePath}; run the same command again to resume (a larger --statement-timeout if a partition timed out)`);
  lines.push(`exit ${r.exitCode} (${Object.entries(RECONCILE_EXIT).find(([, v]) => v === r.exitCode)?.[0]})`);
  return `${lines.join("\n")}\n`;
}
