import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAlive, logTail, parseProcStat, startProcess, stopProcess, stopSignal } from "./procs";

const dir = mkdtempSync(join(tmpdir(), "sandbox-procs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseProcStat", () => {
  it("reads state and start time even when the command name holds spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
    fields[0] = "S";
    fields[19] = "123456";
    expect(parseProcStat(`4242 (redis server (x)) ${fields.join(" ")}`)).toEqual({ state: "S", startTicks: 123456 });
  });
});

describe("isAlive", () => {
  it("is true for this process with its own start time and false with another one", () => {
    const own = parseProcStat(readFileSync(`/proc/${process.pid}/stat`, "utf8"));
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(process.pid, own.startTicks)).toBe(true);
    expect(isAlive(process.pid, own.startTicks + 1)).toBe(false);
    expect(isAlive(0)).toBe(false);
  });

  it("treats a zombie (exited, not yet reaped) as dead", async () => {
    // A shell that forks a child which exits at once, then sleeps without reaping it.
    const sh = spawn("/bin/sh", ["-c", "/bin/true & exec sleep 5"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 300));
    const children = readFileSync(`/proc/${sh.pid}/task/${sh.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    expect(children.length).toBe(1);
    expect(parseProcStat(readFileSync(`/proc/${children[0]}/stat`, "utf8")).state).toBe("Z");
    expect(isAlive(children[0])).toBe(false);
    sh.kill("SIGKILL");
  });
});

describe("startProcess / stopProcess", () => {
  it("starts a detached process with its output in the log, and stops it by pid", async () => {
    const log = join(dir, "sleeper.log");
    const rec = await startProcess({ name: "sleeper", kind: "redis", host: "127.0.0.1", port: 1, command: "/bin/sh", args: ["-c", "echo started; exec sleep 30"], user: "root", cwd: dir, logFile: log });
    expect(isAlive(rec.pid, rec.startTicks)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(readFileSync(log, "utf8")).toContain("started");
    const r = await stopProcess(rec);
    expect(r).toMatchObject({ name: "sleeper", pid: rec.pid, outcome: "stopped" });
    expect(isAlive(rec.pid, rec.startTicks)).toBe(false);
    expect(await stopProcess(rec)).toMatchObject({ outcome: "not-running" });
  });

  it("kills a process that ignores the clean signal after the bound", async () => {
    const rec = await startProcess({ name: "stubborn", kind: "redis", host: "127.0.0.1", port: 1, command: "/bin/sh", args: ["-c", "trap '' TERM; echo ready; while :; do sleep 0.1; done"], user: "root", cwd: dir, logFile: join(dir, "stubborn.log") });
    // Signal only once the trap is in place.
    for (let i = 0; i < 50 && !readFileSync(join(dir, "stubborn.log"), "utf8").includes("ready"); i++) await new Promise((r) => setTimeout(r, 20));
    const r = await stopProcess(rec, 300);
    expect(r.outcome).toBe("killed");
    expect(r.ms).toBeGreaterThanOrEqual(300);
  });

  it("stops Postgres with its fast shutdown signal", () => {
    expect(stopSignal("postgres")).toBe("SIGINT");
    expect(stopSignal("pgbouncer")).toBe("SIGTERM");
  });
});

describe("logTail", () => {
  it("shows the end of a file, or of the newest file in a folder", () => {
    const f = join(dir, "a.log");
    writeFileSync(f, `${"x".repeat(3000)}THE END\n`);
    expect(logTail(f)).toMatch(/last lines of .*a\.log ---\nx+THE END$/);
    expect(logTail(f).length).toBeLessThan(1700);
    expect(logTail(join(dir, "missing.log"))).toBe("");
  });
});
