/**
 * The real engines as validators of the files the program renders, where their binaries
 * are present (CI installs them: scripts/install-system-packages.sh):
 * - PostgreSQL 15: `postgres -C <name> -D <empty dir> -c config_file=<file>` loads the
 *   file and runs every parameter's own parsing, range and check hook, reporting every
 *   bad value at once, without a cluster and without starting (~20 ms). Start-time
 *   checks beyond that (ReadControlFile's WAL sizes, shared memory) need `--single` on
 *   an initdb'd cluster: `postgresSingle` (tests; ~3 s for initdb once). The shared memory a
 *   file asks for is PostgreSQL's own figure too (`postgresSharedMemory`: `postgres -C
 *   shared_memory_size` on a cluster initdb'd once per machine and kept in the project's cache).
 * - Redis and Sentinel: redis-server loads the file and either stops with "FATAL CONFIG
 *   FILE ERROR" or reports ready; it is then killed (on a free loopback port, nothing
 *   persisted, everything in a temp folder).
 * - PgBouncer (the pinned build, components/pgbouncer/version.env): loads pgbouncer.ini and either exits with the error or logs "process up",
 *   then is killed.
 * Each returns the engine's error lines; [] means the engine accepted the file.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGBOUNCER_BIN } from "../../components/pgbouncer/version";
import { loopbackPort } from "../../sandbox/ports";

export const PG_BIN = "/usr/lib/postgresql/15/bin";
const REDIS = "/usr/bin/redis-server";
// The pinned build (components/pgbouncer/version.env), the version the sandbox, the dev stack and the AWS image run:
// Debian's 1.18 would refuse parameters the renderer writes for 1.21+ (max_prepared_statements).
const PGBOUNCER = PGBOUNCER_BIN;

const isRoot = () => process.getuid?.() === 0;

/** postgres and pgbouncer refuse root: run them as the postgres OS user then. */
function asServiceUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
}

function serviceIds(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const r = spawnSync("id", ["-u", "postgres"]);
  const g = spawnSync("id", ["-g", "postgres"]);
  if (r.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(r.stdout.toString().trim()), gid: Number(g.stdout.toString().trim()) };
}

/** A temp folder the engine's user may read and write. */
function workDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ids = serviceIds();
  if (ids) chownSync(dir, ids.uid, ids.gid);
  chmodSync(dir, 0o700);
  return dir;
}

function writeOwned(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  const ids = serviceIds();
  if (ids) chownSync(path, ids.uid, ids.gid);
}

export const ENGINES = {
  postgres: () => existsSync(`${PG_BIN}/postgres`) && (!isRoot() || serviceIds() !== undefined),
  redis: () => existsSync(REDIS),
  pgbouncer: () => existsSync(PGBOUNCER) && (!isRoot() || serviceIds() !== undefined),
} as const;

/** Lines of a PostgreSQL log that report a problem (not the "skipping missing postgresql.auto.conf" note). */
function pgProblems(output: string, warnings = false): string[] {
  const level = warnings ? /\b(LOG|FATAL|ERROR|DETAIL|WARNING):/ : /\b(LOG|FATAL|ERROR|DETAIL):/;
  return output
    .split("\n")
    .filter((l) => level.test(l) && !/skipping missing configuration file/.test(l))
    .map((l) => l.replace(/^.*?\b(LOG|FATAL|ERROR|DETAIL|WARNING):\s*/, "$1: "));
}

