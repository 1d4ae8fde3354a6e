/**
 * The container entrypoint (image/entrypoint.sh), run for real outside a container: as
 * ECS would, it gets pgbouncer.ini and the userlist in its environment, with client TLS
 * required as in prod. It must write them to private files, make its own certificate,
 * drop the variables before PgBouncer starts, and serve TLS-only clients.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import { IMAGE_CONTEXT } from "./image";
import { freePort, startLocalPgBouncer, until, type LocalPgBouncer } from "../../testing/pgbouncer";
import { HBA_FILE, renderPgBouncerHba, renderPgBouncerIni, renderUserlist } from "./render";
import { PGBOUNCER_BIN, PGBOUNCER_VERSION } from "./version";

/** The app role on the read-write pool only; the read-only pool admits a role that is not it. */
const POOL_USERS = { readWrite: ["app"], readOnly: ["reader_only"] };

const dev = loadStackSettings("dev");
const settings = { ...dev.pgbouncer, tls: { client: "require" as const, server: "disable" as const } };
const APP = { name: "app", password: `ep-${Math.random().toString(36).slice(2)}` };
const STATS = `st-${Math.random().toString(36).slice(2)}`;
let local: LocalPgBouncer;
let dir: string;
let port: number;
let proc: ChildProcess;
const clients: Client[] = [];

function connect(ssl: boolean, user = APP.name, password = APP.password, database = "app"): Promise<Client> {
  const c = new Client({ host: "127.0.0.1", port, user, password, database, ssl: ssl ? { rejectUnauthorized: false } : false, connectionTimeoutMillis: 3000, query_timeout: 5000 });
  c.on("error", () => undefined);
  clients.push(c);
  return c.connect().then(() => c);
}

beforeAll(async () => {
  local = await startLocalPgBouncer({ settings: dev.pgbouncer, maxConnections: 50, database: "app", appUser: APP, adminPassword: "unused-admin", statsPassword: "unused-stats" });
  const su = await local.superuser();
  const verifier = (await su.query("select rolpassword from pg_authid where rolname = $1", [APP.name])).rows[0].rolpassword as string;
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString());
  dir = mkdtempSync(join(tmpdir(), "pgbouncer-entrypoint-"));
  chownSync(dir, uid, gid);
  port = await freePort();
  const conf = join(dir, "conf");
  const ini = renderPgBouncerIni(settings, {
    listenAddr: "127.0.0.1",
    listenPort: port,
    primary: { host: "127.0.0.1", port: local.primaryPort },
    replicas: [],
    database: "app",
    authFile: `${conf}/userlist.txt`,
    poolUsers: POOL_USERS,
    hbaFile: `${conf}/${HBA_FILE}`,
    tls: { clientCertFile: `${conf}/tls.crt`, clientKeyFile: `${conf}/tls.key` },
  });
  const userlist = renderUserlist([
    { name: APP.name, secret: verifier },
    { name: settings.statsUser, secret: STATS },
  ]);
  proc = spawn("/bin/sh", [join(IMAGE_CONTEXT, "entrypoint.sh")], {
    uid,
    gid,
    stdio: "ignore",
    // The pinned build first, as the image has it on its PATH.
    env: { PATH: `${dirname(PGBOUNCER_BIN)}:/usr/sbin:/usr/bin:/bin`, PGBOUNCER_CONFIG_DIR: conf, PGBOUNCER_INI: ini, PGBOUNCER_USERLIST: userlist, PGBOUNCER_HBA: renderPgBouncerHba(settings, "app", POOL_USERS) },
  });
  await until("pgbouncer from the entrypoint", async () => {
    const c = await connect(true, settings.statsUser, STATS, "pgbouncer");
    await c.query("SHOW VERSION");
    return true;
  });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
  if (proc && proc.exitCode === null) {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  }
  await local?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("image entrypoint", () => {
  it("writes the configuration to files only PgBouncer's user can read, with a certificate it made", () => {
    for (const f of ["pgbouncer.ini", "userlist.txt", "tls.key", HBA_FILE]) expect(statSync(join(dir, "conf", f)).mode & 0o077).toBe(0);
    expect(readFileSync(join(dir, "conf", "tls.crt"), "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it("execs PgBouncer as the process itself, without the secrets in its environment", () => {
    const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, "utf8");
    expect(cmdline).toMatch(/pgbouncer\0.*pgbouncer\.ini/);
    const environ = readFileSync(`/proc/${proc.pid}/environ`, "utf8");
    expect(environ).not.toContain("PGBOUNCER_INI");
    expect(environ).not.toContain("PGBOUNCER_USERLIST");
    expect(environ).not.toContain("PGBOUNCER_HBA");
  });

  it("serves clients over TLS and refuses them without it", async () => {
    const c = await connect(true);
    expect((await c.query("select current_database() as db")).rows[0].db).toBe("app");
    await expect(connect(false)).rejects.toThrow(/SSL required|ssl/i);
  });

  it("runs the pinned PgBouncer and ties the role to its pool with the hba file it wrote", async () => {
    const v = await connect(true, settings.statsUser, STATS, "pgbouncer");
    expect(String(Object.values((await v.query("SHOW VERSION")).rows[0])[0])).toContain(`PgBouncer ${PGBOUNCER_VERSION}`);
    await expect(connect(true, APP.name, APP.password, "app_ro")).rejects.toThrow(/no authentication method|not allowed/);
  });
});
