import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { secretValues } from "../components/contract/outputs";
import { sampleOutputs } from "../testing/fixtures/outputs";
import type { PostRunHook } from "./hooks";
import { redactorFor, REDACTED } from "./redact";
import { cacheChecks } from "./cache";
import { formatConsoleReport } from "./report/console";
import { formatJsonReport } from "./report/json";
import { formatJunitReport } from "./report/junit";
import { EXIT, exitCodeFor, overallStatus, runChecks } from "./runner";
import { runSuite } from "./suite";
import { fakeCheck } from "./testing/fakes";
import type { Check, CheckFactory } from "./types";

const outputs = sampleOutputs();
const PASSWORD = outputs.credentials.postgresMonitoringPassword;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("status aggregation and exit codes", () => {
  it.each([
    [["PASS", "SKIP"], "healthy", 0, 0],
    [["PASS", "WARN", "SKIP"], "degraded", 1, 2],
    [["WARN", "FAIL"], "unhealthy", 2, 2],
    [[], "healthy", 0, 0],
  ] as const)("%j -> %s, exit %i (fail-on warn: %i)", (statuses, overall, code, strict) => {
    expect(overallStatus([...statuses])).toBe(overall);
    expect(exitCodeFor(overall)).toBe(code);
    expect(exitCodeFor(overall, "warn")).toBe(strict);
  });

  it("documents 3 for usage and 4 for internal errors", () => {
    expect(EXIT).toEqual({ healthy: 0, degraded: 1, unhealthy: 2, usage: 3, internal: 4 });
  });
});

describe("runChecks", () => {
  it("runs checks concurrently and records each duration, the wall time and the sum", async () => {
    const checks = [1, 2, 3, 4].map((i) => fakeCheck(`c${i}`, async () => (await wait(150), { status: "PASS", message: "ok" })));
    const run = await runChecks(checks, { outputs });
    expect(run.results.every((r) => r.status === "PASS")).toBe(true);
    for (const r of run.results) expect(r.durationMs).toBeGreaterThanOrEqual(140);
    expect(run.sumCheckMs).toBeGreaterThanOrEqual(560);
    expect(run.wallTimeMs).toBeLessThan(450);
  });

  it("turns a throw into FAIL with the reason", async () => {
    const run = await runChecks([fakeCheck("boom", async () => Promise.reject(new Error("cannot parse INFO reply")))], { outputs });
    expect(run.results[0]).toMatchObject({ status: "FAIL", message: "cannot parse INFO reply" });
  });

  it("fails a hung check at its own timeout, naming what it was doing, and aborts its signal", async () => {
    let signal: AbortSignal | undefined;
    const hung = fakeCheck(
      "hung",
      async (ctx) => {
        signal = ctx.signal;
        ctx.step?.("connecting to 127.0.0.1:6390");
        return new Promise(() => undefined);
      },
      { timeoutMs: 300 },
    );
    const t0 = Date.now();
    const run = await runChecks([hung, fakeCheck("fine", { status: "PASS", message: "ok" })], { outputs });
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(run.results[0]).toMatchObject({ status: "FAIL", message: "timed out after 300 ms while connecting to 127.0.0.1:6390" });
    expect(run.results[1].status).toBe("PASS");
    expect(signal?.aborted).toBe(true);
  });

  it("uses the default timeout for checks that set none, and passes the remaining budget", async () => {
    let budget = 0;
    const run = await runChecks([fakeCheck("slow", async (ctx) => ((budget = ctx.timeoutMs), new Promise(() => undefined)))], { outputs, defaultTimeoutMs: 200 });
    expect(budget).toBe(200);
    expect(run.results[0].message).toBe("timed out after 200 ms");
  });

  it("stops every check at the suite deadline, even with longer own timeouts", async () => {
    const checks: Check[] = [0, 1, 2].map((i) => fakeCheck(`long${i}`, async (ctx) => (ctx.step?.(`waiting on thing ${i}`), new Promise(() => undefined)), { timeoutMs: 10_000 }));
    const t0 = Date.now();
    const run = await runChecks(checks, { outputs, deadlineMs: 400 });
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(380);
    expect(took).toBeLessThan(1_200);
    for (const r of run.results) {
      expect(r.status).toBe("FAIL");
      expect(r.message).toMatch(/^stopped after \d+ ms by the suite deadline of 400 ms while waiting on thing \d$/);
    }
  });

  it("runs an `alone` check after every other check has a result, one at a time, keeping the checks' order", async () => {
    const events: string[] = [];
    const timed = (id: string, ms: number, alone = false): Check => ({
      ...fakeCheck(id, async () => {
        events.push(`start ${id}`);
        await wait(ms);
        events.push(`end ${id}`);
        return { status: "PASS", message: "ok" };
      }),
      alone,
    });
    const run = await runChecks([timed("a", 50), timed("t1", 10, true), timed("b", 120), timed("t2", 10, true), timed("c", 80)], { outputs });
    expect(run.results.map((r) => r.id)).toEqual(["a", "t1", "b", "t2", "c"]);
    expect(run.results.every((r) => r.status === "PASS")).toBe(true);
    // a, b, c overlap; t1 starts only once the slowest (b) has ended, t2 only once t1 has.
    expect(events.slice(0, 3).sort()).toEqual(["start a", "start b", "start c"]);
    expect(events.slice(-4)).toEqual(["start t1", "end t1", "start t2", "end t2"]);
  });

  it("marks redis.get-latency, which times GETs on this client, to run alone", () => {
    expect(cacheChecks(outputs).find((c) => c.id === "redis.get-latency")?.alone).toBe(true);
    expect(cacheChecks(outputs).filter((c) => c.alone).map((c) => c.id)).toEqual(["redis.get-latency"]);
  });

  it("skips checks for another platform", async () => {
    const run = await runChecks([fakeCheck("aws-only", { status: "PASS", message: "x" }, { platforms: ["aws"] })], { outputs });
    expect(run.results[0]).toMatchObject({ status: "SKIP", message: "applies to platform aws only; this stack is on sandbox" });
  });
});

