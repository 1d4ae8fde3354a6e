import { describe, expect, it } from "vitest";
import { DERIVED_PARAMETERS, PG_CATALOGUE, allowedParameterNames, checkParameter, needsRestart, pgBool } from "./index";

describe("the postgres.parameters allow list", () => {
  const allowed = allowedParameterNames("docker");

  it("holds tuning parameters and none that load code, name files, run commands or weaken auth", () => {
    expect(allowed).toEqual(expect.arrayContaining(["work_mem", "random_page_cost", "statement_timeout", "autovacuum_naptime", "shared_buffers", "pg_stat_statements.track"]));
    const forbidden = /preload|library|_command$|_file$|^ssl|directory|^krb|^include|password|hba|^port$|^listen|^unix_socket|^fsync$|^wal_level$|^primary_/;
    expect(allowed.filter((n) => forbidden.test(n))).toEqual([]);
    for (const name of Object.keys(DERIVED_PARAMETERS)) expect(allowed).not.toContain(name);
  });

  it("is a strict subset of the PostgreSQL catalogue on docker; aws adds only rds.* names", () => {
    const lower = new Set(Object.keys(PG_CATALOGUE.parameters).map((n) => n.toLowerCase()));
    for (const n of allowed) expect(lower.has(n), n).toBe(true);
    expect(allowedParameterNames("aws").filter((n) => !allowed.includes(n)).every((n) => n.startsWith("rds."))).toBe(true);
    expect(allowed.length).toBeLessThan(Object.keys(PG_CATALOGUE.parameters).length);
  });

  it("normalises names to lower case and values to RDS's spelling", () => {
    expect(checkParameter("Work_Mem", "1GB", "aws")).toEqual({ ok: true, name: "work_mem", value: "1048576", restart: false });
    expect(checkParameter("shared_buffers", "128MB", "aws")).toEqual({ ok: true, name: "shared_buffers", value: "16384", restart: true });
    expect(checkParameter("enable_seqscan", "OFF", "docker")).toMatchObject({ ok: true, value: "0" });
    // Replicas must keep reporting their write position: postgres.streaming judges it.
    expect(checkParameter("wal_receiver_status_interval", "0", "aws")).toEqual({ ok: false, problem: expect.stringMatching(/^0 turns off the replicas' progress reports/) });
    expect(checkParameter("wal_receiver_status_interval", "0s", "docker")).toMatchObject({ ok: false });
    expect(checkParameter("wal_receiver_status_interval", "5s", "aws")).toMatchObject({ ok: true, value: "5" });
    expect(checkParameter("wal_compression", "LZ4", "docker")).toMatchObject({ ok: true, value: "lz4" });
    // Read-only by default: PostgreSQL refuses the program's CREATE ROLE / GRANT ("cannot execute ... in a read-only transaction").
    expect(checkParameter("default_transaction_read_only", "on", "docker")).toEqual({ ok: false, problem: expect.stringMatching(/read-only transaction/) });
    expect(checkParameter("default_transaction_read_only", "off", "aws")).toMatchObject({ ok: true, value: "0" });
  });

  it("booleans by PostgreSQL's parse_bool: every prefix of true/false/yes/no in any case, on, of/off, 1/0; nothing else", () => {
    for (const [word, meaning] of [["true", true], ["yes", true], ["false", false], ["no", false]] as const) {
      for (let n = 1; n <= word.length; n++) {
        expect(pgBool(word.slice(0, n)), word.slice(0, n)).toBe(meaning);
        expect(pgBool(word.slice(0, n).toUpperCase())).toBe(meaning);
      }
    }
    for (const [v, meaning] of [["on", true], ["ON", true], ["of", false], ["off", false], ["1", true], ["0", false]] as const) expect(pgBool(v), v).toBe(meaning);
    for (const v of ["", "o", "onn", "offf", "truee", "yess", "2", "01", "maybe", "enabled"]) expect(pgBool(v), v).toBeUndefined();
    expect(checkParameter("enable_seqscan", "t", "docker")).toMatchObject({ ok: true, value: "1" });
    expect(checkParameter("enable_seqscan", "o", "docker")).toMatchObject({ ok: false });
  });

  it("takes the restart need from the catalogue's postmaster context", () => {
    const postmaster = Object.entries(PG_CATALOGUE.parameters).filter(([, p]) => p.context === "postmaster").map(([n]) => n);
    expect(postmaster.length).toBeGreaterThan(40);
    for (const n of postmaster) expect(needsRestart(n), n).toBe(true);
    expect(needsRestart("work_mem")).toBe(false);
    expect(needsRestart("rds.logical_replication")).toBe(true);
  });
});
