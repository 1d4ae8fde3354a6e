/**
 * Database checks (PostgreSQL data path, as the monitoring role): the primary takes
 * writes, each replica is in recovery and refuses writes, every replica streams and
 * acknowledges a fresh write (a frozen one still looks "streaming" to the primary), and
 * a heartbeat written on the primary is replayed on each replica within the lag
 * thresholds (the measured replay time is the lag).
 */
import type { StackOutputs } from "../components/contract/outputs";
import { DISK_PROBE_TABLE, probeNewPage, readHeartbeat, writeHeartbeat, HEARTBEAT_TABLE } from "./lib/heartbeat";
import { absentCheck } from "./absent";
import { appRoleSettingsCheck } from "./appRoleSettings";
import { readonlyRoleCheck } from "./readonlyRole";
import { describeThreshold, judged, round, sleep, thresholdOf } from "./lib/measure";
import { monitorTarget, sqlState, withPg } from "./lib/postgres";
import { ACK_WAIT_MS, allStreamingAcked, judgeStreaming, WAL_SENDERS_SQL, type WalSender } from "./lib/walAcks";
import type { Check, CheckFactory } from "./types";

const group = "database" as const;
type Replica = StackOutputs["postgres"]["replicas"][number];

function primaryWritableCheck(outputs: StackOutputs): Check {
  return {
    id: "postgres.primary-writable",
    group,
    title: "Primary writable, not in recovery, with room for a new page",
    async run(ctx) {
      return withPg(ctx, monitorTarget(outputs, outputs.postgres.primary, "Postgres primary"), async (c) => {
        const r = await c.query<{ recovery: boolean; ro: string }>("SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS ro");
        if (r.rows[0].recovery) return { status: "FAIL", message: "the primary is in recovery (it is a standby)" };
        if (r.rows[0].ro === "on") return { status: "FAIL", message: "the primary's sessions are read-only (default_transaction_read_only is on)" };
        const t0 = performance.now();
        ctx.step?.(`writing the heartbeat to ${HEARTBEAT_TABLE}`);
        await writeHeartbeat(c, "primary-writable");
        const ms = round(performance.now() - t0, 1);
        ctx.step?.(`writing a fresh page to ${DISK_PROBE_TABLE}`);
        const probe = await probeNewPage(c);
        if (typeof probe === "object") return { status: "FAIL", message: `the primary took a heartbeat write but cannot allocate a new page: ${probe.diskFull} (its disk is full: the application's inserts fail too)` };
        const note = probe === "no-table" ? `; no disk probe (${DISK_PROBE_TABLE} missing: apply the heartbeat DDL)` : " and allocated a new page";
        return { status: "PASS", message: `the primary is not in recovery and took a heartbeat write in ${ms} ms${note}` };
      });
    },
  };
}

function streamingCheck(outputs: StackOutputs): Check {
  const expected = outputs.postgres.replicas.length;
  return {
    id: "postgres.streaming",
    group,
    title: `Primary streams WAL to ${expected} replica(s), each acknowledging a fresh write`,
    async run(ctx) {
      return withPg(ctx, monitorTarget(outputs, outputs.postgres.primary, "Postgres primary"), async (c) => {
        // A fresh write, then its LSN: a live replica's write_lsn passes it within milliseconds (checks/lib/walAcks.ts).
        await writeHeartbeat(c, "streaming");
        const lsn = (await c.query<{ lsn: string }>("SELECT pg_current_wal_flush_lsn()::text AS lsn")).rows[0].lsn;
        // Within the check's own timeout, so a short --timeout still yields a verdict.
        const waitMs = Math.min(ACK_WAIT_MS, Math.max(100, ctx.timeoutMs - 1_000));
        ctx.step?.(`waiting up to ${waitMs} ms for every streaming replica to acknowledge WAL up to ${lsn}`);
        const t0 = performance.now();
        for (;;) {
          const senders = (await c.query<{ name: string; slot: string | null; state: string; acked: boolean; reply_age: number | null; replay_lag: number | null }>(WAL_SENDERS_SQL, [lsn])).rows.map(
            (r): WalSender => ({ name: r.name, slot: r.slot, state: r.state, acked: r.acked, replyAgeSeconds: r.reply_age, replayLagSeconds: r.replay_lag }),
          );
          const waited = performance.now() - t0;
          if (allStreamingAcked(senders) || waited >= waitMs) return judgeStreaming(expected, senders, waited);
          await sleep(20, ctx.signal);
        }
      });
    },
  };
}

