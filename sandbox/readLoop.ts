/**
 * A client reading through PgBouncer's read-only pool in a loop, the way an application
 * would: one connection, reconnected after an error, every read bounded. Each answer
 * says where it was served (pg_is_in_recovery(): a replica, or the primary).
 * The drills run it across a failure and print one line of figures.
 */
import type { Client } from "pg";
import { openPg } from "../components/clients/postgres";
import { sleep } from "./procs";

export interface PoolTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

export interface Read {
  /** performance.now() when the read began and ended. */
  start: number;
  end: number;
  ok: boolean;
  server: "replica" | "primary" | null;
  /** Why a failed read failed (the client's error message). */
  error?: string;
}

export interface ReadLoop {
  /** Reads so far (the array grows while the loop runs). */
  reads: Read[];
  /** Waits until `pred` holds for the newest successful read, or `ms` pass; returns when it held (performance.now()) or null. */
  until(pred: (r: Read) => boolean, ms: number): Promise<number | null>;
  stop(): Promise<Read[]>;
}

export function startReadLoop(t: PoolTarget, o: { readTimeoutMs?: number; pauseMs?: number } = {}): ReadLoop {
  const readTimeoutMs = o.readTimeoutMs ?? 2000;
  const pauseMs = o.pauseMs ?? 20;
  const reads: Read[] = [];
  let stopped = false;
  const done = (async () => {
    let c: Client | null = null;
    while (!stopped) {
      const start = performance.now();
      try {
        if (!c) {
          c = openPg(t, { connectTimeoutMs: readTimeoutMs, queryTimeoutMs: readTimeoutMs, applicationName: "datatier-read-loop" });
          await c.connect();
        }
        const r = await c.query<{ r: boolean }>("select pg_is_in_recovery() as r");
        reads.push({ start, end: performance.now(), ok: true, server: r.rows[0].r ? "replica" : "primary" });
      } catch (e) {
        reads.push({ start, end: performance.now(), ok: false, server: null, error: (e as Error).message });
        const old = c;
        c = null;
        await old?.end().catch(() => undefined);
        await sleep(pauseMs);
      }
      await sleep(pauseMs);
    }
    await c?.end().catch(() => undefined);
  })();
  return {
    reads,
    async until(pred, ms) {
      const end = performance.now() + ms;
      for (let seen = 0; performance.now() < end; await sleep(10)) {
        for (; seen < reads.length; seen++) if (reads[seen].ok && pred(reads[seen])) return reads[seen].end;
      }
      return null;
    },
    async stop() {
      stopped = true;
      await done;
      return reads;
    },
  };
}

export interface ReadFigures {
  ok: number;
  failed: number;
  /** Longest time without a successful read ending, within the loop's run, ms. */
  longestGapMs: number;
  /** Consecutive runs of where successful reads were served, e.g. [["replica", 80], ["primary", 120]]. */
  servedBy: ["replica" | "primary", number][];
}

/** Figures of a run of reads (pure). `from`: count only reads begun at or after it. */
export function readFigures(reads: Read[], from = -Infinity): ReadFigures {
  const rs = reads.filter((r) => r.start >= from);
  const okReads = rs.filter((r) => r.ok);
  let longestGapMs = 0;
  let last = rs.length ? rs[0].start : 0;
  for (const r of okReads) {
    longestGapMs = Math.max(longestGapMs, r.end - last);
    last = r.end;
  }
  if (rs.length) longestGapMs = Math.max(longestGapMs, rs[rs.length - 1].end - last);
  const servedBy: ReadFigures["servedBy"] = [];
  for (const r of okReads) {
    const tail = servedBy[servedBy.length - 1];
    if (tail && tail[0] === r.server) tail[1]++;
    else servedBy.push([r.server!, 1]);
  }
  return { ok: okReads.length, failed: rs.length - okReads.length, longestGapMs: Math.round(longestGapMs), servedBy };
}

/** The drills' one line: `reads: N ok, M failed; longest gap X ms; served by: replica (80 reads), then primary (120 reads)`. */
export function formatReadFigures(f: ReadFigures): string {
  // "replica 80" read like a name or a port: the count says what it counts.
  const served = f.servedBy.length ? f.servedBy.map(([s, n]) => `${s} (${n} read${n === 1 ? "" : "s"})`).join(", then ") : "nothing";
  return `reads: ${f.ok} ok, ${f.failed} failed; longest gap ${f.longestGapMs} ms; served by: ${served}`;
}

/** Why reads failed, for the drill's log: `2x <message> (at 5, 884 ms after the break)`; "" when none did. */
export function failureReasons(reads: Read[], t0: number): string {
  const by = new Map<string, number[]>();
  for (const r of reads) if (!r.ok) by.set(r.error ?? "?", [...(by.get(r.error ?? "?") ?? []), Math.round(r.start - t0)]);
  return [...by].map(([msg, at]) => `${at.length}x ${msg} (at ${at.join(", ")} ms after the break)`).join("; ");
}
