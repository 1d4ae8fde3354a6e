/**
 * PgBouncer checks: a query through each pool reaches the right server, the running
 * configuration matches the stack's, and no more clients wait than allowed.
 */
import type { StackOutputs } from "../components/contract/outputs";
import { sleep } from "./lib/measure";
import { APPLICATION_NAME, monitorTarget, withPg, type PgTarget } from "./lib/postgres";
import { noBypassCheck, poolRolesCheck } from "./poolAccess";
import type { Check, CheckContext, CheckFactory, CheckOutcome } from "./types";

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
      // In parallel, a new connection to the server(s) behind the pool: a pool can keep
      // answering over server connections opened earlier while its server accepts no new one
      // (its postmaster frozen, its backends running). Started first, so both end within the
      // connect deadline.
      const fresh = freshConnection(ctx, outputs, mode);
      let fromReplica = false;
      const verdict = await withPg(ctx, poolTarget(outputs, database, `PgBouncer ${mode} pool`), async (c): Promise<CheckOutcome> => {
        const t0 = performance.now();
        ctx.step?.(`waiting for an answer through pool "${database}" (PgBouncer queues clients while it cannot reach the server behind the pool)`);
        const r = await c.query<{ recovery: boolean }>("SELECT pg_is_in_recovery() AS recovery");
        const ms = Math.round((performance.now() - t0) * 10) / 10;
        const recovery = r.rows[0].recovery;
        fromReplica = recovery;
        const server = recovery ? "a replica" : "the primary";
        if (mode === "read-write" && recovery) return { status: "FAIL", message: `the read-write pool "${database}" reaches a server in recovery: writes would fail` };
        if (mode === "read-only" && !recovery && outputs.postgres.replicas.length > 0) {
          return { status: "WARN", message: `the read-only pool "${database}" reaches the primary although ${outputs.postgres.replicas.length} replica(s) exist: reads are not offloaded` };
        }
        return { status: "PASS", message: `pool "${database}" answered in ${ms} ms from ${server}` };
      }).finally(() => fresh.catch(() => undefined));
      return staleOnly(verdict, await judgedFresh(fresh, mode, fromReplica), `pool "${database}" answered`);
    },
  };
}

/** A PASS through the pool turns FAIL when the server(s) behind it refused a new connection meanwhile (`refused`: which and why). */
export function staleOnly(verdict: CheckOutcome, refused: string | null, what: string): CheckOutcome {
  if (verdict.status !== "PASS" || !refused) return verdict;
  return { status: "FAIL", message: `${what}, but only over server connections PgBouncer opened earlier: ${refused}; once those close or more are needed, the pool stalls (a frozen postmaster?)` };
}

/** The fresh-connection result that bears on the pool's answer: a read-only pool answering from the primary is not answering over the replicas' old connections. */
async function judgedFresh(fresh: Promise<string | null>, mode: "read-write" | "read-only", fromReplica: boolean): Promise<string | null> {
  const refused = await fresh;
  return mode === "read-only" && !fromReplica ? null : refused;
}

/**
 * Whether the server(s) behind a pool accept a new connection now: null when they do, else
 * which do not and why. Read-write: the primary. Read-only: the replicas, judged only when
 * none accepts one (a pool answering from a replica while some replica still accepts is the
 * replica checks' and the read router's business); null without replicas (the read-only
 * pool then reaches the primary, and the read-write pool's check covers it).
 */
