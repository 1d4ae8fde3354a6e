/**
 * One round of measurements, each server direct (never through PgBouncer), each bounded
 * by the connect timeout: a dead or black-holed host costs at most that, never a hang.
 *
 * Lag comes from the heartbeat row the smoke suite already uses (components/clients/heartbeat.ts):
 * the router writes its own row on the primary, then reads it on each replica. The same
 * token means caught up (lag 0); an older one means the replica misses everything the
 * primary committed since that row, so lag = written_at(now) - written_at(replica). An
 * idle primary cannot fake lag (unlike now() - pg_last_xact_replay_timestamp()), and a
 * paused replay shows as lag growing round by round. Resolution: one interval.
 */
import { errorText } from "../clients/errors";
import { readHeartbeatRow, writeHeartbeat } from "../clients/heartbeat";
import { withRouterPg, type RouterTarget } from "./session";
import type { ReplicaMeasurement } from "./decide";
import type { RouterConfig } from "./config";

/** A streaming replica applies a commit in about a millisecond here; one short re-read absorbs that. */
const APPLY_GRACE_MS = 100;

/** Connect, and each query, within the router's connect timeout: a round stays well inside its interval. */
const bounded = (cfg: RouterConfig) => ({ connectTimeoutMs: cfg.connectTimeoutMs, queryTimeoutMs: cfg.connectTimeoutMs });

function target(cfg: RouterConfig, at: { host: string; port: number }, label: string): RouterTarget {
  return { host: at.host, port: at.port, database: cfg.database, user: cfg.monitoring.user, password: cfg.monitoring.password, tls: cfg.tls, label };
}

export interface Round {
  /** The heartbeat as the primary wrote it this round; null when the primary did not answer. */
  primary: { token: string; writtenAtMs: number } | null;
  primaryError?: string;
  replicas: ReplicaMeasurement[];
  ms: number;
}

export const heartbeatId = (instance: string) => `readrouter-${instance}`;

export async function measureRound(cfg: RouterConfig): Promise<Round> {
  const t0 = performance.now();
  const id = heartbeatId(cfg.instance);
  let primary: Round["primary"] = null;
  let primaryError: string | undefined;
  try {
    primary = await withRouterPg(target(cfg, cfg.primary, "primary"), bounded(cfg), async (c) => {
      await writeHeartbeat(c, id);
      return readHeartbeatRow(c, id);
    });
  } catch (e) {
    primaryError = errorText(e);
  }
  const replicas = await Promise.all(
    cfg.replicas.map(async (r): Promise<ReplicaMeasurement> => {
      try {
        return await withRouterPg(target(cfg, r, r.name), bounded(cfg), async (c) => {
          const inRecovery = (await c.query<{ r: boolean }>("select pg_is_in_recovery() as r")).rows[0].r;
          if (!primary) return { name: r.name, reachable: true, inRecovery, lagSeconds: null };
          let row = await readHeartbeatRow(c, id);
          if (row?.token !== primary.token) {
            await new Promise((res) => setTimeout(res, APPLY_GRACE_MS));
            row = await readHeartbeatRow(c, id);
          }
          if (row?.token === primary.token) return { name: r.name, reachable: true, inRecovery, lagSeconds: 0 };
          if (row) return { name: r.name, reachable: true, inRecovery, lagSeconds: Math.max(0, (primary.writtenAtMs - row.writtenAtMs) / 1000) };
          // The row never reached this replica (first round): its replay age is the best bound.
          const age = (await c.query<{ s: number | null }>("select extract(epoch from now() - pg_last_xact_replay_timestamp())::float8 as s")).rows[0].s;
          return { name: r.name, reachable: true, inRecovery, lagSeconds: age === null ? null : Math.max(0, Number(age)) };
        });
      } catch (e) {
        return { name: r.name, reachable: false, inRecovery: null, lagSeconds: null, error: errorText(e) };
      }
    }),
  );
  return { primary, primaryError, replicas, ms: Math.round(performance.now() - t0) };
}
