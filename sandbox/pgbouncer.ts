/**
 * The sandbox's PgBouncer: rendered pgbouncer.ini (read-write pool to the primary,
 * read-only pool over the replicas) and a userlist of SCRAM verifiers copied from
 * pg_authid, run as the `postgres` OS user with the open-file limit raised inside its
 * own command (runuser-style starts reset it to 1024; 1000 clients need more).
 */
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pgbouncerFileLimit, readOnlyDatabaseName, readWriteDatabaseName, renderPgBouncerHba, renderPgBouncerIni, renderUserlist, type PoolUsers, type ServerLogin } from "../components/pgbouncer/render";
import { withPg } from "../components/clients/postgres";
import { PGBOUNCER_BIN, pgbouncerBinaryProblem } from "../components/pgbouncer/version";
import { PRIMARY_NAME, superuserTarget } from "./postgres";
import { postgresUser, processLogs, recordAlive, startProcess, waitFor, type ProcessRecord } from "./procs";
import { SANDBOX_ROLES } from "./schema";
import { putProcess, serverPassword, type SandboxState } from "./state";

/** The pinned build (components/pgbouncer/version.env), not Debian bookworm's 1.18 package. */
export { PGBOUNCER_BIN };
export const PGBOUNCER_NAME = "pgbouncer";
export const PGBOUNCER_HOST = "127.0.0.1";

const bouncerDir = (dir: string) => join(dir, "pgbouncer");

function spec(state: SandboxState, port: number) {
  const d = bouncerDir(state.dir);
  const limit = pgbouncerFileLimit(state.settings.pgbouncer);
  return {
    name: PGBOUNCER_NAME,
    kind: "pgbouncer" as const,
    host: PGBOUNCER_HOST,
    port,
    // `exec` keeps the pid: the recorded pid is PgBouncer's own.
    command: "/bin/sh",
    args: ["-c", `ulimit -n ${limit} && exec ${PGBOUNCER_BIN} "$0"`, join(d, "pgbouncer.ini")],
    user: "postgres" as const,
    cwd: d,
    logFile: join(state.dir, "logs", "pgbouncer.log"),
  };
}

/** Users PgBouncer admits: the application roles, the monitoring role, its console users. */
export function pgbouncerUsers(state: SandboxState): string[] {
  const pb = state.settings.pgbouncer;
  return [SANDBOX_ROLES.app, SANDBOX_ROLES.readonly, SANDBOX_ROLES.monitoring, pb.adminUser, pb.statsUser];
}

/** Which roles each pool admits: the application roles one pool each, monitoring both (the smoke suite's pool checks). */
export function sandboxPoolUsers(): PoolUsers {
  return { readWrite: [SANDBOX_ROLES.app, SANDBOX_ROLES.monitoring], readOnly: [SANDBOX_ROLES.readonly, SANDBOX_ROLES.monitoring] };
}

/** Whether the application roles' PgBouncer passwords differ from their Postgres ones (every sandbox made since issue 20). */
export const credentialsSplit = (state: SandboxState): boolean => !!(state.secrets.appServer && state.secrets.readonlyServer);

/**
 * The renderer's runtime apart from the servers (shared with the read router, which
 * re-renders the ini). Each pool logs in to Postgres as its application role with the
 * role's server password; the application's own password is PgBouncer's only.
 */
export function pgbouncerRuntime(state: SandboxState, port: number): { listenAddr: string; listenPort: number; authFile: string; hbaFile: string; poolUsers: PoolUsers; serverLogins?: { readWrite: ServerLogin; readOnly: ServerLogin } } {
  const d = bouncerDir(state.dir);
  return {
    listenAddr: PGBOUNCER_HOST,
    listenPort: port,
    authFile: join(d, "userlist.txt"),
    hbaFile: join(d, "pgbouncer_hba.conf"),
    poolUsers: sandboxPoolUsers(),
    ...(credentialsSplit(state)
      ? {
          serverLogins: {
            readWrite: { user: SANDBOX_ROLES.app, password: serverPassword(state.secrets, "app") },
            readOnly: { user: SANDBOX_ROLES.readonly, password: serverPassword(state.secrets, "readonly") },
          },
        }
      : {}),
  };
}

/**
 * The auth-file secret of a user. With the split, the users of the pools (the application
 * roles and monitoring) are listed with their plain passwords: after a client logs in
 * against a SCRAM verifier, PgBouncer 1.24 copies that client's SCRAM keys into the pool's
 * server login (src/client.c, "save SCRAM keys for user"), which for a pool with a
 * `user=`/`password=` login overwrites it, and the next server login fails. A plain
 * password makes the client's SCRAM exchange ad hoc, and nothing is copied. The file is
 * 0600 for PgBouncer's user like the ini, which holds the server passwords anyway.
 */
function userlistSecret(state: SandboxState, user: string, fromAuthid: string): string {
  if (!credentialsSplit(state)) return fromAuthid;
  if (user === SANDBOX_ROLES.app) return state.secrets.app;
  if (user === SANDBOX_ROLES.readonly) return state.secrets.readonly;
  if (user === SANDBOX_ROLES.monitoring) return state.secrets.monitoring;
  return fromAuthid;
}

/** The rendered pgbouncer.ini. */
export const pgbouncerIniPath = (dir: string) => join(bouncerDir(dir), "pgbouncer.ini");

