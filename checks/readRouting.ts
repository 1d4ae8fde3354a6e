/**
 * Read-routing checks (components/readrouting), when the stack runs a read router:
 * the router is alive and its last round is recent, and the read-only pool points at
 * exactly the replicas that are healthy now (measured here, directly, and decided by the
 * router's own pure function with the router's set as the prior, so hysteresis agrees).
 * Reads on the primary while replicas exist are a WARN: correct, but not offloaded.
 */
import { jsonErrorWithoutText, readRegularFileSync } from "../components/boundedFile";
import type { StackOutputs } from "../components/contract/outputs";
import type { RouterConfig } from "../components/readrouting/config";
import { decideRoute } from "../components/readrouting/decide";
import { measureRound } from "../components/readrouting/measure";
import { aliveFifoFor, fifoReaderAlive, identityAlive } from "../components/readrouting/liveness";
import { namesForEndpoints, type RouterState } from "../components/readrouting/router";
import { sleep } from "./lib/measure";
import { withPg } from "./lib/postgres";
import { consoleTarget } from "./pgbouncer";
import type { Check, CheckContext, CheckFactory } from "./types";

const group = "pgbouncer" as const;

/** The measuring half of a router configuration, from the outputs (the check never rewrites anything). */
function measureConfig(o: StackOutputs, intervalMs: number): RouterConfig {
  const replicas = o.postgres.replicas.map((r) => ({ name: r.id, host: r.host, port: r.port }));
  return {
    instance: "smoke",
    intervalMs,
    connectTimeoutMs: Math.min(1000, Math.max(50, intervalMs - 1)),
    lag: { warning: o.thresholds.replicaLag.warning, critical: o.thresholds.replicaLag.critical },
    primary: o.postgres.primary,
    replicas,
    database: o.postgres.database,
    tls: o.postgres.tls,
    monitoring: { user: o.postgres.monitoringUser, password: o.credentials.postgresMonitoringPassword },
    // Unused by measureRound; the shape wants them.
    pgbouncer: undefined as never,
    stateFile: null,
    metrics: null,
  };
}

/**
 * The path comes from the outputs document: a FIFO or a device there blocked the whole
 * suite (a synchronous read no check timeout can stop), and a parse error quoted the
 * file's first characters. Only a small regular file, and never its text.
 */
function readState(file: string): RouterState {
  const text = readRegularFileSync(file, { what: "the read router's state file", maxBytes: 64 * 1024 });
  try {
    return JSON.parse(text) as RouterState;
  } catch (e) {
    throw new Error(`the read router's state file ${file} is not valid JSON (${jsonErrorWithoutText(e, text)})`);
  }
}

function aliveCheck(rr: NonNullable<StackOutputs["pgbouncer"]["readRouting"]>): Check {
  return {
    id: "pgbouncer.read-router",
    group,
    title: "The read router is alive and checked the replicas recently",
    async run() {
      if (!rr.stateFile) return { status: "SKIP", message: `the router reports to CloudWatch (${rr.metricNamespace ?? "no namespace"}: RouterChecks); its "router silent" alarm covers this` };
      const st = readState(rr.stateFile);
      // A dead router is seen now, not after the age bound below: by its pid in the same pid
      // namespace (the sandbox), by the FIFO it holds open from any namespace (a container).
      if (identityAlive(st) === "dead" || fifoReaderAlive(aliveFifoFor(rr.stateFile)) === "dead") return { status: "FAIL", message: `the read router (pid ${st.pid}, started ${st.startedAt}) is not running: the read-only pool no longer follows replica health` };
      const bound = 3 * rr.intervalMs + 2000;
      const age = st.lastCheckAt ? Date.now() - Date.parse(st.lastCheckAt) : Infinity;
      const base = { measured: { value: Math.round(age), unit: "milliseconds" }, threshold: `last round at most ${bound} ms ago (3 intervals + 2 s)` };
      if (age > bound) return { ...base, status: "FAIL", message: `the read router's last round was ${st.lastCheckAt ? `${Math.round(age / 1000)} s ago` : "never"} (pid ${st.pid}): the read-only pool no longer follows replica health` };
      const last = st.lastChangeAt ? `; last change ${st.lastChangeAt}: ${st.lastChangeReasons.join("; ")}` : "";
      return { ...base, status: "PASS", message: `last round (number ${st.checks}) ${Math.round(age)} ms ago, reads on ${st.route === "primary-fallback" ? "the primary" : st.healthy.join(", ")}${last}` };
    },
  };
}

