/**
 * The read router: every interval, measure (measure.ts), decide (decide.ts), and only
 * when the healthy set changes rewrite pgbouncer.ini with the read-only pool over that
 * set (components/pgbouncer/render.ts, the one renderer: the read-write pool and every
 * other setting stay what the stack says) and RELOAD on the admin console. PgBouncer
 * keeps pooling; a RELOAD never drops the read-write pool's clients.
 *
 * A failed apply leaves the recorded set as it was, so the next round tries again.
 * The state (current set, last check, last change) is written after every round.
 */
import { chownSync, renameSync, writeFileSync } from "node:fs";
import { errorText } from "../clients/errors";
import { readOnlyDatabaseName, renderPgBouncerIni } from "../pgbouncer/render";
import type { RouterConfig } from "./config";
import { decideRoute, type ReplicaMeasurement, type RouteDecision } from "./decide";
import { ownIdentity } from "./liveness";
import { measureRound, type Round } from "./measure";
import { withRouterPg, type RouterTarget } from "./session";

/** What the router exposes (the state file; on AWS the same figures as metrics). */
export interface RouterState {
  instance: string;
  pid: number;
  /** Its kernel start time and pid namespace (liveness.ts): the suite checks the pid at once where it shares the namespace. Absent in state files of older routers. */
  startTicks?: number | null;
  pidNamespace?: string | null;
  startedAt: string;
  intervalMs: number;
  /** Replica names the read-only pool points at; empty = the primary. */
  healthy: string[];
  route: RouteDecision["route"] | "unknown";
  /** Hosts of the read-only pool's [databases] entry as last applied. */
  poolHosts: string[];
  lastCheckAt: string | null;
  lastChangeAt: string | null;
  lastChangeReasons: string[];
  checks: number;
  changes: number;
  lastError: string | null;
  replicas: ReplicaMeasurement[];
}

export interface RouterMetric {
  name: "HealthyReplicas" | "ReadsOnPrimary" | "RoutingChanges" | "RouterChecks";
  value: number;
}

export interface RouterDeps {
  log(line: string): void;
  /** Publishes a round's figures (CloudWatch on AWS); failures are logged, never fatal. */
  publish?(metrics: RouterMetric[]): Promise<void>;
  measure?(cfg: RouterConfig): Promise<Round>;
  /** Sends RELOAD (and reads back the pool); replaced in unit tests. */
  console?: ConsoleOps;
}

export interface ConsoleOps {
  reload(): Promise<void>;
  /** Hosts and port of the read-only pool as PgBouncer runs it now. */
  readOnlyPool(): Promise<{ hosts: string[]; port: number } | null>;
}

function consoleTarget(cfg: RouterConfig): RouterTarget {
  const c = cfg.pgbouncer.console;
  return { host: c.host, port: c.port, user: c.user, password: c.password, database: "pgbouncer", tls: false, label: "PgBouncer console", viaPgBouncer: true };
}

/** The admin console over the pg driver (simple protocol: the console knows nothing else). */
export function pgConsole(cfg: RouterConfig): ConsoleOps {
  const timeouts = { connectTimeoutMs: cfg.connectTimeoutMs, queryTimeoutMs: cfg.connectTimeoutMs * 2 };
  const pool = readOnlyDatabaseName(cfg.database);
  return {
    reload: () => withRouterPg(consoleTarget(cfg), timeouts, async (c) => void (await c.query("RELOAD"))),
    readOnlyPool: () =>
      withRouterPg(consoleTarget(cfg), timeouts, async (c) => {
        const rows = (await c.query<{ name: string; host: string | null; port: string | number }>("SHOW DATABASES")).rows;
        const row = rows.find((r) => r.name === pool);
        return row ? { hosts: (row.host ?? "").split(",").filter(Boolean), port: Number(row.port) } : null;
      }),
  };
}

/** Writes a file atomically (temp + rename), mode 0600, owned as asked. */
function writeAtomic(path: string, text: string, owner?: { uid: number; gid: number }): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  if (owner) chownSync(tmp, owner.uid, owner.gid);
  renameSync(tmp, path);
}

/** The ini for a healthy set: the stack's settings, the read-only pool over `healthy` (the primary when empty). */
export function iniFor(cfg: RouterConfig, healthy: string[]): string {
  const replicas = cfg.replicas.filter((r) => healthy.includes(r.name)).map((r) => ({ host: r.host, port: r.port }));
  return renderPgBouncerIni(cfg.pgbouncer.settings, { ...cfg.pgbouncer.runtime, primary: cfg.primary, replicas, database: cfg.database });
}

/** Replica names behind a pool's hosts; null when the pool is not exactly some replicas or the primary. */
export function namesForPool(cfg: RouterConfig, pool: { hosts: string[]; port: number }): string[] | null {
  return namesForEndpoints(
    cfg,
    pool.hosts.map((host) => ({ host, port: pool.port })),
  );
}

/** Replica names behind a pool's servers (as `cfg` addresses them); [] for the primary alone; null otherwise. */
export function namesForEndpoints(cfg: RouterConfig, servers: { host: string; port: number }[]): string[] | null {
  if (servers.length === 1 && servers[0].host === cfg.primary.host && servers[0].port === cfg.primary.port) return [];
  const names = servers.map((e) => cfg.replicas.find((r) => r.host === e.host && r.port === e.port)?.name);
  return names.length > 0 && names.every((n): n is string => !!n) ? names : null;
}

