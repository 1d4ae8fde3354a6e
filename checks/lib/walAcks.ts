/**
 * Whether each replica the primary streams to still acknowledges WAL. A frozen replica
 * (SIGSTOP, a hung host) keeps its TCP session: the primary's walsender shows it as
 * `streaming` until wal_sender_timeout (60 s by default). A standby's WAL receiver reports
 * its write position as soon as it has written WAL it received (and at least every
 * wal_receiver_status_interval), so after a fresh write on the primary a live replica's
 * `write_lsn` passes that write within milliseconds; one that does not within
 * ACK_WAIT_MS is not counted as streaming. This does not depend on
 * wal_receiver_status_interval (a replica-side setting the primary cannot read), and it
 * reads only pg_stat_replication, which RDS exposes to pg_monitor as well.
 */
import type { CheckOutcome } from "../types";
import { round } from "./measure";

/**
 * How long a live replica may take to acknowledge a write: the suite's connect deadline
 * (a replica that cannot answer within it is as good as unreachable, as for a connect).
 */
export const ACK_WAIT_MS = 2_000;

/** One walsender row, as read after the probe write (ages in seconds, null when unknown). */
export interface WalSender {
  /** application_name: the replica's cluster_name, or "walreceiver" when it sets none. */
  name: string;
  slot: string | null;
  state: string;
  /** write_lsn >= the probe write's LSN. */
  acked: boolean;
  /** now() - reply_time. */
  replyAgeSeconds: number | null;
  replayLagSeconds: number | null;
}

/** SQL: the walsenders with their slots, judged against the probe LSN ($1). */
export const WAL_SENDERS_SQL = `SELECT s.application_name AS name, sl.slot_name AS slot, s.state,
  coalesce(s.write_lsn >= $1::pg_lsn, false) AS acked,
  extract(epoch FROM now() - s.reply_time)::float8 AS reply_age,
  extract(epoch FROM s.replay_lag)::float8 AS replay_lag
FROM pg_stat_replication s LEFT JOIN pg_replication_slots sl ON sl.active_pid = s.pid
ORDER BY sl.slot_name NULLS LAST, s.application_name`;

/** Whether every walsender in `streaming` state has acknowledged (polling can stop). */
export function allStreamingAcked(senders: WalSender[]): boolean {
  return senders.filter((s) => s.state === "streaming").every((s) => s.acked);
}

/** "postgres-replica-1 (slot replica_1)": what names a replica from the primary's side. */
export function senderLabel(s: WalSender): string {
  return s.slot ? `${s.name} (slot ${s.slot})` : s.name;
}

/**
 * The verdict of postgres.streaming: PASS when at least `expected` walsenders stream and
 * acknowledged the probe write within `waitedMs`; FAIL when none does; WARN otherwise.
 * The message names every replica that streams without acknowledging.
 */
export function judgeStreaming(expected: number, senders: WalSender[], waitedMs: number): CheckOutcome {
  const streaming = senders.filter((s) => s.state === "streaming");
  const live = streaming.filter((s) => s.acked);
  const silent = streaming.filter((s) => !s.acked);
  const lags = live.map((s) => s.replayLagSeconds).filter((x): x is number => x !== null);
  const lag = lags.length === 0 ? "none reported" : `${round(Math.max(...lags), 3)} s`;
  const base = { measured: { value: live.length, unit: "count" }, threshold: `>= ${expected} streaming and acknowledging a write within ${ACK_WAIT_MS} ms` };
  if (live.length >= expected) return { ...base, status: "PASS", message: `${live.length} replica(s) streaming and acknowledging WAL (${expected} expected); max replay_lag ${lag}` };
  const parts = [`only ${live.length} of ${expected} replica(s) streaming from the primary`];
  if (silent.length > 0) {
    const named = silent.map((s) => `${senderLabel(s)}${s.replyAgeSeconds === null ? "" : `, last reply ${round(s.replyAgeSeconds, 1)} s ago`}`);
    parts.push(`connected but not acknowledging a write for ${round(waitedMs / 1000, 1)} s (frozen or hung?): ${named.join("; ")}`);
  }
  const other = senders.filter((s) => s.state !== "streaming");
  if (other.length > 0) parts.push(`not streaming: ${other.map((s) => `${senderLabel(s)} ${s.state}`).join("; ")}`);
  return { ...base, status: live.length === 0 ? "FAIL" : "WARN", message: parts.join("; ") };
}
