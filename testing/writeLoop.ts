/**
 * A client writing in a loop the way an application would (one connection, reconnected
 * after an error, every statement bounded), for kill-under-load faults: which writes the
 * server acknowledged (COMMIT returned), how many failed and with what, so a test can
 * ask the server afterwards whether every acknowledged write is still there.
 */
import { Client } from "pg";
import { sleep } from "../sandbox/procs";
import type { PoolTarget } from "../sandbox/readLoop";

export interface WriteLoop {
  stop(): Promise<WriteFigures>;
}

export interface WriteFigures {
  /** Ids whose INSERT was acknowledged. */
  acked: number[];
  failed: number;
  /** The distinct error messages, at most five. */
  errors: string[];
  /** Longest time without an acknowledged write, ms. */
  longestGapMs: number;
}

/** Inserts 1, 2, 3, ... into `table` (one bigint column `id`) until stopped. */
export function startWriteLoop(t: PoolTarget, table: string, o: { timeoutMs?: number; pauseMs?: number } = {}): WriteLoop {
  const timeoutMs = o.timeoutMs ?? 2000;
  const pauseMs = o.pauseMs ?? 10;
  const acked: number[] = [];
  const errors = new Set<string>();
  let failed = 0;
  let stopped = false;
  let lastOk = performance.now();
  let longestGapMs = 0;
  const done = (async () => {
    let c: Client | null = null;
    for (let id = 1; !stopped; id++) {
      try {
        if (!c) {
          c = new Client({ ...t, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: "datatier-write-loop" });
          c.on("error", () => undefined);
          await c.connect();
        }
        await c.query(`INSERT INTO ${table} (id) VALUES ($1)`, [id]);
        acked.push(id);
        longestGapMs = Math.max(longestGapMs, performance.now() - lastOk);
        lastOk = performance.now();
      } catch (e) {
        failed++;
        if (errors.size < 5) errors.add((e as Error).message);
        const old = c;
        c = null;
        await old?.end().catch(() => undefined);
        await sleep(pauseMs * 5);
      }
      await sleep(pauseMs);
    }
    await c?.end().catch(() => undefined);
    longestGapMs = Math.max(longestGapMs, performance.now() - lastOk);
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return { acked, failed, errors: [...errors], longestGapMs: Math.round(longestGapMs) };
    },
  };
}
