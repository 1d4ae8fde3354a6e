import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadStackSettings } from "../components/settings/stackFile";
import { acquireLock, putProcess, readState, stateFile, StateError, STATE_VERSION, writeState, type SandboxState } from "./state";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "sandbox-state-"));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function sample(dir: string): SandboxState {
  return {
    version: STATE_VERSION,
    stack: "dev",
    dir,
    complete: true,
    createdAt: new Date(0).toISOString(),
    parts: ["redis"],
    settings: loadStackSettings("dev"),
    secrets: { redisPassword: "r".repeat(48), redisReplication: "q", redisSentinel: "w", redisMonitoring: "e", redisOperator: "y", postgresSuperuser: "s", replication: "x", app: "a", readonly: "o", monitoring: "m", pgbouncerAdmin: "b", pgbouncerStats: "t" },
    redis: { masterName: "datatier", master: "redis-0" },
    postgres: null,
    processes: [{ name: "redis-0", kind: "redis", host: "127.0.0.1", port: 21000, pid: 4242, startTicks: 99, command: "/usr/bin/redis-server", args: ["/x/redis.conf"], user: "root", logFile: "/x/redis-0.log" }],
  };
}

describe("state file", () => {
  it("round-trips through a 0600 file and leaves no temp file behind", () => {
    const dir = tmp();
    const s = sample(dir);
    writeState(s);
    expect(statSync(stateFile(dir)).mode & 0o777).toBe(0o600);
    expect(readState(dir)).toEqual(s);
    expect(readFileSync(stateFile(dir), "utf8")).toContain('"startTicks": 99');
  });

  it("is null for a folder without a sandbox", () => {
    expect(readState(tmp())).toBeNull();
  });

  it("names the file and the bad field when the state is damaged", () => {
    const dir = tmp();
    writeFileSync(stateFile(dir), JSON.stringify({ ...sample(dir), processes: [{ name: "x", pid: "nope" }] }));
    expect(() => readState(dir)).toThrow(StateError);
    expect(() => readState(dir)).toThrow(new RegExp(`${stateFile(dir)}: not a sandbox state file.*processes\\.0`));
    writeFileSync(stateFile(dir), "{not json");
    expect(() => readState(dir)).toThrow(/not valid JSON/);
  });

  it("putProcess replaces a record by name, appends a new one, and saves at once", () => {
    const dir = tmp();
    const s = sample(dir);
    putProcess(s, { ...s.processes[0], pid: 5000 });
    putProcess(s, { ...s.processes[0], name: "redis-1", pid: 5001 });
    expect(s.processes.map((p) => [p.name, p.pid])).toEqual([["redis-0", 5000], ["redis-1", 5001]]);
    expect(readState(dir)!.processes.map((p) => p.pid)).toEqual([5000, 5001]);
  });
});

describe("lock", () => {
  it("refuses a second holder while the first lives, and is free again after release", () => {
    const dir = tmp();
    const release = acquireLock(dir, "up");
    expect(() => acquireLock(dir, "drill")).toThrow(new RegExp(`is busy: process ${process.pid} is running "up"`));
    release();
    // A live holder in another process (our parent) is respected too.
    writeFileSync(join(dir, ".lock"), JSON.stringify({ pid: process.ppid, what: "down" }));
    expect(() => acquireLock(dir, "up")).toThrow(new RegExp(`process ${process.ppid} is running "down"`));
    rmSync(join(dir, ".lock"));
    const again = acquireLock(dir, "down");
    again();
  });

  it("takes over a lock whose holder died", () => {
    const dir = tmp();
    writeFileSync(join(dir, ".lock"), JSON.stringify({ pid: 2 ** 22 + 12345, what: "up" }));
    const release = acquireLock(dir, "up");
    expect(JSON.parse(readFileSync(join(dir, ".lock"), "utf8")).pid).toBe(process.pid);
    release();
  });
});
