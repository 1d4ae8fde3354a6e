import { describe, expect, it } from "vitest";
import type { Settings } from "../settings/schema";
import { loadStackSettings } from "../settings/stackFile";
import { postgresParameters, quoteConfValue, rdsForcesTls, rdsParameters, renderPgHba, renderPostgresConf, walSenders, type PostgresRuntime } from "./render";

const dev = loadStackSettings("dev");
const prod = loadStackSettings("prod");
const rt: PostgresRuntime = { role: "primary", port: 15432, listenAddresses: "127.0.0.1", socketDir: "/tmp/pg-sock" };

const withParams = (s: Settings, parameters: Record<string, string>, over: Partial<Settings["postgres"]> = {}): Settings => ({ ...s, postgres: { ...s.postgres, ...over, parameters } });

/** name -> value of a rendered postgresql.conf (last assignment wins, as in Postgres). */
function parseConf(conf: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of conf.split("\n")) {
    const m = /^([a-z_.]+) = '((?:[^']|'')*)'$/.exec(line);
    if (m) out[m[1]] = m[2].replace(/''/g, "'").replace(/\\\\/g, "\\");
    else if (line.trim() && !line.startsWith("#")) throw new Error(`unparsed line: ${line}`);
  }
  return out;
}

describe("postgresParameters", () => {
  it("derives connection limits and logging from the settings", () => {
    const p = postgresParameters(prod);
    expect(p.max_connections).toBe(String(prod.postgres.maxConnections));
    expect(p.superuser_reserved_connections).toBe(String(prod.postgres.reservedConnections));
    expect(p.log_min_duration_statement).toBe(String(prod.postgres.logMinDurationStatementMs));
    expect(p.shared_preload_libraries).toBe("pg_stat_statements");
    expect(p["pg_stat_statements.track"]).toBe("all");
    expect(p.log_lock_waits).toBe("1");
    expect(p.track_io_timing).toBe("1");
    expect(Number(p.idle_in_transaction_session_timeout)).toBeGreaterThan(0);
  });

  it("differs between stacks where the settings differ", () => {
    expect(postgresParameters(dev).max_connections).not.toBe(postgresParameters(prod).max_connections);
  });

  it("adds the allowed postgres.parameters, normalised to the spelling RDS takes", () => {
    const p = postgresParameters(withParams(dev, { WORK_MEM: "64MB", jit: "off", statement_timeout: "30s" }));
    expect(p.work_mem).toBe("65536");
    expect(p.jit).toBe("0");
    expect(p.statement_timeout).toBe("30000");
    expect(p.WORK_MEM).toBeUndefined();
  });

  it("refuses parameters derived from settings or owned by the realization, naming the setting", () => {
    expect(() => postgresParameters(withParams(dev, { port: "6000" }))).toThrow(/postgres\.parameters\.port: set postgres\.port instead/);
    expect(() => postgresParameters(withParams(dev, { max_connections: "500" }))).toThrow(/set postgres\.maxConnections instead/);
    expect(() => postgresParameters(withParams(dev, { log_min_duration_statement: "42" }))).toThrow(/set postgres\.logMinDurationStatementMs instead/);
    expect(() => postgresParameters(withParams(dev, { wal_level: "logical" }))).toThrow(/postgres\.parameters\.wal_level: is set by the realization/);
  });

  it("refuses bad names and multi-line values without echoing the value", () => {
    expect(() => postgresParameters(withParams(dev, { "bad name": "1" }))).toThrow(/not a parameter name/);
    let msg = "";
    try {
      postgresParameters(withParams(dev, { work_mem: "4MB\nshared_preload_libraries = 'evil'" }));
    } catch (e) {
      msg = String(e);
    }
    expect(msg).toMatch(/postgres\.parameters\.work_mem.*control character/);
    expect(msg).not.toContain("evil");
  });
});