/** pgbouncer.ini and userlist.txt as the settings and pg_authid say they should be (path -> text). */
export async function renderedPgBouncerFiles(state: SandboxState, port: number): Promise<Map<string, string>> {
  const d = bouncerDir(state.dir);
  const primary = state.processes.find((p) => p.name === PRIMARY_NAME);
  if (!primary) throw new Error("pgbouncer needs the postgres part");
  const replicas = (state.postgres?.replicas ?? []).map((r) => state.processes.find((p) => p.name === r.name)!);
  const users = pgbouncerUsers(state);
  const verifiers = await withPg(superuserTarget(state, primary), async (c) => {
    const r = await c.query<{ rolname: string; rolpassword: string | null }>("select rolname, rolpassword from pg_authid where rolname = any($1)", [users]);
    return r.rows;
  });
  const missing = users.filter((u) => !verifiers.find((v) => v.rolname === u && v.rolpassword));
  if (missing.length) throw new Error(`pgbouncer: no SCRAM verifier in pg_authid for ${missing.join(", ")}`);
  const rt = pgbouncerRuntime(state, port);
  const ini = renderPgBouncerIni(state.settings.pgbouncer, {
    ...rt,
    primary: { host: primary.host, port: primary.port },
    replicas: replicas.map((r) => ({ host: r.host, port: r.port })),
    database: state.settings.postgres.databaseName,
  });
  return new Map([
    [rt.authFile, renderUserlist(users.map((u) => ({ name: u, secret: userlistSecret(state, u, verifiers.find((v) => v.rolname === u)!.rolpassword!) })))],
    [rt.hbaFile, renderPgBouncerHba(state.settings.pgbouncer, state.settings.postgres.databaseName, rt.poolUsers)],
    [join(d, "pgbouncer.ini"), ini],
  ]);
}

function writeOwned(path: string, text: string): void {
  const { uid, gid } = postgresUser();
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
  chownSync(path, uid, gid);
}

export async function startPgBouncer(state: SandboxState, port: number, timeoutMs: number): Promise<void> {
  const missing = pgbouncerBinaryProblem();
  if (missing) throw new Error(missing);
  const { uid, gid } = postgresUser();
  const d = bouncerDir(state.dir);
  mkdirSync(d, { recursive: true, mode: 0o700 });
  chownSync(d, uid, gid);
  for (const [path, text] of await renderedPgBouncerFiles(state, port)) writeOwned(path, text);
  putProcess(state, await startProcess(spec(state, port)));
  await waitPgBouncerHealthy(state, timeoutMs);
}

/**
 * Rewrites PgBouncer's files that differ from what the settings render (a damaged
 * verifier locks the application out while the monitoring users still log in), and has
 * a running PgBouncer reload them. Returns the files rewritten.
 */
export async function healPgBouncerFiles(state: SandboxState): Promise<string[]> {
  const p = state.processes.find((x) => x.name === PGBOUNCER_NAME);
  if (!p) return [];
  const rewritten = rewriteDiffering(await renderedPgBouncerFiles(state, p.port));
  if (rewritten.length > 0 && recordAlive(p)) process.kill(p.pid, "SIGHUP");
  return rewritten;
}

/** Writes each file whose content differs (or is missing); returns their paths. */
export function rewriteDiffering(files: Map<string, string>, write: (path: string, text: string) => void = writeOwned): string[] {
  const out: string[] = [];
  for (const [path, text] of files) {
    let current: string | null = null;
    try {
      current = readFileSync(path, "utf8");
    } catch {
      current = null;
    }
    if (current !== text) {
      write(path, text);
      out.push(path);
    }
  }
  return out;
}

export async function pgbouncerProblems(state: SandboxState): Promise<string[]> {
  const p = state.processes.find((x) => x.name === PGBOUNCER_NAME);
  if (!p) return ["no pgbouncer recorded"];
  const db = state.settings.postgres.databaseName;
  const problems: string[] = [];
  try {
    await withPg({ host: p.host, port: p.port, user: state.settings.pgbouncer.statsUser, password: state.secrets.pgbouncerStats, database: "pgbouncer" }, (c) => c.query({ text: "SHOW VERSION", rowMode: "array" }), 2000);
  } catch (e) {
    problems.push(`pgbouncer console (${p.host}:${p.port}) does not answer: ${(e as Error).message}`);
    return problems;
  }
  for (const pool of [readWriteDatabaseName(db), readOnlyDatabaseName(db)]) {
    try {
      await withPg({ host: p.host, port: p.port, user: SANDBOX_ROLES.monitoring, password: state.secrets.monitoring, database: pool }, (c) => c.query("select 1"), 3000);
    } catch (e) {
      problems.push(`pool ${pool} through pgbouncer fails: ${(e as Error).message}`);
    }
  }
  return problems;
}

export async function waitPgBouncerHealthy(state: SandboxState, timeoutMs: number): Promise<void> {
  let last: string[] = [];
  const p = state.processes.find((x) => x.name === PGBOUNCER_NAME)!;
  try {
    await waitFor("PgBouncer: console and both pools answering", async () => {
      if (!recordAlive(p)) throw new Error("pgbouncer exited");
      last = await pgbouncerProblems(state);
      return last.length === 0;
    }, timeoutMs, 150);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nstill wrong: ${last.join("; ")}${processLogs(p)}`);
  }
}

export async function restartPgBouncer(state: SandboxState, p: ProcessRecord): Promise<void> {
  putProcess(state, await startProcess(spec(state, p.port)));
  await waitPgBouncerHealthy(state, 15_000);
}
