/**
 * The process supervisor: starts daemons detached (so they outlive the CLI that
 * started them) with their output in a log file, records who they are (pid plus the
 * kernel's start time, so a recycled pid is never mistaken for ours), and stops them by
 * pid only. Exited daemons can linger as zombies here for a while: liveness is read
 * from /proc/<pid>/stat, not from `kill -0`.
 */
import { execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { PGBOUNCER_BIN } from "../components/pgbouncer/version";

/** One process the sandbox started. */
export interface ProcessRecord {
  /** Unique name, e.g. "redis-0", "sentinel-1", "postgres-primary", "pgbouncer". */
  name: string;
  kind: "redis" | "sentinel" | "postgres" | "pgbouncer" | "readrouter";
  host: string;
  port: number;
  pid: number;
  /** Field 22 of /proc/<pid>/stat at start: with the pid, identifies this very process. */
  startTicks: number;
  /** What was run, to start it again (arguments hold no secret). */
  command: string;
  args: string[];
  /** OS user it runs as. */
  user: "root" | "postgres";
  /** stdout/stderr of the process. */
  logFile: string;
  /** Further log files worth showing on failure (Redis' logfile, Postgres' log dir). */
  extraLogs?: string[];
}

export interface OsUser {
  uid: number;
  gid: number;
}

let postgresIds: OsUser | undefined;

/** uid/gid of the `postgres` OS user, which Postgres and PgBouncer need (they refuse root). */
export function postgresUser(): OsUser {
  if (postgresIds) return postgresIds;
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", timeout: 5000 }).trim());
    postgresIds = { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error('the "postgres" OS user does not exist: install PostgreSQL 15 (`npm run predemo` or scripts/install-system-packages.sh)');
  }
  return postgresIds;
}

export function userIds(user: ProcessRecord["user"]): OsUser | undefined {
  return user === "postgres" ? postgresUser() : undefined;
}

/** Parses /proc/<pid>/stat: state letter and start time (the comm field may hold spaces). */
export function parseProcStat(text: string): { state: string; startTicks: number } {
  const close = text.lastIndexOf(")");
  if (close < 0) throw new Error("unexpected /proc/<pid>/stat format");
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state); starttime is field 22.
  return { state: fields[0], startTicks: Number(fields[19]) };
}

function readStat(pid: number): { state: string; startTicks: number } | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return null;
  }
}

/** True when this exact process (pid and start time) runs and is not a zombie. */
export function isAlive(pid: number, startTicks?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  const st = readStat(pid);
  if (!st || st.state === "Z" || st.state === "X") return false;
  return startTicks === undefined || st.startTicks === startTicks;
}

export function recordAlive(p: Pick<ProcessRecord, "pid" | "startTicks">): boolean {
  return isAlive(p.pid, p.startTicks);
}

/** The daemons the sandbox runs (their real paths: Debian links redis-server and redis-sentinel to one binary). */
export const DAEMON_BINARIES = ["/usr/bin/redis-server", "/usr/bin/redis-sentinel", "/usr/lib/postgresql/15/bin/postgres", PGBOUNCER_BIN];

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Executable and working directory of a live process (null when it is gone or unreadable). */
export function processIdentity(pid: number): { exe: string; cwd: string } | null {
  try {
    return { exe: readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, ""), cwd: readlinkSync(`/proc/${pid}/cwd`) };
  } catch {
    return null;
  }
}

const inside = (path: string, dir: string) => path === dir || path.startsWith(`${dir.replace(/\/+$/, "")}/`);

/**
 * Whether the recorded process is still the one the sandbox in `dir` started: the same
 * pid and kernel start time, one of the sandbox's daemon executables, and a working
 * directory inside `dir` (every daemon runs in its own folder there). A state file that
 * names a foreign process, even with its real start time, fails the last two.
 */
export function isOurProcess(p: Pick<ProcessRecord, "pid" | "startTicks">, dir: string): boolean {
  if (!recordAlive(p)) return false;
  const id = processIdentity(p.pid);
  if (!id) return false;
  const exes = new Set(DAEMON_BINARIES.map(realOrSelf));
  if (exes.has(realOrSelf(id.exe))) return inside(id.cwd, realOrSelf(dir));
  return isOurNodeProcess(p.pid, id.exe, dir);
}

