/**
 * Each drill (sandbox/drills.ts), run through `runDrill` as a user would, against the
 * smoke suite (checks/suite.ts): exactly the expected checks turn FAIL, with messages
 * that say what broke, within the suite's deadline; and `up` again (startSandbox on the
 * same folder) brings the suite back to healthy. Each drill now heals before it returns and
 * prints one verdict line: the suite judges the broken state while the drill holds it
 * (`whileBroken`), and the suite run right after the drill must be healthy, with no `up`. checks/sandbox.int.test.ts covers
 * processes killed directly (Redis replica, Sentinel, Postgres replica, PgBouncer after
 * the replica); this file covers what only the drills do: paused replay, a failover that
 * rewrites outputs.json, and PgBouncer stopped on an otherwise healthy sandbox.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStackOutputs, type StackOutputs } from "../components/contract/outputs";
import { deepMerge, parseSettings, type Settings } from "../components/settings";
import { readStackFile } from "../components/settings/stackFile";
import { formatConsoleReport } from "../checks/report/console";
import { runSuite, type SuiteReport } from "../checks/suite";
import { runDrill, type DrillName, type DrillOptions, type DrillResult } from "./drills";
import { freezeTree, thawTree } from "../testing/freeze";
import { startSandbox, stopSandbox, type SandboxInfo } from "./lifecycle";
import { readState } from "./state";
import { faultResults, healthyExitCode, healthyOverall } from "../testing/loadSensitive";

const DEADLINE_MS = 15_000;
// Low replica-lag levels, so the lag drill passes the critical level in ~3 s, not 30 s.
const LAG = { warning: 1, critical: 3 };

// Without the read router: these drills then leave what they broke for `up` to heal, and
// the suite sees the broken state (sandbox/readRouting.int.test.ts covers the router).
function lowLagSettings(): Settings {
  const raw = readStackFile("dev").raw;
  return parseSettings({ ...raw, source: `${raw.source} + replicaLag ${LAG.warning}/${LAG.critical} s, no read router (test)`, values: deepMerge(raw.values, { alarms: { thresholds: { replicaLag: LAG } }, readRouting: { enabled: false } }) });
}

const dir = mkdtempSync(join(tmpdir(), "drills-vs-suite-"));
const settings = lowLagSettings();
let sandbox: SandboxInfo;
let secrets: string[] = [];
/** Every line a person would read: drill logs, suite reports (console and JSON). */
const printed: string[] = [];
/** Status of each check id in the previous suite run. */
let previous = new Map<string, string>();

beforeAll(async () => {
  sandbox = await startSandbox({ dir, settings });
  if (!sandbox.outputs) throw new Error("the sandbox returned no outputs");
  secrets = Object.values(sandbox.state.secrets);
}, 90_000);

afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

