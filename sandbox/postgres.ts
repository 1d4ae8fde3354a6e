/**
 * The sandbox's Postgres part: a PostgreSQL 15 primary (initdb, SCRAM everywhere) and
 * `postgres.replicas` streaming replicas from `pg_basebackup -R -X stream -C -S <slot>`,
 * all from the rendered postgresql.conf / pg_hba.conf (components/postgres/render.ts),
 * run as the `postgres` OS user. Roles and the demo schema come from schema.ts.
 */
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { heartbeatDdl } from "../checks/lib/heartbeat";
import { reconcileDdl } from "../checks/lib/reconcileResult";
import { renderPgHba, renderPostgresConf } from "../components/postgres/render";
import { scramVerifier } from "../components/postgres/scram";
import { withPg, type PgTarget } from "../components/clients/postgres";
import { failingLogs, postgresUser, processLogs, recordAlive, startProcess, waitFor, type ProcessRecord } from "./procs";
import { databaseGrantsSql, demoSchemaSql, freshDemoRowsSql, rolesSql, SANDBOX_ROLES } from "./schema";
import { putProcess, serverPassword, type SandboxState } from "./state";

const run = promisify(execFile);

export const PG_BIN = "/usr/lib/postgresql/15/bin";
export const PRIMARY_NAME = "postgres-primary";
export const PRIMARY_HOST = "127.0.0.1";

/**
 * Replica i listens on 127.0.0.<i+1>, all replicas on one port: PgBouncer's read-only
 * pool is one host list sharing a single port (components/pgbouncer/render.ts). With
 * one replica (the dev stack) that is plain 127.0.0.1.
 */
export const replicaHost = (i: number) => `127.0.0.${i + 1}`;
export const replicaName = (i: number) => `postgres-replica-${i + 1}`;

export const pgRoot = (dir: string) => join(dir, "postgres");
/**
 * Each server's own unix-socket directory under `sock/`: the replicas share one port
 * (on different loopback addresses), and a socket's name is `.s.PGSQL.<port>`, so one
 * shared directory lets only the first replica start (`lock file ".s.PGSQL.<port>.lock"
 * already exists`). Nothing in the sandbox connects over these sockets (TCP on loopback
 * throughout); Postgres just always creates one.
 */
export const socketRoot = (dir: string) => join(pgRoot(dir), "sock");
export const socketDirOf = (dir: string, name: string) => join(socketRoot(dir), name);
export const passFile = (dir: string) => join(pgRoot(dir), "replicator.pgpass");

function ownedDir(path: string): string {
  const { uid, gid } = postgresUser();
  mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
  chownSync(path, uid, gid);
  return path;
}

function ownedFile(path: string, text: string): void {
  const { uid, gid } = postgresUser();
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  chownSync(path, uid, gid);
}

