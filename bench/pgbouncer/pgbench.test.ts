import { describe, expect, it } from "vitest";
import { assertLoopback, parsePgbenchOutput, peakProblems, pgbenchArgs, poolCeiling, selectOnlyScript } from "./pgbench";
import { connectOnlyNote, formatReport, type BenchReport } from "./run";

// pgbench 15.18's report, as printed on this machine (numbers from a 15 s run).
const REPORT = `pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: /tmp/bench-pgbouncer-x/select-only.sql
scaling factor: 10
query mode: simple
number of clients: 50
number of threads: 2
maximum number of tries: 1
duration: 15 s
number of transactions actually processed: 163335
number of failed transactions: 0 (0.000%)
latency average = 4.589 ms
latency stddev = 2.101 ms
initial connection time = 510.392 ms
tps = 10889.117473 (without initial connection time)
`;

describe("pgbench plumbing", () => {
  it("selects one account by random aid over the whole scale, schema-qualified", () => {
    expect(selectOnlyScript(10)).toBe("\\set aid random(1, 1000000)\nSELECT abalance FROM pgbench_bench.pgbench_accounts WHERE aid = :aid;\n");
    expect(() => selectOnlyScript(0)).toThrow(/scale is 0/);
  });

  it("runs the simple protocol for a bounded time without vacuum, never more threads than clients", () => {
    const args = pgbenchArgs({ host: "127.0.0.1", port: 16432, user: "app", database: "app", clients: 1, jobs: 2, durationSeconds: 15, scriptFile: "/tmp/s.sql", scale: 10 });
    expect(args.join(" ")).toBe("-h 127.0.0.1 -p 16432 -U app -M simple -n -c 1 -j 1 -T 15 -P 5 -s 10 -f /tmp/s.sql app");
    expect(args).not.toContain("prepared");
  });

  it("reads tps, latency, connection time and failures from pgbench's report", () => {
    expect(parsePgbenchOutput(REPORT)).toEqual({ tps: 10889.117473, latencyAvgMs: 4.589, latencyStddevMs: 2.101, initialConnectionMs: 510.392, transactions: 163335, failed: 0 });
  });

  it("names what is missing when pgbench printed no result (e.g. no transaction finished)", () => {
    const empty = REPORT.split("\n").filter((l) => !/^(tps|latency)/.test(l)).join("\n");
    expect(() => parsePgbenchOutput(empty)).toThrow(/printed no tps/);
  });

  it("a run that only connected (pgbench prints no tps when no transaction finished) is a figure, not a broken report", () => {
    // pgbench 15's printResults returns right after the count when it is 0.
    const connecting = REPORT.replace("number of clients: 50", "number of clients: 1000").replace(/^number of transactions actually processed: \d+$[^]*/m, "number of transactions actually processed: 0\n");
    expect(parsePgbenchOutput(connecting)).toEqual({ tps: 0, latencyAvgMs: Number.NaN, transactions: 0, failed: 0 });
    const run = { label: "through PgBouncer, 1000 clients", via: "pgbouncer" as const, clients: 1000, ...parsePgbenchOutput(connecting), peakServerConnections: 42, peakPoolServerConnections: undefined, peakWaitingClients: undefined, processSeconds: 15.7 };
    const note = connectOnlyNote(run, 15);
    expect(note).toBe("through PgBouncer, 1000 clients: no transaction finished in the 15 s run: connecting the 1000 clients took all of it (pgbench ran 15.7 s; at most 42 server connections were open meanwhile). tps not measured: the machine is too loaded for this many clients; rerun with a longer --duration <seconds>");
    const report: BenchReport = { source: "test", config: { poolMode: "transaction", maxClientConn: 1000, defaultPoolSize: 100, reservePoolSize: 5 }, ceiling: 105, runs: [run], problems: [], notes: [note], wallSeconds: 20 };
    const text = formatReport(report);
    expect(text).toMatch(/through PgBouncer, 1000 clients\s+-\s+-\s+-/);
    expect(text).not.toContain("NaN");
    expect(text).toContain(`note: ${note}`);
    expect(text).toMatch(/PASS: PgBouncer never held more than 105/);
  });

  it("fails a run whose server connections exceed default_pool_size + reserve_pool_size, or that was not sampled", () => {
    expect(poolCeiling(100, 5)).toBe(105);
    expect(peakProblems("x", 105, 105)).toEqual([]);
    expect(peakProblems("x", 106, 105)).toEqual(["x: 106 server connections observed, above default_pool_size + reserve_pool_size = 105"]);
    expect(peakProblems("x", undefined, 105)[0]).toMatch(/no server-connection sample/);
  });

  it("refuses any host but loopback", () => {
    expect(() => assertLoopback("pgbouncer.endpoint.host", "10.0.0.5")).toThrow(/loopback only/);
    expect(() => assertLoopback("h", "127.0.0.1")).not.toThrow();
  });

  it("prints PASS or the problems, and never a password", () => {
    const report: BenchReport = {
      source: "test",
      config: { poolMode: "transaction", maxClientConn: 1000, defaultPoolSize: 100, reservePoolSize: 5 },
      ceiling: 105,
      runs: [{ label: "through PgBouncer, 50 clients", via: "pgbouncer", clients: 50, ...parsePgbenchOutput(REPORT), peakServerConnections: 50, peakPoolServerConnections: 50, peakWaitingClients: 3 }],
      problems: [],
      wallSeconds: 20,
    };
    expect(formatReport(report)).toMatch(/through PgBouncer, 50 clients\s+10889\s+4\.59\s+2\.10\s+510\s+50\s+50\s+3/);
    expect(formatReport(report)).toMatch(/PASS: PgBouncer never held more than 105 server connections/);
    expect(formatReport({ ...report, problems: ["boom"] })).toMatch(/FAIL:\n {2}- boom/);
  });
});