describe("rdsParameters", () => {
  const params = rdsParameters(prod);
  const byName = Object.fromEntries(params.map((x) => [x.name, x]));

  it("adds rds.force_ssl=1 and carries every common parameter", () => {
    expect(byName["rds.force_ssl"]).toEqual({ name: "rds.force_ssl", value: "1", applyMethod: "immediate" });
    for (const [name, value] of Object.entries(postgresParameters(prod))) expect(byName[name]?.value).toBe(value);
    expect(rdsForcesTls(prod)).toBe(true);
  });

  it("applies static parameters at the next reboot and dynamic ones immediately", () => {
    for (const name of ["max_connections", "superuser_reserved_connections", "shared_preload_libraries", "pg_stat_statements.max"]) {
      expect(byName[name].applyMethod).toBe("pending-reboot");
    }
    for (const name of ["log_min_duration_statement", "log_lock_waits", "track_io_timing", "idle_in_transaction_session_timeout"]) {
      expect(byName[name].applyMethod).toBe("immediate");
    }
  });

  it("is sorted by name, each name once (stable diffs)", () => {
    const names = params.map((x) => x.name);
    expect(names).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it("cannot turn TLS off: rds.force_ssl is derived", () => {
    expect(() => rdsParameters(withParams(prod, { "rds.force_ssl": "0" }))).toThrow(/rds\.force_ssl: is derived/);
  });

  it("sends every postmaster-context parameter of the catalogue pending-reboot, including user-given ones", () => {
    const p = rdsParameters(withParams(prod, { shared_buffers: "4GB", huge_pages: "try", work_mem: "8MB" }));
    const by = Object.fromEntries(p.map((x) => [x.name, x]));
    expect(by.shared_buffers).toEqual({ name: "shared_buffers", value: String((4 * 1024 * 1024) / 8), applyMethod: "pending-reboot" });
    expect(by.huge_pages.applyMethod).toBe("pending-reboot");
    expect(by.work_mem.applyMethod).toBe("immediate");
  });
});

describe("renderPostgresConf", () => {
  const conf = parseConf(renderPostgresConf(dev, rt));

  it("holds the shared parameters, replication and where the node listens", () => {
    for (const [name, value] of Object.entries(postgresParameters(dev))) expect(conf[name]).toBe(value);
    expect(conf.wal_level).toBe("replica");
    expect(conf.hot_standby).toBe("on");
    expect(conf.hot_standby_feedback).toBe("on");
    expect(Number(conf.max_wal_senders)).toBe(walSenders(dev));
    expect(Number(conf.max_replication_slots)).toBeGreaterThan(dev.postgres.replicas);
    expect(conf.port).toBe("15432");
    expect(conf.listen_addresses).toBe("127.0.0.1");
    expect(conf.unix_socket_directories).toBe("/tmp/pg-sock");
    expect(conf.logging_collector).toBe("on");
    expect(conf.log_directory).toBe("log");
  });

  it("grows WAL senders with the replica count", () => {
    const many = { ...dev, postgres: { ...dev.postgres, replicas: 8 } };
    expect(Number(parseConf(renderPostgresConf(many, rt)).max_wal_senders)).toBeGreaterThan(8);
  });

  it("quotes values so quotes and backslashes cannot end the string", () => {
    expect(quoteConfValue("x", "it's")).toBe("'it''s'");
    expect(quoteConfValue("x", "a\\b")).toBe("'a\\\\b'");
    const c = parseConf(renderPostgresConf(withParams(dev, { application_name: "o'brien \\ co" }), rt));
    expect(c.application_name).toBe("o'brien \\ co");
  });

  it("refuses newline injection through runtime values and bad ports", () => {
    expect(() => renderPostgresConf(dev, { ...rt, socketDir: "/tmp\nfsync = off" })).toThrow(/unix_socket_directories.*control character/);
    expect(() => renderPostgresConf(dev, { ...rt, port: 70000 })).toThrow(/port.*1 to 65535/);
    expect(() => renderPostgresConf(dev, { ...rt, listenAddresses: " " })).toThrow(/listen_addresses/);
  });

  it("cluster_name (what a replica's WAL receiver is named on the primary) only when given, and only plain names", () => {
    expect(parseConf(renderPostgresConf(dev, rt)).cluster_name).toBeUndefined();
    expect(parseConf(renderPostgresConf(dev, { ...rt, clusterName: "postgres-replica-1" })).cluster_name).toBe("postgres-replica-1");
    expect(() => renderPostgresConf(dev, { ...rt, clusterName: "a b" })).toThrow(/"cluster_name" is "a b"; expected 1-63 letters/);
    expect(() => renderPostgresConf(dev, { ...rt, clusterName: "x".repeat(64) })).toThrow(/cluster_name/);
  });
});

describe("renderPgHba", () => {
  const rows = (hba: string) => hba.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.split(/\s+/));

  it("demands scram-sha-256 everywhere and admits replication only for the replication role", () => {
    const r = rows(renderPgHba({ replicationUser: "replicator" }));
    expect(r.every((x) => x[x.length - 1] === "scram-sha-256")).toBe(true);
    const repl = r.filter((x) => x[1] === "replication");
    expect(repl.map((x) => x[2])).toEqual(["replicator", "replicator"]);
    expect(r.filter((x) => x[0] === "host").map((x) => x[3])).toEqual(["127.0.0.1/32", "::1/128", "127.0.0.1/32", "::1/128"]);
  });

  it("uses the given network instead of loopback", () => {
    const r = rows(renderPgHba({ replicationUser: "replicator", localCidr: "samenet" }));
    expect(r.filter((x) => x[0] === "host").every((x) => x[3] === "samenet")).toBe(true);
  });

  it("refuses a bad role or address", () => {
    expect(() => renderPgHba({ replicationUser: "repl\nhost all all 0.0.0.0/0 trust" })).toThrow(/replicationUser/);
    expect(() => renderPgHba({ replicationUser: "replicator", localCidr: "0.0.0.0/0 trust" })).toThrow(/localCidr/);
  });
});