async function asPostgres(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<void> {
  const { uid, gid } = postgresUser();
  try {
    await run(cmd, args, { uid, gid, timeout: timeoutMs, env: { PATH: "/usr/bin:/bin", LANG: "C.UTF-8", ...env }, cwd: "/tmp" });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd.split("/").pop()} failed: ${(err.stderr || err.message).trim().slice(-1500)}`);
  }
}

export function superuserTarget(state: SandboxState, p: Pick<ProcessRecord, "host" | "port">, database = "postgres"): PgTarget {
  return { host: p.host, port: p.port, user: "postgres", password: state.secrets.postgresSuperuser, database };
}

/**
 * The application role's own login (the server password PgBouncer uses), for writing as the
 * application: never `SET ROLE` in a superuser session, whose `RESET ROLE` is one statement
 * away for any code the application owns (a trigger function it replaced ran the superuser's
 * statements that way when `up` wrote the demo rows).
 */
export function appRoleTarget(state: SandboxState, p: Pick<ProcessRecord, "host" | "port">): PgTarget {
  return { host: p.host, port: p.port, user: SANDBOX_ROLES.app, password: serverPassword(state.secrets, "app"), database: state.settings.postgres.databaseName };
}

/**
 * Sandbox-only override on the command line, not in the rendered file: without fsync a
 * process crash (the drills' kind of failure) still loses nothing, only a machine
 * crash would; bring-up and shutdown checkpoints no longer wait on a shared disk.
 */
export const SANDBOX_POSTGRES_ARGS = ["-c", "fsync=off"];

function postgresSpec(dir: string, name: string, dataDir: string, host: string, port: number) {
  return {
    name,
    kind: "postgres" as const,
    host,
    port,
    command: join(PG_BIN, "postgres"),
    args: ["-D", dataDir, ...SANDBOX_POSTGRES_ARGS],
    user: "postgres" as const,
    cwd: dataDir,
    logFile: join(dir, "logs", `${name}.log`),
    extraLogs: [join(pgRoot(dir), `${name}-log`)],
  };
}

/** postgresql.conf and pg_hba.conf of one server as the settings render them (path -> text). */
function renderedConfs(state: SandboxState, dataDir: string, name: string, role: "primary" | "replica", host: string, port: number): Map<string, string> {
  const root = pgRoot(state.dir);
  return new Map([
    [join(dataDir, "postgresql.conf"), renderPostgresConf(state.settings, { role, port, listenAddresses: host, socketDir: socketDirOf(state.dir, name), logDir: join(root, `${name}-log`), clusterName: name })],
    [join(dataDir, "pg_hba.conf"), renderPgHba({ replicationUser: SANDBOX_ROLES.replication })],
  ]);
}

function writeConfs(state: SandboxState, dataDir: string, name: string, role: "primary" | "replica", host: string, port: number): void {
  ownedDir(join(pgRoot(state.dir), `${name}-log`));
  ownedDir(socketDirOf(state.dir, name));
  for (const [path, text] of renderedConfs(state, dataDir, name, role, host, port)) ownedFile(path, text);
}

/**
 * Rewrites each server's postgresql.conf / pg_hba.conf that differs from what the settings
 * render, and has a running server reload them (what needs a restart applies when it next
 * starts). Returns the files rewritten.
 */
export function healPostgresConfs(state: SandboxState): string[] {
  const rewritten: string[] = [];
  for (const p of postgresProcesses(state)) {
    const dataDir = p.args[p.args.indexOf("-D") + 1];
    const files = renderedConfs(state, dataDir, p.name, p.name === PRIMARY_NAME ? "primary" : "replica", p.host, p.port);
    const changed = [...files].filter(([path, text]) => (existsSync(path) ? readFileSync(path, "utf8") : null) !== text);
    // A sandbox made before per-server socket directories: the rewritten conf names one that must exist at the next start.
    ownedDir(socketDirOf(state.dir, p.name));
    for (const [path, text] of changed) ownedFile(path, text);
    if (changed.length > 0 && recordAlive(p)) process.kill(p.pid, "SIGHUP");
    rewritten.push(...changed.map(([path]) => path));
  }
  return rewritten;
}

async function waitAccepting(state: SandboxState, p: ProcessRecord, timeoutMs: number): Promise<void> {
  try {
    await waitFor(`${p.name} to accept connections on ${p.host}:${p.port}`, async () => {
      if (!recordAlive(p)) throw new Error("the process exited");
      return withPg(superuserTarget(state, p), async (c) => (await c.query("select 1")).rowCount === 1, 2000);
    }, timeoutMs, 100);
  } catch (e) {
    throw new Error(`${(e as Error).message}${processLogs(p)}`);
  }
}

/** initdb, configure and start the primary; roles, database and demo schema. */
async function startPrimary(state: SandboxState, port: number, timeoutMs: number): Promise<void> {
  const root = pgRoot(state.dir);
  const dataDir = ownedDir(join(root, "primary"));
  const pwfile = join(root, ".initdb-pw");
  // The verifier, not the password: initdb stores a SCRAM verifier as it is, and the plain text never touches the disk.
  ownedFile(pwfile, `${scramVerifier(state.secrets.postgresSuperuser)}\n`);
  try {
    await asPostgres(join(PG_BIN, "initdb"), ["-D", dataDir, "-U", "postgres", `--pwfile=${pwfile}`, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"]);
  } finally {
    rmSync(pwfile, { force: true });
  }
  writeConfs(state, dataDir, PRIMARY_NAME, "primary", PRIMARY_HOST, port);
  const p = await startProcess(postgresSpec(state.dir, PRIMARY_NAME, dataDir, PRIMARY_HOST, port));
  putProcess(state, p);
  await waitAccepting(state, p, timeoutMs);

  const s = state.settings;
  const pw = state.secrets;
  await withPg(superuserTarget(state, p), async (c) => {
    // These statements carry passwords: keep them out of the server log whatever its settings.
    await c.query("SET log_min_duration_statement = -1");
    await c.query("SET log_statement = 'none'");
    for (const sql of rolesSql(s, { replication: pw.replication, app: serverPassword(pw, "app"), readonly: serverPassword(pw, "readonly"), monitoring: pw.monitoring, pgbouncerAdmin: pw.pgbouncerAdmin, pgbouncerStats: pw.pgbouncerStats })) await c.query(sql);
  }, 30_000);
  await withPg(superuserTarget(state, p, s.postgres.databaseName), async (c) => {
    for (const sql of databaseGrantsSql(s)) await c.query(sql);
    for (const sql of heartbeatDdl(SANDBOX_ROLES.monitoring)) await c.query(sql);
    for (const sql of reconcileDdl(SANDBOX_ROLES.monitoring)) await c.query(sql);
  }, 30_000);
  // The demo schema as the application creates its own: logged in as the application role.
  await withPg(appRoleTarget(state, p), async (c) => {
    await c.query("BEGIN");
    for (const sql of demoSchemaSql(s, { now: new Date() })) await c.query(sql);
    await c.query("COMMIT");
  }, 30_000);
}

/** pg_basebackup a replica from the primary and start it. */
async function startReplica(state: SandboxState, i: number, port: number): Promise<ProcessRecord> {
  const root = pgRoot(state.dir);
  const name = replicaName(i);
  const slot = `replica_${i + 1}`;
  const dataDir = join(root, name);
  ownedDir(dataDir);
  const primary = state.processes.find((x) => x.name === PRIMARY_NAME)!;
  await asPostgres(
    join(PG_BIN, "pg_basebackup"),
    ["-h", primary.host, "-p", String(primary.port), "-U", SANDBOX_ROLES.replication, "-D", dataDir, "-R", "-X", "stream", "-C", "-S", slot, "--no-sync", "-c", "fast"],
    { PGPASSFILE: passFile(state.dir) },
  );
  // -R writes the connection string; keep the password in the 0600 passfile, not in plain text there.
  const auto = join(dataDir, "postgresql.auto.conf");
  ownedFile(auto, withPassfile(readFileSync(auto, "utf8"), passFile(state.dir)));
  writeConfs(state, dataDir, name, "replica", replicaHost(i), port);
  const p = await startProcess(postgresSpec(state.dir, name, dataDir, replicaHost(i), port));
  putProcess(state, p);
  state.postgres!.replicas.push({ name, id: name, slot, dataDir });
  return p;
}

/**
 * Rewrites `primary_conninfo` in postgresql.auto.conf: drops `password=...` and points
 * libpq at the passfile instead.
 */
export function withPassfile(autoConf: string, passfile: string): string {
  return autoConf
    .split("\n")
    .map((line) => {
      const m = /^primary_conninfo = '(.*)'$/.exec(line);
      if (!m) return line;
      // Inside the GUC literal, quotes are doubled; conninfo values are single-quoted with \ escapes.
      const conninfo = m[1].replace(/''/g, "'");
      const parts = conninfo.match(/\w+=('(?:[^'\\]|\\.)*'|\S+)/g) ?? [];
      const kept = parts.filter((x) => !/^(password|passfile)=/.test(x));
      kept.push(`passfile='${passfile.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`);
      return `primary_conninfo = '${kept.join(" ").replace(/'/g, "''")}'`;
    })
    .join("\n");
}