async function poolNow(ctx: CheckContext, o: StackOutputs): Promise<{ hosts: string[]; port: number }> {
  return withPg(ctx, consoleTarget(o, "stats"), async (c) => {
    const rows = (await c.query<{ name: string; host: string | null; port: string }>("SHOW DATABASES")).rows;
    const row = rows.find((r) => r.name === o.pgbouncer.readOnlyDatabase);
    if (!row) throw new Error(`SHOW DATABASES has no pool "${o.pgbouncer.readOnlyDatabase}"`);
    return { hosts: (row.host ?? "").split(",").filter(Boolean), port: Number(row.port) };
  });
}

function poolCheck(o: StackOutputs, rr: NonNullable<StackOutputs["pgbouncer"]["readRouting"]>): Check {
  const pool = o.pgbouncer.readOnlyDatabase;
  return {
    id: "pgbouncer.read-pool",
    group,
    title: `The read-only pool "${pool}" points at exactly the healthy replicas`,
    // Two rounds of direct measurements, one router interval apart at most.
    timeoutMs: rr.intervalMs + 10_000,
    async run(ctx) {
      const cfg = measureConfig(o, rr.intervalMs);
      const attempt = async () => {
        const p = await poolNow(ctx, o);
        // Docker: the pool names servers inside the container network; the suite measures them where the host reaches them.
        const actual = namesForEndpoints(
          cfg,
          p.hosts.map((host) => rr.natMap?.[`${host}:${p.port}`] ?? { host, port: p.port }),
        );
        const round = await measureRound(cfg);
        const d = decideRoute({ replicas: cfg.replicas, measurements: round.replicas, current: actual ?? [], lag: cfg.lag });
        return { p, actual, d, round };
      };
      let a = await attempt();
      // The router may be between its measurement and its RELOAD: give it one round.
      if (a.actual === null || a.actual.join(",") !== a.d.healthy.join(",")) {
        await sleep(rr.intervalMs + 500, ctx.signal);
        a = await attempt();
      }
      const where = (names: string[]) => (names.length ? names.join(", ") : "the primary");
      const shown = `${a.p.hosts.join(",")}:${a.p.port}`;
      if (a.actual === null) return { status: "FAIL", message: `pool "${pool}" points at ${shown}, which is neither the primary nor known replicas` };
      if (a.actual.join(",") !== a.d.healthy.join(",")) {
        const why = a.round.replicas.map((m) => `${m.name}: ${m.reachable ? `in recovery ${m.inRecovery}, lag ${m.lagSeconds ?? "?"} s` : `unreachable (${m.error ?? "?"})`}`).join("; ");
        return { status: "FAIL", message: `pool "${pool}" points at ${where(a.actual)}, but the healthy replicas now are ${where(a.d.healthy)} (${why})` };
      }
      if (a.actual.length === 0 && o.postgres.replicas.length > 0) {
        const why = a.round.replicas.map((m) => `${m.name} ${m.reachable ? `lag ${m.lagSeconds ?? "?"} s` : "unreachable"}`).join(", ");
        return { status: "WARN", message: `reads fall back to the primary: no replica is healthy (${why})` };
      }
      return { status: "PASS", message: `pool "${pool}" points at ${where(a.actual)}, the replicas healthy now` };
    },
  };
}

export const readRoutingChecks: CheckFactory = (o) => {
  const rr = o.pgbouncer.readRouting;
  if (!rr) return [];
  return [aliveCheck(rr), poolCheck(o, rr)];
};
