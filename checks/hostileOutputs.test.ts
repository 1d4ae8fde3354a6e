/**
 * Issue 9, item 4: an outputs document written by an attacker can neither forge the
 * report nor make it leak. Each reproduction of the issue is a case here.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MAX_ENDPOINTS, parseStackOutputs } from "../components/contract/outputs";
import { sampleOutputs } from "../testing/fixtures/outputs";
import { main, type CliIO } from "./cli";
import { redactorForOutputs } from "./redact";
import { formatConsoleReport } from "./report/console";
import { printable } from "./report/escape";
import { formatJsonReport } from "./report/json";
import { formatJunitReport } from "./report/junit";
import { runSuite } from "./suite";
import { deadOutputs, fakeCheck } from "./testing/fakes";

const dir = mkdtempSync(join(tmpdir(), "hostile-outputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIO = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: { PATH: process.env.PATH } };
  return { io: value, out: () => out.join(""), err: () => err.join("") };
}

async function check(doc: unknown, extra: string[] = []) {
  const f = join(dir, `o-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, typeof doc === "string" ? doc : JSON.stringify(doc));
  const t = io();
  const code = await main(["--outputs", f, ...extra], t.io, []);
  return { code, out: t.out(), err: t.err() };
}

const FORGED_HOST = "127.0.0.1\n  \u001b[32mPASS\u001b[0m  postgres.primary-writable  all good";

describe("host names are host names (contract)", () => {
  it.each([
    ["a newline and escape codes (fake PASS lines)", FORGED_HOST],
    ["a URL with a password", "redis://default:Sup3rSecretPassw0rd@cache.internal"],
    ["userinfo without a scheme", "admin:Sup3rSecretPassw0rd@cache.internal"],
    ["a host with a port", "cache.internal:6379"],
    ["a path", "cache.internal/x"],
    ["a space", "cache internal"],
    ["a bidirectional override", "cache\u202einternal"],
    ["an empty string", ""],
    ["a label over 63 characters", `${"a".repeat(64)}.internal`],
  ])("refuses a host with %s, naming the field and never the value", async (_what, host) => {
    const o = sampleOutputs();
    o.redis.readers = [{ host, port: 6379 }];
    const r = await check(o);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/redis\.readers\[0\]\.host: /);
    expect(r.out).toBe("");
    if (host.length > 0) expect(r.err).not.toContain(host);
    expect(r.err).not.toContain("Sup3rSecretPassw0rd");
    expect(r.err).not.toContain("\u001b");
  });

  it.each(["127.0.0.1", "::1", "fd00::10", "my-cache.abc123.ng.0001.use1.cache.amazonaws.com", "datatier_redis-0", "localhost."])("accepts %s", (host) => {
    const o = sampleOutputs();
    o.redis.primary.host = host;
    expect(parseStackOutputs(o, "t").redis.primary.host).toBe(host);
  });

  it("bounds every endpoint list (the issue's 20,000 dead readers)", async () => {
    const o = sampleOutputs();
    o.redis.readers = Array.from({ length: 20_000 }, (_, i) => ({ host: "127.0.0.1", port: 1 + (i % 60000) }));
    const r = await check(o);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/redis\.readers: /);
    const fits = sampleOutputs();
    fits.redis.readers = Array.from({ length: MAX_ENDPOINTS + 1 }, () => ({ host: "127.0.0.1", port: 6379 }));
    expect(() => parseStackOutputs(fits, "t")).toThrow(/redis\.readers: /);
  });

  it("refuses control characters in any string and in field names, before the contract", async () => {
    const o = sampleOutputs() as any;
    o.environment = "dev\u001b[2J";
    o.alarms.alarmNames = ["ok", "bad\r\nPASS"];
    o["evil\u001b[31mkey"] = 1;
    const r = await check(o);
    expect(r.code).toBe(3);
    expect(r.err).toContain("environment: contains a control");
    expect(r.err).toContain("alarms.alarmNames[1]: contains a control");
    expect(r.err).toContain("evil\\x1b[31mkey");
    expect(r.err).not.toContain("\u001b");
  });

  it("refuses hostile Redis user names (sent with AUTH, printed in reports) and an unbounded Sentinel list for the application, naming each field", async () => {
    const o = sampleOutputs();
    o.redis.users = { application: "app", monitoring: "monitor Sup3rSecretPassw0rd", operator: "redis://operator:Sup3rSecretPassw0rd@x" };
    o.application.redis.user = "";
    o.application.redis.sentinels = Array.from({ length: MAX_ENDPOINTS + 1 }, () => ({ host: "127.0.0.1", port: 26379 }));
    const r = await check(o);
    expect(r.code).toBe(3);
    for (const f of ["redis.users.monitoring", "redis.users.operator", "application.redis.user", "application.redis.sentinels"]) expect(r.err).toContain(`${f}: `);
    expect(r.err).not.toContain("Sup3rSecretPassw0rd");
    expect(r.out).toBe("");
  });

  it("refuses a credential too short to be redacted safely, without echoing it", async () => {
    const o = sampleOutputs();
    o.credentials.postgresMonitoringPassword = "the";
    const r = await check(o);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/credentials\.postgresMonitoringPassword: is shorter than 8 characters/);
    expect(r.err).not.toMatch(/\bthe\b.*\bthe\b/);
  });
});

describe("every string printed in a report is escaped", () => {
  it("a check message carrying escape codes and newlines cannot forge lines in console, JSON or JUnit", async () => {
    const outputs = await deadOutputs();
    const forged = fakeCheck("forger", { status: "FAIL", message: `x\n  \u001b[32mPASS\u001b[0m  redis.primary  forged\u009b31m\u202e` });
    const report = await runSuite(outputs, { factories: [() => [forged]], hooks: [] });
    const redact = redactorForOutputs(outputs);
    const consoleText = formatConsoleReport(report, false);
    expect(consoleText).not.toMatch(/\n\s+PASS/);
    expect(consoleText).toContain("x\\x0a  \\x1b[32mPASS\\x1b[0m");
    for (const text of [consoleText, formatJsonReport(report, redact), formatJunitReport(report, redact)]) {
      for (const raw of ["\u001b", "\u009b", "\u202e"]) expect(text).not.toContain(raw);
    }
    // The JSON still carries the exact message for a JSON reader.
    expect(JSON.parse(formatJsonReport(report, redact)).results[0].message).toBe(report.results[0].message);
    expect(report.results[0].message).toContain("\u001b[32mPASS");
  });

  it("a password inside a URL in a message is redacted in every report", async () => {
    const outputs = await deadOutputs();
    const leaky = fakeCheck("leaky", { status: "FAIL", message: "cannot reach redis://default:An0therUnknownPw@10.0.0.9:6379" });
    const report = await runSuite(outputs, { factories: [() => [leaky]], hooks: [] });
    const redact = redactorForOutputs(outputs);
    for (const text of [redact(formatConsoleReport(report, false)), formatJsonReport(report, redact), formatJunitReport(report, redact)]) {
      expect(text).not.toContain("An0therUnknownPw");
      expect(text).toContain("redis://default:[redacted]@10.0.0.9:6379");
    }
  });

  it("printable() shows what it escapes and leaves ordinary text alone", () => {
    expect(printable("plain text: ünïcødé, 127.0.0.1:6379")).toBe("plain text: ünïcødé, 127.0.0.1:6379");
    expect(printable("a\u0000b\u007fc\u2028d")).toBe("a\\x00b\\x7fc\\u2028d");
  });
});

describe("redis.readers is checked (issue 9: never read before)", () => {
  it("a dead reader fails the suite, named with its address", async () => {
    const outputs = await deadOutputs();
    const r = await runSuite(outputs, { only: "redis.readers", hooks: [] });
    expect(r.results.map((x) => [x.id, x.status])).toEqual([["redis.readers", "FAIL"]]);
    expect(r.results[0].message).toContain(`${outputs.redis.readers[0].host}:${outputs.redis.readers[0].port}`);
    expect(r.exitCode).toBe(2);
  });
});
