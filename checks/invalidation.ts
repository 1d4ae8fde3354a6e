/**
 * Cache invalidation as a client sees it: the suite writes probe keys on the master, lets
 * them reach the replicas, invalidates them (DEL) on the master, waits for the replicas to
 * acknowledge (WAIT), and then reads every probe key on the master and on every replica.
 * An invalidation failed when the DEL removed nothing or any node still serves the value
 * afterwards (the stale read an application would get). The failure rate is judged against
 * the documented threshold and published as CacheInvalidationFailureRate, so the scheduled
 * checks feed that alarm (docs/alarms.md); the application may publish it too.
 */
import { randomBytes } from "node:crypto";
import type { StackOutputs } from "../components/contract/outputs";
import { judged, round, thresholdOf } from "./lib/measure";
import { addr, countedGet, dataNodeOptions, info, locateMaster, smokeKey, withRedis } from "./lib/redis";
import type { Check, CheckFactory } from "./types";

/** Probe keys per run: one failure is 1/PROBES of the rate on the master (finer with replicas). */
export const INVALIDATION_PROBES = 20;
/** After WAIT, how long a replica may still take to drop a key before the read counts as stale. */
export const INVALIDATION_SETTLE_MS = 250;

export interface InvalidationTally {
  invalidations: number;
  /** DELs that removed nothing (the key was already gone: the write or the invalidation was lost). */
  lostDeletes: number;
  reads: number;
  staleReads: number;
}

/** Failed share, in percent: lost DELs and stale reads over every DEL and read. */
export function invalidationFailureRate(t: InvalidationTally): number {
  const total = t.invalidations + t.reads;
  return total === 0 ? 0 : round((100 * (t.lostDeletes + t.staleReads)) / total, 3);
}

function invalidationCheck(outputs: StackOutputs): Check {
  const def = thresholdOf(outputs, "invalidationFailureRate");
  return {
    id: "redis.invalidation",
    group: "cache",
    title: `${INVALIDATION_PROBES} invalidations (DEL on the master) are seen by every node`,
    timeoutMs: Math.ceil(thresholdOf(outputs, "replicaLag").critical * 1000) + 3_000,
    async run(ctx) {
      const m = await locateMaster(ctx, outputs);
      const replicas = outputs.redis.nodes.filter((n) => n.host !== m.at.host || n.port !== m.at.port);
      return withRedis(ctx, m.at, dataNodeOptions(outputs, "Redis master"), async (master) => {
        const keys = Array.from({ length: INVALIDATION_PROBES }, (_, i) => smokeKey(`invalidation:${i}`));
        const token = randomBytes(8).toString("hex");
        const wait = async () => Number(await master.call("WAIT", String(Math.max(0, outputs.redis.expectedReplicas)), String(Math.min(1_000, Math.max(1, Math.floor(ctx.timeoutMs / 4))))));
        try {
          ctx.step?.(`writing ${keys.length} probe keys on ${addr(m.at)}`);
          // Sent without waiting between commands: one round trip's worth, not twenty, beside the latency check.
          await Promise.all(keys.map((k) => master.set(k, token, "PX", 60_000)));
          await wait();
          ctx.step?.(`invalidating them on ${addr(m.at)}`);
          const tally: InvalidationTally = { invalidations: keys.length, lostDeletes: 0, reads: 0, staleReads: 0 };
          for (const removed of await Promise.all(keys.map((k) => master.del(k)))) if (Number(removed) !== 1) tally.lostDeletes += 1;
          const acked = await wait();
          await new Promise((r) => setTimeout(r, INVALIDATION_SETTLE_MS));
          const readAll = async (c: typeof master, at: { host: string; port: number }) => {
            const values = await Promise.all(keys.map((k) => countedGet(c, at, k)));
            tally.reads += values.length;
            tally.staleReads += values.filter((v) => v !== null).length;
          };
          await readAll(master, m.at);
          let skipped = 0;
          for (const n of replicas) {
            // A node that is down or not replicating is the replica checks' finding, not an invalidation failure.
            const read = await withRedis(ctx, n, dataNodeOptions(outputs, `Redis node ${n.name}`), async (c) => {
              if ((await info(c, "replication")).master_link_status !== "up") return false;
              await readAll(c, n);
              return true;
            }).catch(() => false);
            if (!read) skipped += 1;
          }
          const rate = invalidationFailureRate(tally);
          const where = `${replicas.length - skipped + 1} node(s)${skipped ? ` (${skipped} down or not replicating, not read)` : ""}`;
          return judged(
            def,
            rate,
            `${tally.lostDeletes} of ${tally.invalidations} DELs removed nothing, ${tally.staleReads} of ${tally.reads} reads on ${where} still saw an invalidated key (WAIT acknowledged by ${acked} replica(s)): ${rate}% failed`,
            [{ name: "CacheInvalidationFailureRate", dimensions: {}, value: rate, unit: "Percent" }],
          );
        } finally {
          await master.del(...keys).catch(() => undefined);
        }
      });
    },
  };
}

export const invalidationChecks: CheckFactory = (outputs) => [invalidationCheck(outputs)];