/** The outputs as a user's suite run reads them: <dir>/outputs.json, validated. */
function outputsFromFile(): StackOutputs {
  return parseStackOutputs(JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8")), "outputs.json");
}

async function suite(outputs: StackOutputs = outputsFromFile()): Promise<SuiteReport> {
  const t0 = Date.now();
  // 3 s per check by default: the lag checks set their own (critical level + 2 s).
  const r = await runSuite(outputs, { deadlineMs: DEADLINE_MS, timeoutMs: 3_000, hooks: [] });
  const wall = Date.now() - t0;
  expect(wall).toBeLessThan(DEADLINE_MS);
  expect(r.wallTimeMs).toBeLessThan(DEADLINE_MS);
  // No check was cut short by the deadline: each ended on its own terms.
  expect(r.results.filter((x) => x.message.includes("suite deadline")).map((x) => x.id)).toEqual([]);
  const text = formatConsoleReport(r, false);
  printed.push(text, JSON.stringify(r));
  console.log(`${text}\n(suite wall ${r.wallTimeMs} ms, call ${wall} ms)`);
  return r;
}

/** Check ids whose status differs from the previous run, with their new status. */
function changed(r: SuiteReport): Record<string, string> {
  const out: Record<string, string> = {};
  // Load-sensitive checks (GET p99 on a busy machine) are reported, not compared: testing/loadSensitive.ts.
  for (const x of faultResults(r)) if (previous.get(x.id) !== x.status) out[x.id] = x.status;
  previous = new Map(r.results.map((x) => [x.id, x.status]));
  return out;
}

const notPass = (r: SuiteReport) => faultResults(r).filter((x) => x.status !== "PASS").map((x) => `${x.id}=${x.status}`).sort();
const result = (r: SuiteReport, id: string) => {
  const x = r.results.find((c) => c.id === id);
  if (!x) throw new Error(`no check ${id} in the report: ${r.results.map((c) => c.id).join(", ")}`);
  return x;
};
const masterName = (o: StackOutputs) => o.redis.nodes.find((n) => n.host === o.redis.primary.host && n.port === o.redis.primary.port)!.name;

/**
 * What a healthy sandbox reports: every check PASS except the two SKIPs that follow the
 * topology, and one per pair for the full-table verdict no reconcile has recorded yet.
 */
function expectHealthy(r: SuiteReport, o: StackOutputs): void {
  const noReconcileYet = o.postgres.partitionPairs.map((p) => `partition.reconcile.${p.legacy}=SKIP`).sort();
  expect(notPass(r)).toEqual([...noReconcileYet, `redis.hit-rate=SKIP`, `redis.replica-read.${masterName(o)}=SKIP`]);
  expect(r.overall).toBe(healthyOverall(r));
  expect(r.exitCode).toBe(healthyExitCode(r));
}

async function drill(name: DrillName, options: DrillOptions = {}, expectOk = true): Promise<DrillResult & { lines: string[] }> {
  const lines: string[] = [];
  const t0 = Date.now();
  const r = await runDrill(name, dir, (l) => lines.push(l), options);
  printed.push(...lines);
  console.log(`${lines.join("\n")}\n(drill ${name}: ${Date.now() - t0} ms; ${JSON.stringify(r.measured)})`);
  expect(r.ok, lines.join("\n")).toBe(expectOk);
  // The verdict is printed once, last, and says PASS exactly when the drill is ok.
  const verdicts = lines.filter((l) => l.startsWith("verdict "));
  expect(verdicts).toEqual([r.verdict]);
  expect(lines.at(-1)).toBe(r.verdict);
  expect(r.verdict).toMatch(new RegExp(`^verdict ${name}: ${expectOk ? "PASS" : "FAIL"}\\. Broke: `));
  return { ...r, lines };
}

/** `up` again on the same folder, with the same settings (anything else is refused). */
async function heal(): Promise<SandboxInfo> {
  const info = await startSandbox({ dir, settings });
  console.log(`heal: ${info.ms} ms, started [${info.started.join(", ")}], resumed [${info.resumed.join(", ")}]`);
  return info;
}

describe("drills against the smoke suite", () => {
  it("baseline: the sandbox with low replica-lag levels is healthy, and the suite holds those levels", async () => {
    const o = outputsFromFile();
    expect(o.thresholds.replicaLag).toMatchObject(LAG);
    const r = await suite(o);
    expectHealthy(r, o);
    previous = new Map(r.results.map((x) => [x.id, x.status]));
  });

  it("postgres-replica-lag: only that replica's lag check FAILs, naming it and the lag; up resumes replay and heals", async () => {
    const o = outputsFromFile();
    const replica = o.postgres.replicas[0].id;
    let r: SuiteReport | undefined;
    const d = await drill("postgres-replica-lag", { whileBroken: async () => void (r = await suite()) });
    expect(d.measured.replica).toBe(replica);
    expect(d.measured.criticalSeconds).toBe(LAG.critical);
    // The drill stops once the lag is past the critical level (and reports it to 0.01 s).
    expect(Number(d.measured.lagSeconds)).toBeGreaterThanOrEqual(LAG.critical);
    expect(readState(dir)!.settings.alarms.thresholds.replicaLag).toEqual(LAG);

    if (!r) throw new Error("the drill never ran whileBroken");
    expect(changed(r)).toEqual({ [`postgres.replica-lag.${replica}`]: "FAIL" });
    const lag = result(r, `postgres.replica-lag.${replica}`);
    const m = lag.message.match(new RegExp(`^a heartbeat written on the primary was not replayed on ${replica} within (\\d+(?:\\.\\d)?) s \\(WAL receiver streaming\\)$`));
    expect(m, lag.message).not.toBeNull();
    // Measured: the time waited for the heartbeat, past the critical level, and the message says it.
    expect(lag.measured?.unit).toBe("seconds");
    expect(lag.measured!.value).toBeGreaterThan(LAG.critical);
    expect(Number(m![1])).toBeCloseTo(lag.measured!.value, 0);
    expect(lag.threshold).toBe(`warning > ${LAG.warning} s, critical > ${LAG.critical} s`);
    expect(r.overall).toBe("unhealthy");
    expect(r.exitCode).toBe(2);

    // The drill resumed replay itself and waited until the suite's checks were healthy.
    expect(d.lines).toContain(`heal: WAL replay resumed on ${replica}`);
    expect(Number(d.measured.healedMs)).toBeGreaterThan(0);
    const back = await suite();
    expect(changed(back)).toEqual({ [`postgres.replica-lag.${replica}`]: "PASS" });
    expectHealthy(back, outputsFromFile());
    expect(result(back, `postgres.replica-lag.${replica}`).measured!.value).toBeLessThan(LAG.warning);
  }, 60_000);

  it("redis-failover: the suite reads the rewritten outputs.json, is healthy, and names the new master", async () => {
    const before = outputsFromFile();
    const oldMaster = masterName(before);
    const d = await drill("redis-failover");
    expect(d.measured.oldMaster).toBe(oldMaster);
    expect(d.measured.lost).toBe(0);
    const newMaster = String(d.measured.newMaster);
    expect(newMaster).not.toBe(oldMaster);

    const after = outputsFromFile();
    expect(masterName(after)).toBe(newMaster);
    const p = after.redis.nodes.find((n) => n.name === newMaster)!;
    expect(after.redis.readers).toContainEqual({ host: before.redis.primary.host, port: before.redis.primary.port });

    const r = await suite(after);
    expectHealthy(r, after);
    // The only changes: which node is the master, so which replica-read check SKIPs.
    expect(changed(r)).toEqual({ [`redis.replica-read.${oldMaster}`]: "PASS", [`redis.replica-read.${newMaster}`]: "SKIP" });
    const primary = result(r, "redis.primary").message;
    expect(primary).toMatch(new RegExp(`^${newMaster} \\(${p.host.replace(/\./g, "\\.")}:${p.port}\\), named by .+, is the master with 2 replica\\(s\\) connected$`));
    expect(result(r, `redis.node.${oldMaster}`).message).toMatch(new RegExp(`^${oldMaster} replicates from ${p.host.replace(/\./g, "\\.")}:${p.port}, link up`));

    // The same check on the outputs from before the drill notices the move: the suite
    // above was healthy because it read the rewritten file, not by chance.
    const stale = await runSuite(before, { only: "redis.primary", deadlineMs: DEADLINE_MS, hooks: [] });
    expect(stale.results.map((x) => `${x.id}=${x.status}`)).toEqual(["redis.primary=PASS"]);
    expect(stale.results[0].message).toContain(`; the master moved from ${before.redis.primary.host}:${before.redis.primary.port} since deploy (a failover)`);
    printed.push(JSON.stringify(stale));
  }, 60_000);

  it("pgbouncer-down: exactly the seven PgBouncer checks FAIL, saying the connection is refused; up heals", async () => {
    const o = outputsFromFile();
    let r: SuiteReport | undefined;
    const d = await drill("pgbouncer-down", { whileBroken: async () => void (r = await suite()) });
    if (!r) throw new Error("the drill never ran whileBroken");
    const ids = ["pgbouncer.read-write", "pgbouncer.read-only", "pgbouncer.app-login.read-write", "pgbouncer.app-login.read-only", "pgbouncer.pool-roles", "pgbouncer.config", "pgbouncer.pools"];
    expect(changed(r)).toEqual(Object.fromEntries(ids.map((id) => [id, "FAIL"])));
    const at = `127\\.0\\.0\\.1:${o.pgbouncer.endpoint.port}`;
    for (const id of ids) expect(result(r, id).message, id).toMatch(new RegExp(`^cannot connect to PgBouncer .+ at ${at}/\\S+ as \\w+: connection refused`));
    // Refused, not timed out: a dead pooler fails fast.
    for (const id of ids) expect(result(r, id).durationMs, id).toBeLessThan(2_000);
    expect(r.exitCode).toBe(2);

    // The drill started PgBouncer again: the suite right after it is healthy, no `up` needed.
    expect(d.lines).toContain("heal: started again pgbouncer");
    const back = await suite();
    expect(changed(back)).toEqual(Object.fromEntries(ids.map((id) => [id, "PASS"])));
    expectHealthy(back, outputsFromFile());
    expect((await heal()).started).toEqual([]);
  }, 60_000);

  it("a drill that does not heal within its bound FAILs, naming what is still unhealthy (a replica frozen while PgBouncer was down: the heal cannot restart a live process)", async () => {
    const replica = readState(dir)!.processes.find((p) => p.name === "postgres-replica-1")!;
    let frozen: number[] = [];
    try {
      const d = await drill("pgbouncer-down", { healedWithinMs: 8_000, whileBroken: async () => void (frozen = freezeTree(replica.pid)) }, false);
      expect(d.measured.healedMs).toBeNull();
      expect(d.verdict).toMatch(/; not healed within 8\.0 s; .* Broken: .*not healed within 8\.0 s \(still: [^)]*pgbouncer\.read-only FAIL/);
    } finally {
      thawTree(frozen);
    }
    // Thawed, it is healthy again without a restart.
    const back = await suite();
    changed(back);
    expectHealthy(back, outputsFromFile());
  }, 60_000);

  it("no secret appears in any drill log line or suite report, not even redacted", () => {
    expect(printed.length).toBeGreaterThan(10);
    // Eight, the application roles' server passwords (appServer, readonlyServer), and since
    // the Redis ACL users four more Redis ones (replica, sentinel, monitor, operator).
    expect(secrets).toHaveLength(14);
    const all = printed.join("\n");
    for (const s of secrets) expect(all.includes(s), "a sandbox secret is printed").toBe(false);
    // The suite redacts credentials; a "[redacted]" would mean a secret reached a message first.
    expect(all).not.toContain("[redacted]");
  });
});
