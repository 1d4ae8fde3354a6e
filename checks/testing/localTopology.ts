/**
 * A minimal real topology for the smoke suite's integration tests, until the sandbox
 * (sandbox/index.ts) is available to them: Redis master + replica + 3 Sentinels,
 * Postgres primary + streaming replica, PgBouncer, all on free loopback ports in a
 * fresh temp dir. Postgres and PgBouncer run as the `postgres` OS user. Returns
 * contract-shaped outputs and handles to kill each piece.
 */
import { APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS, APP_ROLE_STATEMENT_TIMEOUT_MS } from "../../components/postgres/appRoleDefaults";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Redis from "ioredis";
import { Client } from "pg";
import { DOCUMENTED_THRESHOLDS } from "../../components/thresholds/thresholds";
import { applicationCredentialsFor, applicationOutputsFor } from "../../components/contract/application";
import { CONTRACT_VERSION, thresholdsForOutputs, type StackOutputs } from "../../components/contract/outputs";
import { heartbeatDdl } from "../lib/heartbeat";
import { reconcileDdl } from "../lib/reconcileResult";
import { freePort } from "./fakes";
import { renderPgBouncerHba } from "../../components/pgbouncer/render";
import { PGBOUNCER_BIN } from "../../components/pgbouncer/version";
import { until } from "../../testing/local";

const run = promisify(execFile);
const PG_BIN = "/usr/lib/postgresql/15/bin";

export interface LocalTopology {
  outputs: StackOutputs;
  dir: string;
  killRedisReplica(): Promise<void>;
  killSentinel(index: number): Promise<void>;
  killPgBouncer(): Promise<void>;
  stopPostgresReplica(): Promise<void>;
  /** SQL as the superuser on the primary (test setup and fault injection). */
  sql(text: string): Promise<void>;
  stop(): Promise<void>;
}