async function freshConnection(ctx: CheckContext, outputs: StackOutputs, mode: "read-write" | "read-only"): Promise<string | null> {
  const attempt = async (at: { host: string; port: number }, label: string): Promise<string | null> => {
    try {
      await withPg(ctx, monitorTarget(outputs, at, `${label} (a new connection)`), (c) => c.query("SELECT 1"));
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  };
  if (mode === "read-write") {
    const p = outputs.postgres.primary;
    const why = await attempt(p, "Postgres primary");
    return why && `the primary at ${p.host}:${p.port} accepts no new connection (${why})`;
  }
  const replicas = outputs.postgres.replicas;
  if (replicas.length === 0) return null;
  const whys = await Promise.all(replicas.map((r) => attempt(r, `Postgres replica ${r.id}`)));
  if (whys.some((w) => w === null)) return null;
  return `no replica accepts a new connection (${replicas.map((r, i) => `${r.id} at ${r.host}:${r.port}: ${whys[i]}`).join("; ")})`;
}

/**
 * What the application sees: a login through PgBouncer as the application role, with the
 * very credentials the application is given (applicationCredentials, an RDS-style secret),
 * and a real query. The checks above log in as the monitoring role, which a damaged
 * application verifier in PgBouncer's userlist does not touch.
 */
function appLoginCheck(outputs: StackOutputs, mode: "read-write" | "read-only"): Check {
  const secret = mode === "read-write" ? outputs.applicationCredentials.readWrite : outputs.applicationCredentials.readOnly;
  const conn = mode === "read-write" ? outputs.application.readWrite : outputs.application.readOnly;
  return {
    id: `pgbouncer.app-login.${mode}`,
    group,
    title: `The application's ${mode} role logs in through pool "${secret.dbname}" and queries`,
    async run(ctx) {
      const target: PgTarget = { host: secret.host, port: secret.port, database: secret.dbname, user: secret.username, password: secret.password, tls: conn.tls, label: `PgBouncer ${mode} pool as the application role ${secret.username}`, viaPgBouncer: true };
      const fresh = freshConnection(ctx, outputs, mode);
      let fromReplica = false;
      const verdict = await withPg(ctx, target, async (c): Promise<CheckOutcome> => {
        const t0 = performance.now();
        ctx.step?.(`waiting for an answer through pool "${secret.dbname}" as ${secret.username}`);
        const r = await c.query<{ who: string; recovery: boolean; tables: number }>(
          "SELECT current_user AS who, pg_is_in_recovery() AS recovery, (SELECT count(*)::int FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')) AS tables",
        );
        const ms = Math.round((performance.now() - t0) * 10) / 10;
        const { who, recovery, tables } = r.rows[0];
        fromReplica = recovery;
        if (who !== secret.username) return { status: "FAIL", message: `logged in to pool "${secret.dbname}" as ${secret.username} but the server says current_user is ${who}: PgBouncer maps the role to another one` };
        if (mode === "read-write" && recovery) return { status: "FAIL", message: `the application's read-write role reaches a server in recovery through pool "${secret.dbname}": its writes would fail` };
        const server = recovery ? "a replica" : "the primary";
        return { status: "PASS", message: `${secret.username} logged in through pool "${secret.dbname}" and queried ${server} in ${ms} ms (${tables} table(s) visible)` };
      }).finally(() => fresh.catch(() => undefined));
      return staleOnly(verdict, await judgedFresh(fresh, mode, fromReplica), `${secret.username} logged in through pool "${secret.dbname}" and queried`);
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

/** The SHOW POOLS columns the pools check reads (PgBouncer 1.18 and later). */
export interface PoolRow {
  database: string;
  user: string;
  cl_waiting: string;
  sv_active: string;
  sv_idle: string;
  sv_used: string;
  sv_login: string;
  maxwait: string;
}

/**
 * What the waiting in one pool means, from what SHOW POOLS measured: with every server
 * connection of the pool busy it is saturation; with fewer it is PgBouncer not getting
 * server connections (the server behind the pool is down, refuses or is slow to log in).
 */
export function describePoolWait(p: PoolRow, poolSize: number): string {
  const n = (k: keyof PoolRow) => Number(p[k] ?? 0);
  const servers = n("sv_active") + n("sv_idle") + n("sv_used") + n("sv_login");
  const base = `${p.database}/${p.user}: ${n("cl_waiting")} waiting (longest ${n("maxwait")} s), ${n("sv_active")} of ${poolSize} server connections active`;
  if (n("sv_active") >= poolSize) return `${base}: the pool is saturated (every server connection busy)`;
  const login = n("sv_login") > 0 ? `, ${n("sv_login")} still logging in` : "";
  return `${base}, ${servers} open${login}: not saturation; PgBouncer cannot get server connections (is the server behind "${p.database}" down or refusing logins?)`;
}

function poolsCheck(outputs: StackOutputs): Check {
  const max = outputs.pgbouncer.maxWaitingClients;
  const poolSize = outputs.pgbouncer.defaultPoolSize;
  return {
    id: "pgbouncer.pools",
    group,
    title: `SHOW POOLS: at most ${max} client(s) waiting`,
    async run(ctx) {
      return withPg(ctx, consoleTarget(outputs, "stats"), async (c) => {
        // A client waits briefly while PgBouncer opens a server connection (this suite's
        // own first queries included): only waiting seen in every sample counts.
        let least: { waiting: number; pools: number; waitingPools: PoolRow[] } | undefined;
        for (let i = 0; i < POOL_SAMPLES; i++) {
          if (i > 0) await sleep(POOL_SAMPLE_GAP_MS, ctx.signal);
          const r = await c.query<PoolRow>("SHOW POOLS");
          const clients = await c.query<{ state: string; application_name?: string; database?: string }>("SHOW CLIENTS");
          // This suite's own clients (e.g. its read-only query, queued while the replica is down) are not load.
          const oursWaiting = clients.rows.filter((x) => x.state === "waiting" && x.application_name === APPLICATION_NAME);
          const pools = r.rows.filter((p) => p.database !== "pgbouncer");
          const ownIn = (p: PoolRow) => oursWaiting.filter((x) => x.database === undefined || x.database === p.database).length;
          const waitingPools = pools.map((p) => ({ ...p, cl_waiting: String(Math.max(0, Number(p.cl_waiting) - ownIn(p))) })).filter((p) => Number(p.cl_waiting) > 0);
          const waiting = Math.max(0, pools.reduce((s, p) => s + Number(p.cl_waiting), 0) - oursWaiting.length);
          if (!least || waiting < least.waiting) least = { waiting, pools: pools.length, waitingPools };
        }
        const { waiting, pools, waitingPools } = least as NonNullable<typeof least>;
        const base = { measured: { value: waiting, unit: "count" }, threshold: `<= ${max} waiting (least of ${POOL_SAMPLES} samples)` };
        if (waiting > max) {
          const detail = waitingPools.sort((a, b) => Number(b.cl_waiting) - Number(a.cl_waiting)).map((p) => describePoolWait(p, poolSize));
          return { ...base, status: "WARN", message: `${waiting} client(s) waiting for a server connection in each of ${POOL_SAMPLES} samples: ${detail.join("; ")}` };
        }
        return { ...base, status: "PASS", message: `${waiting} client(s) waiting across ${pools} pool(s)` };
      });
    },
  };
}

export const pgbouncerChecks: CheckFactory = (outputs) => [
  poolQueryCheck(outputs, "read-write"),
  poolQueryCheck(outputs, "read-only"),
  appLoginCheck(outputs, "read-write"),
  appLoginCheck(outputs, "read-only"),
  poolRolesCheck(outputs),
  noBypassCheck(outputs),
  configCheck(outputs),
  poolsCheck(outputs),
];