export async function startPostgres(state: SandboxState, ports: { primary: number; replicas: number }, timeoutMs: number): Promise<void> {
  const root = ownedDir(pgRoot(state.dir));
  ownedDir(socketRoot(state.dir));
  ownedFile(passFile(state.dir), `*:*:*:${SANDBOX_ROLES.replication}:${state.secrets.replication}\n`);
  state.postgres = { database: state.settings.postgres.databaseName, socketDir: socketRoot(state.dir), replicas: [], primaryDataDir: join(root, "primary") };
  await startPrimary(state, ports.primary, timeoutMs);
  for (let i = 0; i < state.settings.postgres.replicas; i++) await startReplica(state, i, ports.replicas);
  await waitPostgresHealthy(state, timeoutMs);
}

export function postgresProcesses(state: SandboxState): ProcessRecord[] {
  return state.processes.filter((p) => p.kind === "postgres");
}

/** Problems of the Postgres part (empty when healthy): primary writable, every replica streaming. */
export async function postgresProblems(state: SandboxState): Promise<string[]> {
  const problems: string[] = [];
  const primary = state.processes.find((p) => p.name === PRIMARY_NAME);
  if (!primary) return ["no primary recorded"];
  try {
    await withPg(superuserTarget(state, primary), async (c) => {
      if ((await c.query("select pg_is_in_recovery() as r")).rows[0].r) problems.push(`${primary.name} is in recovery`);
      const slots = await c.query<{ slot_name: string; active: boolean }>("select slot_name, active from pg_replication_slots");
      for (const r of state.postgres?.replicas ?? []) {
        if (!slots.rows.find((x) => x.slot_name === r.slot && x.active)) problems.push(`${r.name} is not streaming (slot ${r.slot} inactive)`);
      }
    }, 2000);
  } catch (e) {
    problems.push(`${primary.name} (${primary.host}:${primary.port}) does not answer: ${(e as Error).message}`);
  }
  for (const r of state.postgres?.replicas ?? []) {
    const p = state.processes.find((x) => x.name === r.name)!;
    try {
      await withPg(superuserTarget(state, p), async (c) => {
        const row = (await c.query("select pg_is_in_recovery() as r, pg_is_wal_replay_paused() as paused")).rows[0];
        if (!row.r) problems.push(`${r.name} is not in recovery (promoted?)`);
        else if (row.paused) problems.push(`${r.name}: WAL replay is paused`);
      }, 2000);
    } catch (e) {
      problems.push(`${r.name} (${p.host}:${p.port}) does not answer: ${(e as Error).message}`);
    }
  }
  return problems;
}

