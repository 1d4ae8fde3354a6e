/**
 * The rendered postgresql.conf and pg_hba.conf, run for real: a PostgreSQL 15 primary
 * from initdb and a streaming replica from pg_basebackup, as the postgres OS user, on
 * free loopback ports in a fresh temp dir.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import type { Settings } from "../settings/schema";
import { renderPgHba, renderPostgresConf, walSenders } from "./render";
import { freePort } from "../../testing/local";

const BIN = "/usr/lib/postgresql/15/bin";
const PASSWORD = `it${Math.random().toString(36).slice(2)}PW`;
const REPL_PASSWORD = `re${Math.random().toString(36).slice(2)}PW`;
const base = loadStackSettings("dev");
// Values that differ from Postgres' own defaults, so SHOW proves the file was read.
const settings: Settings = {
  ...base,
  postgres: { ...base.postgres, maxConnections: 137, reservedConnections: 7, logMinDurationStatementMs: 1234, parameters: { work_mem: "12MB" } },
};
const user = settings.postgres.masterUsername;

const root = mkdtempSync(join(tmpdir(), "pg-render-it-"));
const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
const started: string[] = [];
const clients: Client[] = [];
let primaryPort = 0;
let replicaPort = 0;


/** Runs a command as the postgres OS user, with a hard timeout. */
function asPostgres(cmd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("runuser", ["-u", "postgres", "--", "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args], { timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

function ownedDir(path: string): string {
  mkdirSync(path, { recursive: true });
  chownSync(path, uid, gid);
  chmodSync(path, 0o700);
  return path;
}

function ownedFile(path: string, content: string): void {
  writeFileSync(path, content, { mode: 0o600 });
  chownSync(path, uid, gid);
}

async function connect(port: number, database = "postgres"): Promise<Client> {
  const c = new Client({ host: "127.0.0.1", port, user, password: PASSWORD, database, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  clients.push(c);
  await c.connect();
  return c;
}

function writeNodeFiles(dataDir: string, role: "primary" | "replica", port: number): void {
  const socketDir = ownedDir(join(root, `${role}-sock`));
  ownedFile(join(dataDir, "postgresql.conf"), renderPostgresConf(settings, { role, port, listenAddresses: "127.0.0.1", socketDir, logDir: ownedDir(join(root, `${role}-log`)) }));
  ownedFile(join(dataDir, "pg_hba.conf"), renderPgHba({ replicationUser: "replicator" }));
}

function start(dataDir: string): void {
  asPostgres(`${BIN}/pg_ctl`, ["start", "-D", dataDir, "-w", "-t", "30", "-l", join(dataDir, "..", `${started.length}-startup.log`)]);
  started.push(dataDir);
}

let primary: Client;
let replica: Client;

beforeAll(async () => {
  ownedDir(root);
  primaryPort = await freePort();
  replicaPort = await freePort();
  const pwfile = join(root, "pwfile");
  ownedFile(pwfile, PASSWORD);
  const primaryData = join(root, "primary");
  asPostgres(`${BIN}/initdb`, ["-D", primaryData, "-U", user, "--auth=scram-sha-256", `--pwfile=${pwfile}`, "--no-sync"]);
  rmSync(pwfile);
  writeNodeFiles(primaryData, "primary", primaryPort);
  start(primaryData);
  primary = await connect(primaryPort);
  await primary.query(`CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${REPL_PASSWORD}'`);

  // The replica authenticates over TCP through the rendered `host replication` line.
  const replicaData = join(root, "replica");
  asPostgres(`${BIN}/pg_basebackup`, ["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "replicator", "-D", replicaData, "-R", "-X", "stream", "-C", "-S", "replica_1", "--no-sync"], { PGPASSWORD: REPL_PASSWORD });
  writeNodeFiles(replicaData, "replica", replicaPort);
  start(replicaData);
  replica = await connect(replicaPort);
}, 90_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
  for (const dataDir of started.reverse()) {
    try {
      asPostgres(`${BIN}/pg_ctl`, ["stop", "-D", dataDir, "-m", "immediate", "-w", "-t", "15"]);
    } catch {
      // Already stopped; the folder is removed below either way.
    }
  }
  rmSync(root, { recursive: true, force: true });
}, 60_000);

async function show(c: Client, name: string): Promise<string> {
  const r = await c.query("SELECT setting, unit FROM pg_settings WHERE name = $1", [name]);
  return String(r.rows[0]?.setting);
}

describe("a primary started from the rendered postgresql.conf", () => {
  it("applies the connection limits from the settings", async () => {
    expect(await show(primary, "max_connections")).toBe("137");
    expect(await show(primary, "superuser_reserved_connections")).toBe("7");
  });

  it("applies logging, preload and postgres.parameters", async () => {
    expect(await show(primary, "log_min_duration_statement")).toBe("1234");
    expect(await show(primary, "shared_preload_libraries")).toBe("pg_stat_statements");
    expect(await show(primary, "pg_stat_statements.track")).toBe("all");
    expect(await show(primary, "log_lock_waits")).toBe("on");
    expect(await show(primary, "track_io_timing")).toBe("on");
    expect(await show(primary, "idle_in_transaction_session_timeout")).toBe("300000");
    expect((await primary.query("SHOW work_mem")).rows[0].work_mem).toBe("12MB");
    expect(await show(primary, "logging_collector")).toBe("on");
  });

  it("is set up for streaming replication on the rendered port", async () => {
    expect(await show(primary, "wal_level")).toBe("replica");
    expect(await show(primary, "max_wal_senders")).toBe(String(walSenders(settings)));
    expect(await show(primary, "port")).toBe(String(primaryPort));
    expect(await show(primary, "password_encryption")).toBe("scram-sha-256");
  });

  it("reports no configuration file errors", async () => {
    const r = await primary.query("SELECT name, error FROM pg_file_settings WHERE error IS NOT NULL");
    expect(r.rows).toEqual([]);
  });

  it("loads pg_stat_statements (CREATE EXTENSION works and records statements)", async () => {
    await primary.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
    await primary.query("SELECT 1 AS render_it_probe");
    const r = await primary.query("SELECT count(*)::int AS n FROM pg_stat_statements WHERE query LIKE '%render_it_probe%'");
    expect(r.rows[0].n).toBeGreaterThan(0);
  });

  it("refuses a wrong password (scram-sha-256 host lines, no trust)", async () => {
    const c = new Client({ host: "127.0.0.1", port: primaryPort, user, password: "wrong", database: "postgres", connectionTimeoutMillis: 3000 });
    await expect(c.connect()).rejects.toThrow(/password authentication failed/);
    await c.end().catch(() => undefined);
  });
});

describe("a replica from pg_basebackup with the rendered files", () => {
  it("is a hot standby streaming from the primary through its slot", async () => {
    expect((await replica.query("SELECT pg_is_in_recovery() AS r")).rows[0].r).toBe(true);
    expect(await show(replica, "hot_standby_feedback")).toBe("on");
    const slots = await primary.query("SELECT slot_name, active FROM pg_replication_slots");
    expect(slots.rows).toEqual([{ slot_name: "replica_1", active: true }]);
  });

  it("receives a write made on the primary", async () => {
    await primary.query("CREATE TABLE IF NOT EXISTS it_probe (v text)");
    const value = `v-${Date.now()}`;
    await primary.query("INSERT INTO it_probe VALUES ($1)", [value]);
    const end = Date.now() + 10_000;
    let seen = false;
    while (!seen && Date.now() < end) {
      seen = (await replica.query("SELECT to_regclass('it_probe') IS NOT NULL AS t")).rows[0].t && (await replica.query("SELECT count(*)::int AS n FROM it_probe WHERE v = $1", [value])).rows[0].n === 1;
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe(true);
    await expect(replica.query("INSERT INTO it_probe VALUES ('x')")).rejects.toThrow(/read-only/);
  });
});
