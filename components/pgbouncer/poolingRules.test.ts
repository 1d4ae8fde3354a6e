/**
 * Issue 20: the pooling settings an application depends on are refused at review when
 * wrong (every problem at once, exit 2, the key named), and the hba file ties each role
 * to its pool.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, review } from "../../tools/review/cli";
import { loadStackSettings } from "../settings/stackFile";
import { renderPgBouncerHba, renderPgBouncerIni, type PgBouncerRuntime } from "./render";

const dir = mkdtempSync(join(tmpdir(), "pooling-rules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function reviewFile(name: string, lines: string[]): Promise<{ code: number; out: string }> {
  const file = join(dir, `Pulumi.${name}.yaml`);
  writeFileSync(file, lines.join("\n") + "\n");
  const out: string[] = [];
  const code = await review({ stack: name, file, print: (l) => out.push(l) });
  return { code, out: out.join("\n") };
}

describe("pooling settings at review", () => {
  it("refuses a base image of another PgBouncer and prepared-statement tracking off, both in one run", async () => {
    const { code, out } = await reviewFile("pool", ["config:", "  data-tier:platform: docker", "  data-tier:pgbouncer: {baseImage: 'edoburu/pgbouncer:v1.23.1-p3', maxPreparedStatements: 0}"]);
    expect(code).toBe(EXIT.invalidSettings);
    expect(out).toMatch(/data-tier:pgbouncer\.baseImage.*runs PgBouncer 1\.23; expected 1\.24\.x/);
    expect(out).toMatch(/data-tier:pgbouncer\.maxPreparedStatements.*is 0 under transaction pooling/);
    expect(out).not.toMatch(/at .*\.ts:\d+/);
  });

  it("accepts tracking off in session pooling, where a server connection stays with its client", async () => {
    const { out } = await reviewFile("session", ["config:", "  data-tier:platform: docker", "  data-tier:pgbouncer: {poolMode: session, maxPreparedStatements: 0}"]);
    expect(out).not.toMatch(/maxPreparedStatements/);
  });

  it("refuses a negative or non-integer maxPreparedStatements by shape", async () => {
    const { code, out } = await reviewFile("shape", ["config:", "  data-tier:platform: docker", "  data-tier:pgbouncer: {maxPreparedStatements: -1}"]);
    expect(code).toBe(EXIT.invalidSettings);
    expect(out).toMatch(/data-tier:pgbouncer\.maxPreparedStatements/);
  });
});

const s = loadStackSettings("dev").pgbouncer;
const rt: PgBouncerRuntime = {
  listenAddr: "127.0.0.1",
  listenPort: 6432,
  primary: { host: "10.0.0.1", port: 5432 },
  replicas: [{ host: "10.0.0.2", port: 5432 }],
  database: "app",
  authFile: "/etc/pgbouncer/userlist.txt",
};

describe("roles tied to pools", () => {
  const users = { readWrite: ["app", "mon"], readOnly: ["app_readonly", "mon"] };

  it("the ini checks logins against the hba file and tracks prepared statements", () => {
    const ini = renderPgBouncerIni(s, { ...rt, poolUsers: users, hbaFile: "/etc/pgbouncer/pgbouncer_hba.conf" });
    expect(ini).toMatch(/^auth_type = hba$/m);
    expect(ini).toMatch(/^auth_hba_file = \/etc\/pgbouncer\/pgbouncer_hba\.conf$/m);
    expect(ini).toMatch(new RegExp(`^max_prepared_statements = ${s.maxPreparedStatements}$`, "m"));
    // Without pool users the ini stays as before (the method from the settings).
    expect(renderPgBouncerIni(s, rt)).toMatch(new RegExp(`^auth_type = ${s.authType}$`, "m"));
    expect(() => renderPgBouncerIni(s, { ...rt, poolUsers: users })).toThrow(/no hba file path/);
    expect(() => renderPgBouncerIni(s, { ...rt, poolUsers: users, hbaFile: "/etc/x y" })).toThrow(/auth_hba_file/);
  });

  it("each pool admits only its roles; the console only its users; nothing else matches", () => {
    const hba = renderPgBouncerHba(s, "app", users);
    const rules = hba.split("\n").filter((l) => l && !l.startsWith("#"));
    const admitted = (db: string) => rules.filter((l) => l.split(/\s+/)[1] === db).map((l) => l.split(/\s+/)[2]);
    expect(new Set(admitted("app"))).toEqual(new Set(["app,mon"]));
    expect(new Set(admitted("app_ro"))).toEqual(new Set(["app_readonly,mon"]));
    expect(new Set(admitted("pgbouncer"))).toEqual(new Set([`${s.adminUser},${s.statsUser}`]));
    expect(rules.every((l) => /^(host \S+ \S+ all|local \S+ \S+) (scram-sha-256|md5)$/.test(l))).toBe(true);
    expect(hba).not.toMatch(/\ball\s+all\b|\btrust\b/);
  });

  it("refuses a role name that could widen a rule, and an empty pool", () => {
    expect(() => renderPgBouncerHba(s, "app", { readWrite: ["app,app_readonly"], readOnly: ["x"] })).toThrow(/pool "app" user 0/);
    for (const wide of ["all", "sameuser", "samerole", "replication", "@users.txt", "+group"]) {
      expect(() => renderPgBouncerHba(s, "app", { readWrite: ["app"], readOnly: [wide] })).toThrow(/hba keyword or group\/file form|not allowed/);
    }
    expect(() => renderPgBouncerHba(s, "app", { readWrite: ["a b"], readOnly: ["x"] })).toThrow(/not allowed/);
    expect(() => renderPgBouncerHba(s, "app", { readWrite: [], readOnly: ["x"] })).toThrow(/no role may use pool "app"/);
  });
});