/**
 * The read router runs on this Node from the project folder; it is ours when its command
 * line names a file inside the sandbox folder (its config), which a foreign node process
 * does not.
 */
function isOurNodeProcess(pid: number, exe: string, dir: string): boolean {
  if (realOrSelf(exe) !== realOrSelf(process.execPath)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    return args.some((a) => a.startsWith("/") && inside(realOrSelf(a), realOrSelf(dir)));
  } catch {
    return false;
  }
}

/** A running daemon found by its working directory (when the state file cannot be trusted). */
export interface FoundProcess {
  pid: number;
  startTicks: number;
  exe: string;
  cwd: string;
}

/**
 * Every live sandbox daemon whose working directory is inside `dir`, from /proc: how
 * `down` finds what a sandbox started when its state file is damaged, so nothing is
 * orphaned. Only processes that pass the same test as isOurProcess.
 */
export function findDaemonsUnder(dir: string): FoundProcess[] {
  const root = realOrSelf(dir);
  const exes = new Set(DAEMON_BINARIES.map(realOrSelf));
  const out: FoundProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const id = processIdentity(pid);
    const st = readStat(pid);
    if (!id || !st || st.state === "Z" || !exes.has(realOrSelf(id.exe)) || !inside(id.cwd, root)) continue;
    out.push({ pid, startTicks: st.startTicks, ...id });
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface StartSpec {
  name: string;
  kind: ProcessRecord["kind"];
  host: string;
  port: number;
  command: string;
  args: string[];
  user: ProcessRecord["user"];
  cwd: string;
  logFile: string;
  extraLogs?: string[];
  env?: Record<string, string>;
}

/** Starts a daemon detached, output appended to its log file; returns its record. */
export async function startProcess(spec: StartSpec): Promise<ProcessRecord> {
  const fd = openSync(spec.logFile, "a", 0o600);
  try {
    const ids = userIds(spec.user);
    // The child inherits umask 077: whatever a server rewrites later (Sentinel's sentinel.conf,
    // CONFIG REWRITE's redis.conf, both holding passwords) is created 0600, not 0644.
    const umask = process.umask(0o077);
    let child;
    try {
      child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      detached: true,
      stdio: ["ignore", fd, fd],
      ...(ids ?? {}),
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", HOME: spec.cwd, ...spec.env },
      });
    } finally {
      process.umask(umask);
    }
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", (e) => reject(new Error(`${spec.name}: cannot start ${spec.command}: ${e.message}`)));
      child.once("spawn", () => resolve(child.pid as number));
    });
    // Node reaps it if it exits while we live; after that it belongs to init.
    child.unref();
    let st = readStat(pid);
    for (let i = 0; !st && i < 20; i++) {
      await sleep(5);
      st = readStat(pid);
    }
    if (!st) throw new Error(`${spec.name} (${spec.command}) exited at once${logTail(spec.logFile)}`);
    return { name: spec.name, kind: spec.kind, host: spec.host, port: spec.port, pid, startTicks: st.startTicks, command: spec.command, args: spec.args, user: spec.user, logFile: spec.logFile, extraLogs: spec.extraLogs };
  } finally {
    closeSync(fd);
  }
}

/** The signal that stops a kind cleanly and promptly. */
export function stopSignal(kind: ProcessRecord["kind"]): NodeJS.Signals {
  // Postgres' SIGTERM is a "smart" shutdown that waits for every session to end, and
  // PgBouncer holds server connections for minutes: SIGINT is its fast shutdown.
  return kind === "postgres" ? "SIGINT" : "SIGTERM";
}

export interface StopResult {
  name: string;
  pid: number;
  /** "stopped" by the clean signal, "killed" after the bound, "not-running" when it was already gone, "not-ours" when the pid is not the sandbox's process (left alone). */
  outcome: "stopped" | "killed" | "not-running" | "not-ours";
  ms: number;
}