describe("redaction", () => {
  it("removes every credential value, plain or URL-encoded, longest first", () => {
    const r = redactorFor(["p@ss word!", "p@ssw0rd", "abc"]);
    expect(r("url postgres://u:p%40ss%20word!@h/db and p@ss word! and p@ssw0rd, abc")).toBe(`url postgres://u:${REDACTED}@h/db and ${REDACTED} and ${REDACTED}, abc`);
  });

  it("keeps a password from an error message out of the report, console, JSON and JUnit", async () => {
    const leaky: CheckFactory = () => [
      fakeCheck("leaky", async () => {
        throw new Error(`password authentication failed: tried "${PASSWORD}" for datatier_monitor`);
      }),
      fakeCheck("leaky-pass", { status: "WARN", message: `redis said ${outputs.applicationCredentials.redisPassword}`, threshold: `admin ${outputs.credentials.pgbouncerAdminPassword}` }),
    ];
    const report = await runSuite(outputs, { factories: [leaky], hooks: [] });
    const redact = redactorFor(secretValues(outputs));
    const texts = [JSON.stringify(report), formatConsoleReport(report, false), formatJsonReport(report, redact), formatJunitReport(report, redact)];
    for (const t of texts) {
      for (const secret of secretValues(outputs)) expect(t).not.toContain(secret);
      expect(t).toContain(REDACTED);
    }
    expect(report.results[0].message).toBe(`password authentication failed: tried "${REDACTED}" for datatier_monitor`);
  });
});

