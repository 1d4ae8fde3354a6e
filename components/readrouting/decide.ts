/**
 * The read router's decision, pure: which replicas the read-only pool points at, from
 * one round of measurements and the set it points at now.
 *
 * - A replica that does not answer within the connect bound, or is not in recovery
 *   (promoted, or the wrong server), leaves the set at once.
 * - Lag has hysteresis on the one thresholds table (components/thresholds): a member
 *   leaves when its lag breaches the critical replica-lag level, and a non-member joins
 *   only when its lag is back within the warning level. A replica between the two keeps
 *   its current membership, so one hovering around the critical level does not flap.
 * - Lag unknown (the primary, where the heartbeat is written, does not answer): members
 *   stay, non-members stay out; if that leaves no member, every replica that answers in
 *   recovery serves reads, since a stale read beats none while the primary is away.
 * - No healthy replica: the pool falls back to the primary (renderPgBouncerIni does that
 *   for an empty replica list).
 */
import { breaches, type Comparison, type ThresholdLevels } from "../thresholds/thresholds";

export interface ReplicaRef {
  /** Stable name, e.g. "postgres-replica-1" or the RDS instance id. */
  name: string;
  host: string;
  port: number;
}

/** One replica, as measured in one round. */
export interface ReplicaMeasurement {
  name: string;
  /** Answered a query within the connect and query bounds. */
  reachable: boolean;
  /** pg_is_in_recovery(); null when unreachable. */
  inRecovery: boolean | null;
  /** Replay lag behind the primary, seconds; null when unknown. */
  lagSeconds: number | null;
  /** Why it is unreachable (an error message without secrets). */
  error?: string;
}

export interface RouteDecision {
  /** Replica names the read-only pool points at, in configuration order; empty = the primary. */
  healthy: string[];
  route: "replicas" | "primary-fallback";
  /** True when `healthy` differs from the previous set. */
  changed: boolean;
  /** One line per replica whose membership changed, and the fallback when it starts or ends. */
  reasons: string[];
}

export interface DecideInput {
  /** Every configured replica, in the order the pool lists them. */
  replicas: ReplicaRef[];
  measurements: ReplicaMeasurement[];
  /** Names in the set now (what the pool points at). */
  current: string[];
  /** The replica-lag levels, seconds (resolved thresholds: documented table plus overrides). */
  lag: ThresholdLevels & { comparison?: Comparison };
}

const fmt = (s: number) => `${s.toFixed(1)} s`;

/** The healthy set for the next round, and why it changed. */
export function decideRoute(input: DecideInput): RouteDecision {
  const { replicas, lag } = input;
  const comparison = lag.comparison ?? "greaterThan";
  const byName = new Map(input.measurements.map((m) => [m.name, m]));
  const current = new Set(input.current);
  const reasons: string[] = [];
  const member = new Map<string, boolean>();
  for (const r of replicas) {
    const m = byName.get(r.name);
    const was = current.has(r.name);
    let is: boolean;
    let why: string;
    if (!m || !m.reachable) {
      is = false;
      why = `unreachable${m?.error ? ` (${m.error})` : " (not measured)"}`;
    } else if (m.inRecovery !== true) {
      is = false;
      why = "not in recovery (promoted, or not a replica)";
    } else if (m.lagSeconds === null) {
      is = was;
      why = "lag unknown (the primary does not answer); membership kept";
    } else if (breaches(comparison, m.lagSeconds, lag.critical)) {
      is = false;
      why = `lag ${fmt(m.lagSeconds)} beyond the critical level ${lag.critical} s`;
    } else if (!breaches(comparison, m.lagSeconds, lag.warning)) {
      is = true;
      why = `lag ${fmt(m.lagSeconds)} within the warning level ${lag.warning} s`;
    } else {
      is = was;
      why = `lag ${fmt(m.lagSeconds)} between the warning (${lag.warning} s) and critical (${lag.critical} s) levels; membership kept`;
    }
    member.set(r.name, is);
    if (is !== was) reasons.push(`${r.name} ${is ? "in" : "out"}: ${why}`);
  }
  let healthy = replicas.filter((r) => member.get(r.name)).map((r) => r.name);
  const primaryUnknown = input.measurements.some((m) => m.reachable && m.inRecovery === true && m.lagSeconds === null);
  if (healthy.length === 0 && primaryUnknown) {
    healthy = replicas.filter((r) => {
      const m = byName.get(r.name);
      return m?.reachable && m.inRecovery === true && m.lagSeconds === null;
    }).map((r) => r.name);
    for (const n of healthy) if (!current.has(n)) reasons.push(`${n} in: lag unknown (the primary does not answer) and no other replica serves reads`);
  }
  const prevSorted = replicas.filter((r) => current.has(r.name)).map((r) => r.name);
  const changed = prevSorted.length !== healthy.length || prevSorted.some((n, i) => n !== healthy[i]) || [...current].some((n) => !replicas.some((r) => r.name === n));
  const route = healthy.length ? "replicas" : "primary-fallback";
  if (changed && route === "primary-fallback") reasons.push("no healthy replica: reads fall back to the primary");
  if (changed && route === "replicas" && prevSorted.length === 0) reasons.push("reads leave the primary for the replicas");
  return { healthy, route, changed, reasons };
}