/**
 * Stops one recorded process by pid: clean signal, then SIGKILL after `graceMs`. With
 * `dir`, only when isOurProcess(p, dir): a pid that now belongs to someone else (or that
 * a forged state file names) is reported "not-ours" and never signalled.
 */
export async function stopProcess(p: Pick<ProcessRecord, "name" | "pid" | "startTicks" | "kind">, graceMs = 10_000, dir?: string): Promise<StopResult> {
  const t0 = performance.now();
  const done = (outcome: StopResult["outcome"]): StopResult => ({ name: p.name, pid: p.pid, outcome, ms: Math.round(performance.now() - t0) });
  if (!recordAlive(p)) return done("not-running");
  if (dir !== undefined && !isOurProcess(p, dir)) return done("not-ours");
  try {
    process.kill(p.pid, stopSignal(p.kind));
  } catch {
    return done("not-running");
  }
  const end = Date.now() + graceMs;
  while (Date.now() < end) {
    if (!recordAlive(p)) return done("stopped");
    await sleep(25);
  }
  try {
    process.kill(p.pid, "SIGKILL");
  } catch {
    /* exited between the check and the kill */
  }
  const hardEnd = Date.now() + 5000;
  while (Date.now() < hardEnd && recordAlive(p)) await sleep(25);
  if (recordAlive(p)) throw new Error(`${p.name} (pid ${p.pid}) survived SIGKILL for 5 s`);
  return done("killed");
}

/** kill -9, for drills; waits until the process is gone (or a zombie). */
export async function killHard(p: ProcessRecord, ms = 5000): Promise<void> {
  if (!recordAlive(p)) return;
  process.kill(p.pid, "SIGKILL");
  const end = Date.now() + ms;
  while (Date.now() < end && recordAlive(p)) await sleep(10);
}

/** Whether something accepts TCP connections on host:port within `ms`. */
export function portAnswers(host: string, port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const finish = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => finish(false));
    s.once("connect", () => finish(true));
    s.once("error", () => finish(false));
  });
}

/** The last lines of a log file (or of the newest file in a log folder), for error messages. */
export function logTail(path: string, chars = 1500): string {
  try {
    let file = path;
    if (existsSync(path) && statSync(path).isDirectory()) {
      const newest = readdirSync(path)
        .map((f) => join(path, f))
        .filter((f) => statSync(f).isFile())
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
      if (!newest) return "";
      file = newest;
    }
    const text = readFileSync(file, "utf8").trimEnd();
    if (!text) return "";
    return `\n--- last lines of ${file} ---\n${text.slice(-chars)}`;
  } catch {
    return "";
  }
}

/** Tails of every log of a process. */
export function processLogs(p: Pick<ProcessRecord, "logFile" | "extraLogs">): string {
  return [p.logFile, ...(p.extraLogs ?? [])].map((f) => logTail(f)).join("");
}

/**
 * Logs of the processes a failed wait is about: those that exited and those its problems
 * name (e.g. "redis-2 is not a linked replica"), not merely the first of the part; the
 * first one only when nothing points anywhere.
 */
export function failingLogs(ps: ProcessRecord[], problems: string[]): string {
  const named = (p: ProcessRecord) => problems.some((line) => new RegExp(`(^|[^\\w-])${p.name.replace(/[-]/g, "\\-")}([^\\w-]|$)`).test(line));
  const chosen = ps.filter((p) => !recordAlive(p) || named(p));
  return (chosen.length ? chosen : ps.slice(0, 1)).map((p) => `\n${p.name}${recordAlive(p) ? "" : " (exited)"}:${processLogs(p)}`).join("");
}

/** Polls `probe` until it returns a truthy value or `ms` passes; the error names `what` and the last failure. */
export async function waitFor<T>(what: string, probe: () => Promise<T | false | null | undefined>, ms: number, everyMs = 100): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= end) break;
    await sleep(everyMs);
  }
  const why = last instanceof Error ? `: ${last.message}` : last !== undefined ? `: ${String(last)}` : "";
  throw new Error(`timed out after ${ms} ms waiting for ${what}${why}`);
}

export { sleep };