describe("runSuite reports", () => {
  const mixed: CheckFactory = () => [
    { ...fakeCheck("redis.ok", { status: "PASS", message: "fine", measured: { value: 0.4, unit: "milliseconds" }, threshold: "warning > 50 ms, critical > 100 ms" }), group: "cache" },
    { ...fakeCheck("redis.meh", { status: "WARN", message: "hit rate low", metrics: [{ name: "CacheGetTimeP99", dimensions: {}, value: 3, unit: "Milliseconds" }] }), group: "cache" },
    { ...fakeCheck("pg.bad", { status: "FAIL", message: "replica <down> & \"gone\"" }), group: "database" },
    { ...fakeCheck("pg.skip", { status: "SKIP", message: "not here" }), group: "database" },
  ];

  it("aggregates counts, overall status, exit code and metrics", async () => {
    const report = await runSuite(outputs, { factories: [mixed], hooks: [] });
    expect(report.counts).toEqual({ PASS: 1, WARN: 1, FAIL: 1, SKIP: 1 });
    expect(report.overall).toBe("unhealthy");
    expect(report.exitCode).toBe(2);
    expect(report.metrics).toEqual([{ name: "CacheGetTimeP99", dimensions: {}, value: 3, unit: "Milliseconds" }]);
  });

  it("writes JSON that parses back to the same report", async () => {
    const report = await runSuite(outputs, { factories: [mixed], hooks: [] });
    const back = JSON.parse(formatJsonReport(report, (s) => s));
    expect(back).toEqual(JSON.parse(JSON.stringify(report)));
    expect(back.results.map((r: { id: string; status: string }) => `${r.id}=${r.status}`)).toEqual(["redis.ok=PASS", "redis.meh=WARN", "pg.bad=FAIL", "pg.skip=SKIP"]);
  });

  it("writes JUnit XML that parses back: suites per group, failures, skips, escaped messages", async () => {
    const report = await runSuite(outputs, { factories: [mixed], hooks: [] });
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "", isArray: (name) => ["testsuite", "testcase", "property"].includes(name) }).parse(formatJunitReport(report, (s) => s));
    const suites = xml.testsuites.testsuite;
    expect(xml.testsuites).toMatchObject({ tests: "4", failures: "1", skipped: "1" });
    expect(suites.map((s: { name: string }) => s.name)).toEqual(["cache", "database"]);
    const bad = suites[1].testcase[0];
    expect(bad.name).toBe("pg.bad: fake pg.bad");
    expect(bad.failure.message).toBe('replica <down> & "gone"');
    expect(suites[1].testcase[1].skipped).toBeDefined();
    const ok = suites[0].testcase[0];
    expect(ok.properties.property).toEqual(expect.arrayContaining([{ name: "threshold", value: "warning > 50 ms, critical > 100 ms" }]));
  });

  it("with --fail-on warn, a degraded run exits 2 and WARN is a JUnit failure", async () => {
    const warnOnly: CheckFactory = () => [fakeCheck("w", { status: "WARN", message: "slow" })];
    const report = await runSuite(outputs, { factories: [warnOnly], hooks: [], failOn: "warn" });
    expect(report.overall).toBe("degraded");
    expect(report.exitCode).toBe(2);
    expect(formatJunitReport(report, (s) => s)).toContain('<failure message="slow" type="WARN"/>');
    expect((await runSuite(outputs, { factories: [warnOnly], hooks: [] })).exitCode).toBe(1);
  });

  it("prints a summary with counts, overall status, wall time and the sum of check times", async () => {
    const text = formatConsoleReport(await runSuite(outputs, { factories: [mixed], hooks: [] }), false);
    expect(text).toMatch(/4 checks: 1 PASS, 1 WARN, 1 FAIL, 1 SKIP\. Overall UNHEALTHY \(exit 2\)\. Wall time \d+\.\d\d s, sum of check times \d+\.\d\d s/);
    expect(text.indexOf("\ncache\n")).toBeLessThan(text.indexOf("\ndatabase\n"));
    expect(text).not.toContain("\u001b[");
  });

  it("filters with --only and refuses a pattern that matches nothing", async () => {
    expect((await runSuite(outputs, { factories: [mixed], hooks: [], only: "redis" })).results.map((r) => r.id)).toEqual(["redis.ok", "redis.meh"]);
    expect((await runSuite(outputs, { factories: [mixed], hooks: [], only: "database,*.ok" })).results.map((r) => r.id)).toEqual(["redis.ok", "pg.bad", "pg.skip"]);
    await expect(runSuite(outputs, { factories: [mixed], hooks: [], only: "nginx" })).rejects.toThrow(/--only "nginx" matches none of the 4 checks/);
  });
});

describe("post-run hooks", () => {
  const okFactory: CheckFactory = () => [fakeCheck("m", { status: "PASS", message: "ok", metrics: [{ name: "PartitionRowDelta", dimensions: { Table: "t" }, value: 2, unit: "Count" }] })];

  it("runs a flagged hook only when enabled, with every metric", async () => {
    const seen: number[] = [];
    const hook: PostRunHook = { name: "publish-metrics", flag: { flags: "--publish-metrics", description: "x" }, run: async ({ metrics }) => (seen.push(metrics.length), `published ${metrics.length}`) };
    const off = await runSuite(outputs, { factories: [okFactory], hooks: [hook] });
    expect(off.hooks).toEqual([]);
    const on = await runSuite(outputs, { factories: [okFactory], hooks: [hook], enabledHooks: ["publish-metrics"] });
    expect(seen).toEqual([1]);
    expect(on.hooks[0]).toMatchObject({ name: "publish-metrics", ok: true, message: "published 1" });
    expect(on.exitCode).toBe(0);
  });

  it("a failing hook exits 4 on a healthy run (redacted), but never hides an unhealthy one", async () => {
    const bad: PostRunHook = { name: "h", run: async () => Promise.reject(new Error(`denied for ${PASSWORD}`)) };
    const healthy = await runSuite(outputs, { factories: [okFactory], hooks: [bad] });
    expect(healthy.exitCode).toBe(4);
    expect(healthy.hooks[0]).toMatchObject({ ok: false, message: `denied for ${REDACTED}` });
    const failing: CheckFactory = () => [fakeCheck("f", { status: "FAIL", message: "down" })];
    expect((await runSuite(outputs, { factories: [failing], hooks: [bad] })).exitCode).toBe(2);
  });

  it("times out a hung hook", async () => {
    const hung: PostRunHook = { name: "slow", timeoutMs: 100, run: () => new Promise(() => undefined) };
    const r = await runSuite(outputs, { factories: [okFactory], hooks: [hung] });
    expect(r.hooks[0]).toMatchObject({ ok: false, message: "timed out after 100 ms" });
  });
});
