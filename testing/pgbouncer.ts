/**
 * A PostgreSQL 15 primary and a PgBouncer from the Debian packages, run as local
 * processes on 127.0.0.1 from the same renderers as the containers: the integration
 * test and the benchmark's fallback (when no sandbox is running) both use it.
 *
 * Both servers refuse to run as root, so they are spawned directly as the `postgres`
 * OS user (its uid/gid) and stopped by their own pid. PgBouncer needs more than 1024
 * open files for 1000 clients: the limit is raised inside its own command.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import type { PgBouncerSettings } from "../components/settings/schema";
import { pgbouncerFileLimit, renderPgBouncerIni, renderUserlist } from "../components/pgbouncer/render";
import { freePort, until } from "./local";
import { PGBOUNCER_BIN } from "../components/pgbouncer/version";
export { freePort, until };

export const PG_BIN = "/usr/lib/postgresql/15/bin";
/** The pinned build the sandbox runs too (components/pgbouncer/version.env). */
export { PGBOUNCER_BIN };


function postgresIds(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", timeout: 5000 }).trim());
  return { uid: id("-u"), gid: id("-g") };
}


export interface LocalPgBouncerOptions {
  settings: PgBouncerSettings;
  /** max_connections of the primary (must exceed the pool; see docs/pgbouncer.md). */
  maxConnections: number;
  database: string;
  /** Application role and its password (SCRAM verifier copied from pg_authid). */
  appUser: { name: string; password: string };
  adminPassword: string;
  statsPassword: string;
  /** Parent of the temp dir. @default os.tmpdir() */
  baseDir?: string;
}

export interface LocalPgBouncer {
  root: string;
  primaryPort: number;
  pgbouncerPort: number;
  /** Unix socket dir of the primary (superuser access without a password, trust on local). */
  socketDir: string;
  iniPath: string;
  logPath: string;
  /** Superuser client over the Unix socket. */
  superuser(database?: string): Promise<Client>;
  stop(): Promise<void>;
}

function child(cmd: string, args: string[], ids: { uid: number; gid: number }, log: string): ChildProcess {
  const p = spawn(cmd, args, { ...ids, stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8" } });
  p.stderr?.on("data", (d) => writeFileSync(log, d, { flag: "a" }));
  return p;
}

async function stopChild(p: ChildProcess, ms = 8000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  p.kill("SIGTERM");
  const hard = setTimeout(() => p.kill("SIGKILL"), ms);
  await exited;
  clearTimeout(hard);
}

/** Starts a primary and a PgBouncer in front of it (read-only pool falls back to the primary). */
export async function startLocalPgBouncer(o: LocalPgBouncerOptions): Promise<LocalPgBouncer> {
  const ids = postgresIds();
  const root = mkdtempSync(join(o.baseDir ?? tmpdir(), "pgbouncer-local-"));
  chownSync(root, ids.uid, ids.gid);
  const dir = (name: string) => {
    const d = join(root, name);
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, ids.uid, ids.gid);
    return d;
  };
  const data = dir("data");
  const socketDir = dir("sock");
  const bouncerDir = dir("pgbouncer");
  const primaryPort = await freePort();
  const pgbouncerPort = await freePort();
  const procs: ChildProcess[] = [];
  const clients: Client[] = [];

  const stop = async () => {
    await Promise.allSettled(clients.map((c) => c.end()));
    for (const p of [...procs].reverse()) await stopChild(p);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    execFileSync(join(PG_BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"], { ...ids, stdio: "pipe", timeout: 60_000 });
    const pgLog = join(root, "postgres.log");
    procs.push(
      child(join(PG_BIN, "postgres"), ["-D", data, "-p", String(primaryPort), "-k", socketDir, "-c", "listen_addresses=127.0.0.1", "-c", `max_connections=${o.maxConnections}`, "-c", "fsync=off"], ids, pgLog),
    );
    const superuser = async (database = "postgres") => {
      const c = new Client({ host: socketDir, port: primaryPort, user: "postgres", database, connectionTimeoutMillis: 3000, query_timeout: 30_000 });
      c.on("error", () => undefined);
      await c.connect();
      clients.push(c);
      return c;
    };
    await until("postgres", async () => {
      const c = await superuser();
      await c.query("select 1");
      return true;
    });

    const su = await superuser();
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    await su.query(`set password_encryption = 'scram-sha-256'`);
    await su.query(`create role ${o.appUser.name} login password ${lit(o.appUser.password)}`);
    await su.query(`create database ${o.database} owner ${o.appUser.name}`);
    const verifier = (await su.query<{ rolpassword: string }>("select rolpassword from pg_authid where rolname = $1", [o.appUser.name])).rows[0].rolpassword;

    const iniPath = join(bouncerDir, "pgbouncer.ini");
    const authFile = join(bouncerDir, "userlist.txt");
    const logPath = join(bouncerDir, "pgbouncer.log");
    writeFileSync(
      authFile,
      renderUserlist([
        { name: o.appUser.name, secret: verifier },
        { name: o.settings.adminUser, secret: o.adminPassword },
        { name: o.settings.statsUser, secret: o.statsPassword },
      ]),
      { mode: 0o600 },
    );
    writeFileSync(
      iniPath,
      renderPgBouncerIni(o.settings, {
        listenAddr: "127.0.0.1",
        listenPort: pgbouncerPort,
        primary: { host: "127.0.0.1", port: primaryPort },
        replicas: [],
        database: o.database,
        authFile,
        logFile: logPath,
      }),
      { mode: 0o600 },
    );
    for (const f of [iniPath, authFile]) chownSync(f, ids.uid, ids.gid);
    const limit = pgbouncerFileLimit(o.settings);
    procs.push(child("/bin/sh", ["-c", `ulimit -n ${limit} && exec ${PGBOUNCER_BIN} "$0"`, iniPath], ids, join(root, "pgbouncer.stderr")));
    await until("pgbouncer", async () => {
      const c = new Client({ host: "127.0.0.1", port: pgbouncerPort, user: o.settings.statsUser, password: o.statsPassword, database: "pgbouncer", connectionTimeoutMillis: 2000 });
      c.on("error", () => undefined);
      try {
        await c.connect();
        await c.query("SHOW VERSION");
        return true;
      } finally {
        await c.end().catch(() => undefined);
      }
    });
    return { root, primaryPort, pgbouncerPort, socketDir, iniPath, logPath, superuser, stop };
  } catch (e) {
    const log = (f: string) => {
      try {
        return readFileSync(f, "utf8").slice(-2000);
      } catch {
        return "";
      }
    };
    const detail = [log(join(root, "postgres.log")), log(join(root, "pgbouncer.stderr")), log(join(bouncerDir, "pgbouncer.log"))].filter(Boolean).join("\n");
    await stop();
    throw new Error(`${(e as Error).message}${detail ? `\n--- server logs ---\n${detail}` : ""}`);
  }
}
