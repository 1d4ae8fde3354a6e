import { describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatStatus, formatStop, main } from "./cli";
import { statusProblems } from "./statusProblems";
import type { ProcessStatus, SandboxStatus } from "./lifecycle";

const proc = (name: string, kind: ProcessStatus["kind"], port: number, up: boolean): ProcessStatus => ({ name, kind, pid: 4242 + port, host: "127.0.0.1", port, alive: up, answering: up, role: up ? "primary" : "down" });

describe("sandbox status after down", () => {
  const status = (problems: string[]): SandboxStatus => ({
    dir: "/x/.sandbox/dev",
    found: true,
    healthy: false,
    processes: [proc("postgres-primary", "postgres", 5432, false), proc("pgbouncer", "pgbouncer", 6432, false)],
    problems,
    outputsFile: null,
  });

  it("every DOWN row has a problem line, PgBouncer included", () => {
    const out = formatStatus(status(["postgres-primary (pid 9674) is not running"]));
    expect(out).toContain("DOWN  pgbouncer");
    expect(out).toContain("  - pgbouncer (pid 10674) is not running");
    // Not named twice when the topology checks already named it.
    expect(out.match(/postgres-primary \(pid/g)).toHaveLength(1);
  });

  it("a process alive but not answering says so, with its address", () => {
    const s = status([]);
    s.processes = [{ ...proc("pgbouncer", "pgbouncer", 6432, false), alive: true }];
    expect(formatStatus(s)).toContain("  - pgbouncer (pid 10674) is not answering on 127.0.0.1:6432");
  });

  it("down and status use the same words: not running, never not-running", () => {
    const out = formatStop({ dir: "/x", found: true, purged: false, ms: 10, results: [{ name: "pgbouncer", pid: 1, outcome: "not-running", ms: 0 }] });
    expect(out).toContain("pgbouncer");
    expect(out).toContain(" not running (0 ms)");
    expect(out).not.toContain("not-running");
  });
});

describe("status problem lines (statusProblems)", () => {
  const p = (name: string, pid: number, alive: boolean, answering = alive) => ({ name, pid, host: "127.0.0.1", port: pid + 1000, alive, answering });

  it("after down: one line per process, not running, instead of each probe's connection error", () => {
    const processes = [p("redis-0", 1, false), p("redis-1", 2, false), p("sentinel-0", 3, false), p("postgres-primary", 4, false), p("pgbouncer", 5, false), p("readrouter", 6, false)];
    const probes = [
      "redis-0 (pid 1) is not running",
      "redis-0 (127.0.0.1:1001) does not answer: cannot connect to Redis at 127.0.0.1:1001: connection refused (nothing listening)",
      "redis-1 (127.0.0.1:1002) does not answer: cannot connect to Redis at 127.0.0.1:1002: connection refused (nothing listening)",
      "sentinel-0 (127.0.0.1:1003) does not answer: cannot connect to Redis at 127.0.0.1:1003: connection refused (nothing listening)",
      "postgres-primary (127.0.0.1:1004) does not answer: connect ECONNREFUSED 127.0.0.1:1004",
      "the read router (pid 6) is not running",
    ];
    expect(statusProblems(processes, probes)).toEqual([...processes.slice(0, -1).map((x) => `${x.name} (pid ${x.pid}) is not running`), "the read router (pid 6) is not running"]);
  });

  it("keeps the lines about processes that run, and names a silent one once", () => {
    const processes = [p("redis-1", 2, false), p("redis-10", 3, true), p("redis-0", 1, true), p("pgbouncer", 5, true, false)];
    const probes = ["redis-0 has 1/2 replicas online", "redis-10 is not a linked replica (role slave, link down)", "redis-1 (127.0.0.1:1002) does not answer: refused"];
    expect(statusProblems(processes, probes)).toEqual([
      "redis-1 (pid 2) is not running",
      "redis-0 has 1/2 replicas online",
      "redis-10 is not a linked replica (role slave, link down)",
      "pgbouncer (pid 5) is not answering on 127.0.0.1:1005",
    ]);
  });

  it("is idempotent (the CLI applies it to what sandboxStatus already did)", () => {
    const processes = [p("redis-1", 2, false), p("pgbouncer", 5, true, false)];
    const once = statusProblems(processes, ["redis-1 (127.0.0.1:1002) does not answer: x", "redis-0 has 1/2 replicas online"]);
    expect(statusProblems(processes, once)).toEqual(once);
  });
});

describe("sandbox command line: bad input is exit 2, with the key or file, before anything is created", () => {
  const run = async (argv: string[]) => {
    let out = "";
    let err = "";
    const code = await main(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
    return { code, out, err };
  };

  it.each([
    ["a stack name that leaves the project folder", ["up", "--stack", "../x"], /stack name "\.\.\/x" is not valid/],
    ["a stack without a stack file", ["up", "--stack", "nosuch"], /Pulumi\.nosuch\.yaml: no such stack file/],
    ["an unknown drill", ["drill", "nosuch"], /unknown drill "nosuch"/],
  ])("%s", async (_name, argv, message) => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-cli-"));
    const target = join(dir, "sb");
    try {
      const r = await run([...argv, "--dir", target]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(existsSync(target)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