function alive(pid: number): boolean {
  try {
    // Zombies linger here for a while: read the state instead of kill -0.
    const state = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    return state !== undefined && state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function killPid(pid: number, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  // 0 or NaN from an empty or half-written pid file would signal this test's own process group.
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`not a process id to kill: ${pid}`);
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  await until(`pid ${pid} to exit`, async () => !alive(pid), 10_000);
}

async function redisCmd(port: number, password: string | undefined, ...args: string[]): Promise<unknown> {
  const c = new Redis({ host: "127.0.0.1", port, password, lazyConnect: true, connectTimeout: 1000, commandTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false, enableReadyCheck: false });
  c.on("error", () => undefined);
  try {
    await c.connect();
    return await c.call(args[0], ...args.slice(1));
  } finally {
    c.disconnect();
  }
}

// runuser -u keeps the environment: passwords go there, not on the command line.
const asPostgres = (cmd: string, args: string[], env: Record<string, string> = {}) => run("runuser", ["-u", "postgres", "--", cmd, ...args], { timeout: 30_000, env: { ...process.env, ...env } });

export async function startLocalTopology(): Promise<LocalTopology> {
  const dir = mkdtempSync(join(tmpdir(), "checks-topology-"));
  chmodSync(dir, 0o755);
  const procs: ChildProcess[] = [];
  const secret = () => `t${randomBytes(9).toString("hex")}`;
  // app / readonly: the application roles, logged in through PgBouncer by pgbouncer.app-login.*.
  const pw = { redis: secret(), monitor: secret(), admin: secret(), stats: secret(), repl: secret(), su: secret(), app: secret(), readonly: secret(), appServer: secret(), readonlyServer: secret() };
  const [master, replica, s1, s2, s3, pgPrimary, pgReplica, bouncer] = await Promise.all(Array.from({ length: 8 }, () => freePort()));
  const sentinels = [s1, s2, s3];
  const pgDir = join(dir, "pg");
  let stopped = false;
  const sql = async (text: string, db = "app") => {
    const c = new Client({ host: pgDir, port: pgPrimary, user: "postgres", database: db, connectionTimeoutMillis: 3000, query_timeout: 10_000 });
    await c.connect();
    try {
      await c.query(text);
    } finally {
      await c.end();
    }
  };

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const p of procs) if (p.pid && alive(p.pid)) await killPid(p.pid, "SIGKILL").catch(() => undefined);
    for (const d of ["primary", "replica"]) await asPostgres(`${PG_BIN}/pg_ctl`, ["-D", join(pgDir, d), "-m", "immediate", "stop"]).catch(() => undefined);
    try {
      const pid = Number(readFileSync(join(pgDir, "pgbouncer.pid"), "utf8"));
      if (pid && alive(pid)) await killPid(pid, "SIGKILL");
    } catch {
      /* not started */
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // Redis: master, replica, three Sentinels (quorum 2).
    const redisConf = (port: number, extra: string) => `port ${port}\nbind 127.0.0.1\ndir ${dir}\ndbfilename dump-${port}.rdb\nsave ""\nappendonly no\nrequirepass ${pw.redis}\nmasterauth ${pw.redis}\n${extra}`;
    for (const [port, extra] of [[master, ""], [replica, `replicaof 127.0.0.1 ${master}\n`]] as const) {
      const conf = join(dir, `redis-${port}.conf`);
      writeFileSync(conf, redisConf(port, extra));
      procs.push(spawn("redis-server", [conf], { stdio: "ignore" }));
    }
    await until("the Redis replica to sync", async () => String(await redisCmd(replica, pw.redis, "INFO", "replication")).includes("master_link_status:up"), 20_000);
    for (const port of sentinels) {
      const conf = join(dir, `sentinel-${port}.conf`);
      writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor datatier 127.0.0.1 ${master} 2\nsentinel auth-pass datatier ${pw.redis}\nsentinel down-after-milliseconds datatier 1000\nsentinel failover-timeout datatier 5000\n`);
      procs.push(spawn("redis-sentinel", [conf], { stdio: "ignore" }));
    }

    // Postgres primary.
    mkdirSync(pgDir);
    chownSync(pgDir, ...ids());
    chmodSync(pgDir, 0o700);
    writeFileSync(join(pgDir, "su.pw"), pw.su);
    chownSync(join(pgDir, "su.pw"), ...ids());
    await asPostgres(`${PG_BIN}/initdb`, ["-D", join(pgDir, "primary"), "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${join(pgDir, "su.pw")}`, "-E", "UTF8"]);
    const common = `listen_addresses = '127.0.0.1'\nunix_socket_directories = '${pgDir}'\nfsync = off\nmax_connections = 60\nwal_level = replica\nmax_wal_senders = 5\nmax_replication_slots = 5\nhot_standby = on\n`;
    writeFileSync(join(pgDir, "primary", "postgresql.conf"), `\n${common}port = ${pgPrimary}\n`, { flag: "a" });
    await asPostgres(`${PG_BIN}/pg_ctl`, ["-D", join(pgDir, "primary"), "-l", join(pgDir, "primary.log"), "-w", "start"]);
    await sql("CREATE DATABASE app", "postgres");
    await sql(`CREATE ROLE datatier_monitor LOGIN PASSWORD '${pw.monitor}' IN ROLE pg_monitor; CREATE ROLE replicator LOGIN REPLICATION PASSWORD '${pw.repl}'; CREATE ROLE app LOGIN PASSWORD '${pw.appServer}'; CREATE ROLE app_readonly LOGIN PASSWORD '${pw.readonlyServer}'`, "postgres");
    // The application roles' defaults, as every platform sets them (postgres.app-role-settings judges them).
    await sql(["app", "app_readonly"].map((r) => `ALTER ROLE ${r} SET statement_timeout = ${APP_ROLE_STATEMENT_TIMEOUT_MS}; ALTER ROLE ${r} SET idle_in_transaction_session_timeout = ${APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS}`).join("; "), "postgres");
    await sql(
      [
        ...heartbeatDdl("datatier_monitor"),
        ...reconcileDdl("datatier_monitor"),
        "CREATE TABLE revenue_transactions (id bigserial PRIMARY KEY, org_id int NOT NULL, amount numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now())",
        "CREATE TABLE revenue_transactions_partitioned (id bigint NOT NULL, org_id int NOT NULL, amount numeric NOT NULL, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at)",
        "CREATE TABLE revenue_transactions_p_default PARTITION OF revenue_transactions_partitioned DEFAULT",
        // The timestamp indexes partition.indexes.* requires (the window checks range-scan them).
        "CREATE INDEX ON revenue_transactions (created_at)",
        "CREATE INDEX ON revenue_transactions_partitioned (created_at)",
        "CREATE FUNCTION revenue_dual_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO revenue_transactions_partitioned VALUES (NEW.id, NEW.org_id, NEW.amount, NEW.created_at); RETURN NEW; END $$",
        "CREATE TRIGGER revenue_transactions_dual_write AFTER INSERT ON revenue_transactions FOR EACH ROW EXECUTE FUNCTION revenue_dual_write()",
        "INSERT INTO revenue_transactions (org_id, amount) SELECT g % 7, g FROM generate_series(1, 50) g",
        "ANALYZE revenue_transactions",
        "ANALYZE revenue_transactions_partitioned",
        "GRANT SELECT ON revenue_transactions, revenue_transactions_partitioned TO datatier_monitor",
      ].join(";\n"),
    );

    // Streaming replica.
    await asPostgres(`${PG_BIN}/pg_basebackup`, ["-h", "127.0.0.1", "-p", String(pgPrimary), "-U", "replicator", "-D", join(pgDir, "replica"), "-R", "-X", "stream", "-c", "fast", "-C", "-S", "replica_1"], { PGPASSWORD: pw.repl });
    writeFileSync(join(pgDir, "replica", "postgresql.conf"), `\nport = ${pgReplica}\n`, { flag: "a" });
    await asPostgres(`${PG_BIN}/pg_ctl`, ["-D", join(pgDir, "replica"), "-l", join(pgDir, "replica.log"), "-w", "start"]);

    // PgBouncer in front of both (app -> primary, app_ro -> replica), as the sandbox runs
    // it: each role on its pool only (hba), the pools logging in with server passwords the
    // application's credentials are not (issue 20).
    writeFileSync(join(pgDir, "pgbouncer_hba.conf"), renderPgBouncerHba({ authType: "scram-sha-256", adminUser: "pgbouncer_admin", statsUser: "pgbouncer_stats" }, "app", { readWrite: ["app", "datatier_monitor"], readOnly: ["app_readonly", "datatier_monitor"] }));
    const userlist = [["datatier_monitor", pw.monitor], ["app", pw.app], ["app_readonly", pw.readonly], ["pgbouncer_admin", pw.admin], ["pgbouncer_stats", pw.stats]].map(([u, p]) => `"${u}" "${p}"`).join("\n") + "\n";
    writeFileSync(join(pgDir, "userlist.txt"), userlist, { mode: 0o600 });
    writeFileSync(
      join(pgDir, "pgbouncer.ini"),
      `[databases]\napp = host=127.0.0.1 port=${pgPrimary} dbname=app user=app password=${pw.appServer}\napp_ro = host=127.0.0.1 port=${pgReplica} dbname=app user=app_readonly password=${pw.readonlyServer}\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = ${bouncer}\nunix_socket_dir =\nauth_type = hba\nauth_hba_file = ${join(pgDir, "pgbouncer_hba.conf")}\nauth_file = ${join(pgDir, "userlist.txt")}\nadmin_users = pgbouncer_admin\nstats_users = pgbouncer_stats\npool_mode = transaction\nmax_client_conn = 200\ndefault_pool_size = 10\nlogfile = ${join(pgDir, "pgbouncer.log")}\npidfile = ${join(pgDir, "pgbouncer.pid")}\n`,
    );
    for (const f of ["userlist.txt", "pgbouncer.ini", "pgbouncer_hba.conf"]) chownSync(join(pgDir, f), ...ids());
    await asPostgres(PGBOUNCER_BIN, ["-d", join(pgDir, "pgbouncer.ini")]);
    await until("PgBouncer to write its pid file", async () => Number(readFileSync(join(pgDir, "pgbouncer.pid"), "utf8")) > 0, 10_000);

    await until("the Sentinels to reach a quorum", async () => String(await redisCmd(s1, undefined, "SENTINEL", "CKQUORUM", "datatier")).startsWith("OK 3"), 20_000);
  } catch (e) {
    await stop();
    throw e;
  }

  const base: Omit<StackOutputs, "application" | "applicationCredentials" | "checks"> = {
    contractVersion: CONTRACT_VERSION,
    environment: "it",
    production: false,
    platform: "sandbox",
    region: null,
    thresholds: thresholdsForOutputs(DOCUMENTED_THRESHOLDS),
    redis: {
      primary: { host: "127.0.0.1", port: master },
      readers: [{ host: "127.0.0.1", port: replica }],
      nodes: [
        { name: "redis-master", host: "127.0.0.1", port: master },
        { name: "redis-replica-1", host: "127.0.0.1", port: replica },
      ],
      sentinels: sentinels.map((port) => ({ host: "127.0.0.1", port })),
      sentinelMasterName: "datatier",
      expectedReplicas: 1,
      tls: false,
      authRequired: true,
      // Hand-written configs with one requirepass: the single-AUTH-token path (no ACL users).
      users: null,
      aws: null,
    },
    postgres: {
      primary: { host: "127.0.0.1", port: pgPrimary },
      replicas: [{ id: "replica-1", host: "127.0.0.1", port: pgReplica }],
      database: "app",
      monitoringUser: "datatier_monitor",
      tls: false,
      partitionPairs: [{ legacy: "revenue_transactions", partitioned: "revenue_transactions_partitioned", timestampColumn: "created_at" }],
      aws: null,
    },
    pgbouncer: {
      endpoint: { host: "127.0.0.1", port: bouncer },
      readWriteDatabase: "app",
      readOnlyDatabase: "app_ro",
      adminUser: "pgbouncer_admin",
      statsUser: "pgbouncer_stats",
      poolMode: "transaction",
      maxClientConn: 200,
      defaultPoolSize: 10,
      maxWaitingClients: 0,
      aws: null,
    },
    alarms: { customMetricNamespace: "DataTier", warningTopicArn: null, criticalTopicArn: null, alarmNames: [] },
    credentials: { redisMonitoringPassword: pw.redis, redisOperatorPassword: pw.redis, postgresMonitoringPassword: pw.monitor, pgbouncerAdminPassword: pw.admin, pgbouncerStatsPassword: pw.stats },
  };
  const application = applicationOutputsFor({ pgbouncer: base.pgbouncer, pgbouncerClientTls: false, users: { readWrite: "app", readOnly: "app_readonly" }, redis: base.redis, aws: null });
  const outputs: StackOutputs = { ...base, checks: { aws: null }, application, applicationCredentials: applicationCredentialsFor(application, { readWrite: pw.app, readOnly: pw.readonly, redis: pw.redis }) };

  const childPid = (i: number) => procs[i].pid as number;
  return {
    outputs,
    dir,
    killRedisReplica: () => killPid(childPid(1)),
    killSentinel: (index) => killPid(childPid(2 + index)),
    killPgBouncer: () => killPid(Number(readFileSync(join(pgDir, "pgbouncer.pid"), "utf8")), "SIGKILL"),
    stopPostgresReplica: async () => void (await asPostgres(`${PG_BIN}/pg_ctl`, ["-D", join(pgDir, "replica"), "-m", "fast", "-w", "stop"])),
    sql: (text) => sql(text),
    stop,
  };

  function ids(): [number, number] {
    const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("postgres:"));
    if (!line) throw new Error("the postgres OS user does not exist: install postgresql-15 (scripts/install-system-packages.sh)");
    const [, , uid, gid] = line.split(":");
    return [Number(uid), Number(gid)];
  }
}
