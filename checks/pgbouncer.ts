/**
 * PgBouncer checks: a query through each pool reaches the right server, the running
 * configuration matches the stack's, and no more clients wait than allowed.
 */
import type { StackOutputs } from "../components/contract/outputs";
import { sleep } from "./lib/measure";
import { APPLICATION_NAME, withPg, type PgTarget } from "./lib/postgres";
import type { Check, CheckFactory } from "./types";

const group = "pgbouncer" as const;

function poolTarget(outputs: StackOutputs, database: string, label: string): PgTarget {
  const b = outputs.pgbouncer;
  return { ...b.endpoint, database, user: outputs.postgres.monitoringUser, password: outputs.credentials.postgresMonitoringPassword, tls: outputs.postgres.tls, label, viaPgBouncer: true };
}

/** The admin console (virtual database "pgbouncer"); simple-protocol SHOW commands only. */
export function consoleTarget(outputs: StackOutputs, as: "admin" | "stats"): PgTarget {
  const b = outputs.pgbouncer;
  return {
    ...b.endpoint,
    database: "pgbouncer",
    user: as === "admin" ? b.adminUser : b.statsUser,
    password: as === "admin" ? outputs.credentials.pgbouncerAdminPassword : outputs.credentials.pgbouncerStatsPassword,
    tls: outputs.postgres.tls,
    label: `PgBouncer console (${as})`,
    viaPgBouncer: true,
  };
}

function poolQueryCheck(outputs: StackOutputs, mode: "read-write" | "read-only"): Check {
  const database = mode === "read-write" ? outputs.pgbouncer.readWriteDatabase : outputs.pgbouncer.readOnlyDatabase;
  return {
    id: `pgbouncer.${mode}`,
    group,
    title: `A query through the ${mode} pool "${database}"`,
    async run(ctx) {
      return withPg(ctx, poolTarget(outputs, database, `PgBouncer ${mode} pool`), async (c) => {
        const t0 = performance.now();
        ctx.step?.(`waiting for an answer through pool "${database}" (PgBouncer queues clients while it cannot reach the server behind the pool)`);
        const r = await c.query<{ recovery: boolean }>("SELECT pg_is_in_recovery() AS recovery");
        const ms = Math.round((performance.now() - t0) * 10) / 10;
        const recovery = r.rows[0].recovery;
        const server = recovery ? "a replica" : "the primary";
        if (mode === "read-write" && recovery) return { status: "FAIL", message: `the read-write pool "${database}" reaches a server in recovery: writes would fail` };
        if (mode === "read-only" && !recovery && outputs.postgres.replicas.length > 0) {
          return { status: "WARN", message: `the read-only pool "${database}" reaches the primary although ${outputs.postgres.replicas.length} replica(s) exist: reads are not offloaded` };
        }
        return { status: "PASS", message: `pool "${database}" answered in ${ms} ms from ${server}` };
      });
    },
  };
}

function configCheck(outputs: StackOutputs): Check {
  const b = outputs.pgbouncer;
  const expected: Record<string, string> = { pool_mode: b.poolMode, max_client_conn: String(b.maxClientConn), default_pool_size: String(b.defaultPoolSize) };
  return {
    id: "pgbouncer.config",
    group,
    title: "SHOW CONFIG matches pool_mode, max_client_conn, default_pool_size",
    async run(ctx) {
      return withPg(ctx, consoleTarget(outputs, "admin"), async (c) => {
        const r = await c.query<{ key: string; value: string }>("SHOW CONFIG");
        const actual = new Map(r.rows.map((row) => [row.key, row.value]));
        const wrong = Object.entries(expected)
          .filter(([k, v]) => actual.get(k) !== v)
          .map(([k, v]) => `${k} is ${actual.get(k) ?? "missing"}, expected ${v}`);
        if (wrong.length > 0) return { status: "FAIL", message: `PgBouncer runs with a configuration other than the stack's: ${wrong.join("; ")}` };
        return { status: "PASS", message: Object.entries(expected).map(([k, v]) => `${k}=${v}`).join(", ") };
      });
    },
  };
}

/** SHOW POOLS samples; a client counts as waiting only if waiting in every sample. */
export const POOL_SAMPLES = 3;
const POOL_SAMPLE_GAP_MS = 200;

function poolsCheck(outputs: StackOutputs): Check {
  const max = outputs.pgbouncer.maxWaitingClients;
  return {
    id: "pgbouncer.pools",
    group,
    title: `SHOW POOLS: at most ${max} client(s) waiting`,
    async run(ctx) {
      return withPg(ctx, consoleTarget(outputs, "stats"), async (c) => {
        // A client waits briefly while PgBouncer opens a server connection (this suite's
        // own first queries included): only waiting seen in every sample is saturation.
        let least: { waiting: number; pools: number; worst?: { database: string; user: string; maxwait: string } } | undefined;
        for (let i = 0; i < POOL_SAMPLES; i++) {
          if (i > 0) await sleep(POOL_SAMPLE_GAP_MS, ctx.signal);
          const r = await c.query<{ database: string; user: string; cl_waiting: string; maxwait: string }>("SHOW POOLS");
          const clients = await c.query<{ state: string; application_name?: string }>("SHOW CLIENTS");
          // This suite's own clients (e.g. its read-only query, queued while the replica is down) are not load.
          const ours = clients.rows.filter((x) => x.state === "waiting" && x.application_name === APPLICATION_NAME).length;
          const pools = r.rows.filter((p) => p.database !== "pgbouncer");
          const waiting = Math.max(0, pools.reduce((s, p) => s + Number(p.cl_waiting), 0) - ours);
          const worst = pools.reduce((w, p) => (Number(p.maxwait) > Number(w?.maxwait ?? -1) ? p : w), undefined as (typeof pools)[number] | undefined);
          if (!least || waiting < least.waiting) least = { waiting, pools: pools.length, worst };
        }
        const { waiting, pools, worst } = least as NonNullable<typeof least>;
        const base = { measured: { value: waiting, unit: "count" }, threshold: `<= ${max} waiting (least of ${POOL_SAMPLES} samples)` };
        if (waiting > max) return { ...base, status: "WARN", message: `${waiting} client(s) waiting for a server connection in each of ${POOL_SAMPLES} samples (longest ${worst?.maxwait ?? "?"} s in ${worst?.database}/${worst?.user}): pools are saturated` };
        return { ...base, status: "PASS", message: `${waiting} client(s) waiting across ${pools} pool(s)` };
      });
    },
  };
}

export const pgbouncerChecks: CheckFactory = (outputs) => [poolQueryCheck(outputs, "read-write"), poolQueryCheck(outputs, "read-only"), configCheck(outputs), poolsCheck(outputs)];