function replicaReadOnlyCheck(outputs: StackOutputs, replica: Replica): Check {
  return {
    id: `postgres.replica-readonly.${replica.id}`,
    group,
    title: `Replica ${replica.id} in recovery and read-only`,
    async run(ctx) {
      return withPg(ctx, monitorTarget(outputs, replica, `Postgres replica ${replica.id}`), async (c) => {
        const r = await c.query<{ recovery: boolean }>("SELECT pg_is_in_recovery() AS recovery");
        if (!r.rows[0].recovery) return { status: "FAIL", message: `${replica.id} is not in recovery: it was promoted or is not a replica` };
        try {
          await c.query(`INSERT INTO ${HEARTBEAT_TABLE} (id, token) VALUES ('replica-write-probe', 'x')`);
          return { status: "FAIL", message: `${replica.id} accepted a write` };
        } catch (e) {
          // 25006: read_only_sql_transaction, what a hot standby answers to any write.
          if (sqlState(e) === "25006") return { status: "PASS", message: `${replica.id} is in recovery and refused a write (read-only transaction)` };
          throw e;
        }
      });
    },
  };
}

function replicaLagCheck(outputs: StackOutputs, replica: Replica): Check {
  const def = thresholdOf(outputs, "replicaLag");
  return {
    id: `postgres.replica-lag.${replica.id}`,
    group,
    title: `A heartbeat written on the primary is replayed on ${replica.id}`,
    // Waits up to the critical level, so a lag between the levels is measured, not guessed.
    timeoutMs: Math.ceil(def.critical * 1000) + 2_000,
    async run(ctx) {
      return withPg(ctx, monitorTarget(outputs, replica, `Postgres replica ${replica.id}`), async (rep) => {
        const wal = await rep.query<{ status: string }>("SELECT status FROM pg_stat_wal_receiver");
        if (wal.rows.length === 0) return { status: "FAIL", message: `${replica.id} has no WAL receiver running: it is not replicating from the primary` };
        const id = `replica-lag:${replica.id}`;
        const token = await withPg(ctx, monitorTarget(outputs, outputs.postgres.primary, "Postgres primary"), (p) => writeHeartbeat(p, id));
        const written = performance.now();
        ctx.step?.(`waiting for the heartbeat to be replayed on ${replica.id} (${replica.host}:${replica.port})`);
        const limitMs = Math.max(0, ctx.timeoutMs - 1_000);
        for (;;) {
          let seen: string | null;
          try {
            seen = await readHeartbeat(rep, id);
          } catch (e) {
            // 42P01: the table itself has not been replayed yet (first run after setup).
            if (sqlState(e) !== "42P01") throw e;
            seen = null;
          }
          if (seen === token) break;
          const waited = performance.now() - written;
          if (waited > limitMs) return { status: "FAIL", measured: { value: round(waited / 1000, 3), unit: "seconds" }, threshold: describeThreshold(def), message: `a heartbeat written on the primary was not replayed on ${replica.id} within ${round(waited / 1000, 1)} s (WAL receiver ${wal.rows[0].status})` };
          await sleep(10, ctx.signal);
        }
        const seconds = round((performance.now() - written) / 1000, 4);
        return judged(def, seconds, `a heartbeat written on the primary was visible on ${replica.id} after ${round(seconds * 1000, 1)} ms`);
      });
    },
  };
}

/** The database checks; one read-only and one lag check per replica. */
export const databaseChecks: CheckFactory = (outputs) => {
  const checks: Check[] = [primaryWritableCheck(outputs), appRoleSettingsCheck(outputs), readonlyRoleCheck(outputs)];
  if (outputs.postgres.replicas.length > 0) checks.push(streamingCheck(outputs));
  else checks.push(absentCheck("postgres.replicas", "database", "Replicas stream, are read-only and keep up", "outputs.postgres.replicas is empty: no replica to check streaming, read-only or lag"));
  for (const r of outputs.postgres.replicas) checks.push(replicaReadOnlyCheck(outputs, r), replicaLagCheck(outputs, r));
  return checks;
};

