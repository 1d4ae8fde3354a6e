/**
 * Issue 9, item 8: the sandbox's state cannot be turned against the machine. A forged
 * state file naming a live foreign process (with its real start time) does not get it
 * killed; a damaged state file does not orphan the daemons (`down` finds them by their
 * folders) and its error quotes nothing of the file; the lock records pid and start
 * time; what a daemon writes later is 0600.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadStackSettings } from "../components/settings/stackFile";
import { freePort } from "../testing/local";
import { stopSandbox } from "./lifecycle";
import { isAlive, isOurProcess, parseProcStat, startProcess, stopProcess } from "./procs";
import { REDIS_SERVER_BIN } from "./redis";
import { acquireLock, readState, stateFile, StateError, STATE_VERSION, writeState, type SandboxState } from "./state";

const dirs: string[] = [];
const children: ChildProcess[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "state-hostile-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const startTicksOf = (pid: number) => parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8")).startTicks;

function foreign(): ChildProcess {
  const c = spawn("/bin/sleep", ["60"], { stdio: "ignore", cwd: tmpdir() });
  children.push(c);
  return c;
}

function stateWith(dir: string, processes: SandboxState["processes"]): SandboxState {
  return {
    version: STATE_VERSION,
    stack: "dev",
    dir,
    complete: true,
    createdAt: new Date(0).toISOString(),
    parts: ["redis"],
    settings: loadStackSettings("dev"),
    secrets: { redisPassword: "secret-redis-password-0123456789", redisReplication: "secret-redis-replication-0123456789", redisSentinel: "secret-redis-sentinel-0123456789", redisMonitoring: "secret-redis-monitoring-0123456789", redisOperator: "secret-redis-operator-0123456789", postgresSuperuser: "secret-superuser-password-0123456789", replication: "r".repeat(20), app: "a".repeat(20), readonly: "o".repeat(20), monitoring: "m".repeat(20), pgbouncerAdmin: "b".repeat(20), pgbouncerStats: "t".repeat(20) },
    redis: { masterName: "datatier", master: "redis-0" },
    postgres: null,
    processes,
  };
}

async function ourRedis(dir: string) {
  const d = join(dir, "redis", "redis-0");
  mkdirSync(d, { recursive: true });
  const port = await freePort();
  return startProcess({ name: "redis-0", kind: "redis", host: "127.0.0.1", port, command: REDIS_SERVER_BIN, args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", d, "--save", ""], user: "root", cwd: d, logFile: join(dir, "redis-0.log") });
}

describe("down never signals a process that is not the sandbox's", () => {
  it("a forged record naming a live foreign pid with its real start time leaves it alive", async () => {
    const dir = tmp();
    const victim = foreign();
    await new Promise((r) => victim.once("spawn", r));
    const pid = victim.pid!;
    writeState(stateWith(dir, [{ name: "redis-0", kind: "redis", host: "127.0.0.1", port: 1, pid, startTicks: startTicksOf(pid), command: REDIS_SERVER_BIN, args: [], user: "root", logFile: join(dir, "x.log") }]));
    expect(isOurProcess({ pid, startTicks: startTicksOf(pid) }, dir)).toBe(false);
    const r = await stopSandbox(dir);
    expect(r.results.map((x) => [x.pid, x.outcome])).toEqual([[pid, "not-ours"]]);
    expect(isAlive(pid)).toBe(true);
  });

  it("a real daemon of the sandbox is ours, and stopProcess with the folder stops it", async () => {
    const dir = tmp();
    const p = await ourRedis(dir);
    expect(isOurProcess(p, dir)).toBe(true);
    expect(isOurProcess(p, tmp())).toBe(false);
    expect((await stopProcess(p, 5_000, dir)).outcome).toBe("stopped");
  });
});

describe("a damaged state file", () => {
  it("down still stops the daemons running from the folder (found by cwd and executable), and only those", async () => {
    const dir = tmp();
    const p = await ourRedis(dir);
    const bystander = foreign();
    writeFileSync(stateFile(dir), '{"version": 1, "secrets": {"redisPassword": "secret-redis-password-0123456789"');
    const r = await stopSandbox(dir);
    expect(r.found).toBe(true);
    expect(r.results.map((x) => [x.pid, x.outcome])).toEqual([[p.pid, "stopped"]]);
    expect(isAlive(p.pid, p.startTicks)).toBe(false);
    expect(isAlive(bystander.pid!)).toBe(true);
  });

  it("its parse error quotes nothing of the file (it holds the passwords)", () => {
    const dir = tmp();
    writeFileSync(stateFile(dir), '{"secrets": {"postgresSuperuser": "secret-superuser-password-0123456789" x');
    let message = "";
    try {
      readState(dir);
    } catch (e) {
      expect(e).toBeInstanceOf(StateError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/not valid JSON \(error at character \d+\)/);
    expect(message).not.toMatch(/secret-super|0123456789/);
  });
});

describe("the lock and file modes", () => {
  it("records pid and start time; a lock naming a live pid with another start time is stale", () => {
    const dir = tmp();
    const release = acquireLock(dir, "up");
    const held = JSON.parse(readFileSync(join(dir, ".lock"), "utf8"));
    expect(held).toMatchObject({ pid: process.pid, startTicks: startTicksOf(process.pid), what: "up" });
    release();
    // Our parent is alive, but this is not its start time: a recycled pid, not a holder.
    writeFileSync(join(dir, ".lock"), JSON.stringify({ pid: process.ppid, startTicks: startTicksOf(process.ppid) + 1, what: "up" }));
    acquireLock(dir, "down")();
  });

  it("files a daemon creates later are 0600 (Sentinel's rewrite of sentinel.conf used to be 0644)", async () => {
    const dir = tmp();
    const p = await startProcess({ name: "writer", kind: "redis", host: "127.0.0.1", port: 1, command: "/bin/sh", args: ["-c", "echo secret > rewritten.conf; sleep 5"], user: "root", cwd: dir, logFile: join(dir, "w.log") });
    for (let i = 0; i < 100 && !(() => { try { return statSync(join(dir, "rewritten.conf")).size > 0; } catch { return false; } })(); i++) await new Promise((r) => setTimeout(r, 20));
    expect(statSync(join(dir, "rewritten.conf")).mode & 0o777).toBe(0o600);
    process.kill(p.pid, "SIGKILL");
    // And our own umask is back as it was.
    const old = process.umask(0o022);
    process.umask(old);
    expect(old).not.toBe(0o077);
  });
});