export class ReadRouter {
  readonly state: RouterState;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Set the pool points at, as far as the router knows; null until read or applied. */
  private applied: string[] | null = null;
  private readonly console: ConsoleOps;

  constructor(
    readonly cfg: RouterConfig,
    private readonly deps: RouterDeps,
  ) {
    this.console = deps.console ?? pgConsole(cfg);
    this.state = {
      instance: cfg.instance,
      ...ownIdentity(),
      startedAt: new Date().toISOString(),
      intervalMs: cfg.intervalMs,
      healthy: [],
      route: "unknown",
      poolHosts: [],
      lastCheckAt: null,
      lastChangeAt: null,
      lastChangeReasons: [],
      checks: 0,
      changes: 0,
      lastError: null,
      replicas: [],
    };
  }

  private log(line: string): void {
    this.deps.log(`${new Date().toISOString()} read-router ${this.cfg.instance}: ${line}`);
  }

  /** One round: measure, decide, apply when changed, record. Never throws. */
  async tick(): Promise<RouteDecision | null> {
    try {
      // What the pool points at now, read back every round: someone else (an `up` that
      // re-renders the files, a hand edit) may have rewritten it. Memory only when the console is away.
      const pool = await this.console.readOnlyPool().catch(() => null);
      if (pool) {
        this.applied = namesForPool(this.cfg, pool);
        this.state.poolHosts = pool.hosts;
      }
      const round = await (this.deps.measure ?? measureRound)(this.cfg);
      const decision = decideRoute({ replicas: this.cfg.replicas, measurements: round.replicas, current: this.applied ?? ["(unknown)"], lag: this.cfg.lag });
      this.state.replicas = round.replicas;
      this.state.checks++;
      this.state.lastCheckAt = new Date().toISOString();
      let changed = false;
      if (decision.changed) {
        const before = this.applied;
        await this.apply(decision.healthy);
        changed = true;
        this.state.changes++;
        this.state.lastChangeAt = new Date().toISOString();
        this.state.lastChangeReasons = decision.reasons;
        const where = decision.route === "replicas" ? `replicas ${decision.healthy.join(", ")}` : "the primary (fallback)";
        this.log(`read pool ${readOnlyDatabaseName(this.cfg.database)} -> ${where} (was ${before === null ? "unknown" : before.length ? before.join(", ") : "the primary"}): ${decision.reasons.join("; ") || "first apply"}`);
      }
      this.state.healthy = decision.healthy;
      this.state.route = decision.route;
      this.state.lastError = round.primaryError ? `primary: ${round.primaryError}` : null;
      this.writeState();
      await this.publish(decision, changed);
      return decision;
    } catch (e) {
      this.state.lastError = errorText(e);
      this.state.lastCheckAt = new Date().toISOString();
      this.log(`round failed, the pool is left as it was: ${this.state.lastError}`);
      this.writeState();
      return null;
    }
  }

  private async apply(healthy: string[]): Promise<void> {
    const ini = iniFor(this.cfg, healthy);
    writeAtomic(this.cfg.pgbouncer.iniPath, ini, this.cfg.pgbouncer.iniOwner);
    await this.console.reload();
    const pool = await this.console.readOnlyPool();
    const now = pool ? namesForPool(this.cfg, pool) : null;
    if (!now || now.join(",") !== healthy.join(",")) {
      this.applied = now;
      throw new Error(`after RELOAD the read-only pool points at ${pool ? `${pool.hosts.join(",")}:${pool.port}` : "nothing"}, not at ${healthy.length ? healthy.join(", ") : "the primary"}`);
    }
    this.applied = healthy;
    this.state.poolHosts = pool!.hosts;
  }

  private writeState(): void {
    if (!this.cfg.stateFile) return;
    try {
      writeAtomic(this.cfg.stateFile, `${JSON.stringify(this.state, null, 2)}\n`);
    } catch (e) {
      this.log(`cannot write the state file ${this.cfg.stateFile}: ${errorText(e)}`);
    }
  }

  private async publish(d: RouteDecision, changed: boolean): Promise<void> {
    if (!this.deps.publish) return;
    try {
      await this.deps.publish([
        { name: "HealthyReplicas", value: d.healthy.length },
        { name: "ReadsOnPrimary", value: d.route === "primary-fallback" ? 1 : 0 },
        { name: "RoutingChanges", value: changed ? 1 : 0 },
        { name: "RouterChecks", value: 1 },
      ]);
    } catch (e) {
      this.log(`cannot publish metrics: ${errorText(e)}`);
    }
  }

  /** Runs a round every interval (measured start to start; a slow round delays, never overlaps). */
  start(): void {
    const loop = async () => {
      const t0 = Date.now();
      this.running = this.tick().then(() => undefined);
      await this.running;
      if (this.stopped) return;
      this.timer = setTimeout(loop, Math.max(0, this.cfg.intervalMs - (Date.now() - t0)));
    };
    this.log(`started: ${this.cfg.replicas.length} replica(s), every ${this.cfg.intervalMs} ms, out beyond ${this.cfg.lag.critical} s of lag, back within ${this.cfg.lag.warning} s`);
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