/** PostgreSQL's own verdict on a postgresql.conf (parsing, ranges, check hooks), without a cluster. */
export function postgresConfCheck(conf: string): string[] {
  const dir = workDir("pg-conf-check-");
  try {
    const file = join(dir, "postgresql.conf");
    writeOwned(file, conf);
    const [cmd, args] = asServiceUser(`${PG_BIN}/postgres`, ["-C", "server_version", "-D", dir, "-c", `config_file=${file}`]);
    const r = spawnSync(cmd, args, { timeout: 10_000 });
    if (r.status === 0) return [];
    const found = pgProblems(`${r.stdout}\n${r.stderr}`);
    return found.length ? found : [`postgres exited ${r.status}: ${String(r.stderr).trim().slice(0, 300)}`];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** initdb of a throw-away cluster (trust, no fsync): never started for anyone but the validators. */
function initdb(dataDir: string): void {
  const [cmd, args] = asServiceUser(`${PG_BIN}/initdb`, ["-D", dataDir, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const r = spawnSync(cmd, args, { timeout: 120_000 });
  if (r.status !== 0) throw new Error(`initdb failed: ${String(r.stderr).slice(0, 300)}`);
}

/** A throw-away cluster for `postgresSingle` (initdb once per process). */
let cluster: string | undefined;
function template(): string {
  if (cluster) return cluster;
  const dir = workDir("pg-single-");
  initdb(join(dir, "data"));
  cluster = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * PostgreSQL's verdict on a postgresql.conf at start: single-user mode on a real cluster
 * (start-time checks included). `warnings`: also the values a preloaded library ignores
 * with a WARNING (an extension's parameters are placeholders until it loads).
 */
export function postgresSingle(conf: string, opts: { warnings?: boolean } = {}): string[] {
  const dir = template();
  const file = join(dir, `check-${process.pid}-${Date.now()}.conf`);
  writeOwned(file, conf);
  try {
    const [cmd, args] = asServiceUser(`${PG_BIN}/postgres`, ["--single", "-D", join(dir, "data"), "-c", `config_file=${file}`, "-c", `hba_file=${join(dir, "data", "pg_hba.conf")}`, "-c", `ident_file=${join(dir, "data", "pg_ident.conf")}`, "postgres"]);
    const r = spawnSync(cmd, args, { input: "", timeout: 30_000 });
    if (r.status === 0) return opts.warnings ? pgProblems(`${r.stdout}\n${r.stderr}`, true).filter((l) => /^WARNING: /.test(l)) : [];
    const found = pgProblems(`${r.stdout}\n${r.stderr}`).filter((l) => !/^LOG: /.test(l) || /invalid|must|requires|unrecognized/.test(l));
    return found.length ? found : [`postgres --single exited ${r.status}: ${String(r.stderr).trim().slice(0, 300)}`];
  } finally {
    rmSync(file, { force: true });
  }
}

/** Where the sizing cluster is kept: beside the packages (gitignored with them), per machine. */
const SIZING_CACHE = join(__dirname, "..", "..", "node_modules", ".cache", "data-tier");
const SIZING_DIR = join(SIZING_CACHE, `pg15-sizing-${process.getuid?.() ?? "user"}`);

/**
 * An initdb'd cluster that is never started: PostgreSQL computes its runtime parameters
 * (shared_memory_size) only against a data directory's control file. Made once per machine
 * (~3 s), in a temp folder renamed into place, so two reviews at once do not share a half-made one.
 */
function sizingCluster(): string {
  const data = join(SIZING_DIR, "data");
  if (existsSync(join(data, "PG_VERSION"))) return data;
  mkdirSync(SIZING_CACHE, { recursive: true });
  const tmp = mkdtempSync(join(SIZING_CACHE, "pg15-sizing-tmp-"));
  const ids = serviceIds();
  if (ids) chownSync(tmp, ids.uid, ids.gid);
  chmodSync(tmp, 0o700);
  try {
    initdb(join(tmp, "data"));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  try {
    renameSync(tmp, SIZING_DIR);
  } catch {
    // Another run put one in place first: use that one.
    rmSync(tmp, { recursive: true, force: true });
  }
  return data;
}

/**
 * PostgreSQL's own figures for the shared memory a postgresql.conf asks for at start:
 * `shared_memory_size` (MB) and `shared_memory_size_in_huge_pages`, from `postgres -C`
 * (~20 ms each once the cluster exists). Throws with the engine's lines when it refuses the file.
 */
export function postgresSharedMemory(conf: string): { mb: number; hugePages: number } {
  const data = sizingCluster();
  const dir = workDir("pg-sizing-");
  try {
    const file = join(dir, "postgresql.conf");
    writeOwned(file, conf);
    const ask = (name: string) => {
      const [cmd, args] = asServiceUser(`${PG_BIN}/postgres`, ["-C", name, "-D", data, "-c", `config_file=${file}`]);
      const r = spawnSync(cmd, args, { timeout: 10_000 });
      const value = Number(String(r.stdout).trim());
      if (r.status !== 0 || !Number.isFinite(value)) throw new Error(pgProblems(`${r.stdout}\n${r.stderr}`).join("; ") || `postgres -C ${name} exited ${r.status}`);
      return value;
    };
    return { mb: ask("shared_memory_size"), hugePages: ask("shared_memory_size_in_huge_pages") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readMeminfo(): string {
  try {
    return readFileSync("/proc/meminfo", "utf8");
  } catch {
    return "";
  }
}

/** This machine's free huge pages (/proc/meminfo HugePages_Free; 0 when the kernel reports none). */
export function freeHugePages(meminfo = readMeminfo()): number {
  return Number(/^HugePages_Free:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
}

/**
 * Runs a server until it says `ready` (accepted: killed) or exits (refused: its output).
 * A refusal is judged on "close", not "exit": a process's exit can be seen before the last
 * of what it wrote is read from its pipes (redis-server writes its FATAL banner and the
 * ">>> 'directive'" line separately), and judging then loses the line that names the key.
 * A descendant that keeps the pipes open is not waited for beyond `drainMs` after the exit.
 */
export function loadThenKill(cmd: string, args: string[], ready: RegExp, timeoutMs = 10_000, drainMs = 2_000): Promise<string[]> {
  return new Promise((resolve) => {
    // Its own process group: runuser's child (the server) is killed with it, and no pipe is left open.
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    let out = "";
    let done = false;
    let drain: NodeJS.Timeout | undefined;
    const finish = (result: string[]) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(drain);
      try {
        if (child.pid) process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
      child.stdout.destroy();
      child.stderr.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish([`${cmd} neither refused the file nor reported ready within ${timeoutMs} ms`]), timeoutMs);
    const read = (b: Buffer) => {
      out += b.toString();
      if (ready.test(out)) finish([]);
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
    let exitCode: number | null = null;
    const refused = () => {
      if (ready.test(out)) return finish([]);
      const lines = out.split("\n").filter((l) => /FATAL|Bad directive|wrong number|error|>>>|invalid|ERROR/i.test(l)).map((l) => l.trim());
      finish(lines.length ? lines : [`exited ${exitCode}: ${out.trim().slice(-300)}`]);
    };
    child.on("exit", (code) => {
      exitCode = code;
      drain = setTimeout(refused, drainMs);
    });
    child.on("close", (code) => {
      exitCode ??= code;
      refused();
    });
  });
}

/** redis-server's verdict on a redis.conf (or sentinel.conf with `sentinel`); the file must name a dir inside `dir`. */
export async function redisConfCheck(render: (dir: string, port: number) => string, opts: { sentinel?: boolean } = {}): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "redis-conf-check-"));
  try {
    const file = join(dir, opts.sentinel ? "sentinel.conf" : "redis.conf");
    writeFileSync(file, render(dir, await loopbackPort()), { mode: 0o600 });
    // Nothing persisted: the check only loads the file (the rendered port is a free loopback one).
    const args = opts.sentinel ? [file, "--sentinel"] : [file, "--save", "", "--appendonly", "no"];
    return await loadThenKill(REDIS, args, opts.sentinel ? /\+monitor master|Sentinel ID is/ : /Ready to accept connections/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** PgBouncer's verdict on a pgbouncer.ini rendered with paths inside `dir`. */
export async function pgbouncerIniCheck(render: (dir: string, port: number) => { ini: string; files?: Record<string, string> }): Promise<string[]> {
  const dir = workDir("pgbouncer-check-");
  try {
    const { ini, files } = render(dir, await loopbackPort());
    for (const [name, text] of Object.entries(files ?? {})) writeOwned(join(dir, name), text);
    const file = join(dir, "pgbouncer.ini");
    writeOwned(file, ini);
    const [cmd, args] = asServiceUser(PGBOUNCER, [file]);
    return await loadThenKill(cmd, args, /process up/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