export async function waitPostgresHealthy(state: SandboxState, timeoutMs: number): Promise<void> {
  let last: string[] = [];
  try {
    await waitFor("Postgres: primary up and every replica streaming", async () => {
      last = await postgresProblems(state);
      return last.length === 0;
    }, timeoutMs, 150);
  } catch (e) {
    const logs = failingLogs(postgresProcesses(state), last);
    throw new Error(`${(e as Error).message}\nstill wrong: ${last.join("; ")}${logs}`);
  }
}

/** Starts a Postgres process that is down again, from its data directory. */
export async function restartPostgresProcess(state: SandboxState, p: ProcessRecord): Promise<void> {
  const dataDir = p.args[p.args.indexOf("-D") + 1];
  // A crash leaves postmaster.pid behind; remove it only when it names our dead process.
  const lock = join(dataDir, "postmaster.pid");
  if (existsSync(lock) && Number(readFileSync(lock, "utf8").split("\n")[0]) === p.pid && !recordAlive(p)) unlinkSync(lock);
  const next = await startProcess(postgresSpec(state.dir, p.name, dataDir, p.host, p.port));
  putProcess(state, next);
  await waitAccepting(state, next, 30_000);
}

/** Resumes WAL replay on every replica where it is paused (after the lag drill). */
export async function resumePausedReplay(state: SandboxState): Promise<string[]> {
  const resumed: string[] = [];
  for (const r of state.postgres?.replicas ?? []) {
    const p = state.processes.find((x) => x.name === r.name)!;
    if (!recordAlive(p)) continue;
    await withPg(superuserTarget(state, p), async (c) => {
      if ((await c.query("select pg_is_wal_replay_paused() as paused")).rows[0].paused) {
        await c.query("select pg_wal_replay_resume()");
        resumed.push(r.name);
      }
    }, 3000);
  }
  return resumed;
}

/** `up` on a reused sandbox: a fresh demo row per partition pair (as the app role, through the dual-write path). */
export async function refreshDemoRows(state: SandboxState): Promise<void> {
  const primary = state.processes.find((p) => p.name === PRIMARY_NAME);
  if (!primary) return;
  await withPg(appRoleTarget(state, primary), async (c) => {
    for (const sql of freshDemoRowsSql(state.settings)) await c.query(sql);
  }, 10_000);
}
