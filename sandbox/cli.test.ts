import { describe, expect, it } from "vitest";
import { formatStatus, formatStop } from "./cli";
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
