/**
 * The switchover drill on a real sandbox (processes on loopback): advance to 25% through the
 * gate (the smoke suite in-process, partition readiness included), break the dual-write
 * trigger, then a replica; each time the gate refuses the next phase and one rollback call
 * turns both flags off where the application reads them. The history survives a restart of
 * the command (a fresh `npm run rollout -- status` reads every step). Times are printed.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../components/settings/stackFile";
import { startSandbox, stopSandbox, outputsFile } from "../../sandbox";
import { LOAD_SENSITIVE } from "../../testing/loadSensitive";
import { main } from "./cli";
import { readHistory, type Step } from "./history";
import { switchoverDrill } from "./drill";

mkdirSync(join(PROJECT_ROOT, ".sandbox"), { recursive: true });
const dir = mkdtempSync(join(PROJECT_ROOT, ".sandbox", "rollout-drill-"));
const historyFile = join(dir, "flags", "rollout-history.json");
const lines: string[] = [];
const log = (l: string) => lines.push(l);
/** A refusal before the break is retried only when nothing but a load-sensitive check (GET p99 on a busy host) refused. */
const onlyLoadSensitive = (s: Step) => (s.evidence.suite?.notPassing ?? []).filter((x) => x.status !== "SKIP").every((x) => LOAD_SENSITIVE.has(x.id)) && s.gate.filter((g) => !g.ok).every((g) => g.id === "suite.healthy");

beforeAll(async () => {
  await startSandbox({ dir });
}, 120_000);
afterAll(async () => {
  console.log(lines.join("\n"));
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["--stack", "dev", "--outputs", outputsFile(dir), ...args], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: { USER: "drill-test" } });
  return { code, out: out.join(""), err: err.join("") };
}

describe("switchover drill on the sandbox", () => {
  it("dual-write trigger stopped at 25%: the gate refuses phase-50, the rollback restores the flags", async () => {
    const r = await switchoverDrill(dir, log, { breakWith: "dual-write-trigger", retryIf: onlyLoadSensitive });
    console.log(`dual-write drill: gate refused in ${r.gateMs} ms (${r.breakToRefusalMs} ms after the break); rollback ${r.rollbackMs} ms, visible to the application after ${r.rollbackVisibleMs} ms`);
    expect(r.reachedPhase).toBe("phase-25");
    expect(r.refusedBy).toEqual(expect.arrayContaining(["suite.healthy", "suite.partition-readiness", "alarms.none-critical"]));
    const refused = r.steps.filter((s) => s.action === "refused").at(-1)!;
    expect(refused).toMatchObject({ fromPhase: "phase-25", toPhase: "phase-50", flags: { partitionedReads: 25, partitionedWrites: 25 } });
    expect(refused.evidence.suite?.notPassing).toEqual(expect.arrayContaining([expect.objectContaining({ id: "partition.dual-write.revenue_transactions", status: "FAIL" })]));
    expect(r.ok).toBe(true);
    expect(r.rollbackMs).toBeLessThan(1_000);
    expect(r.rollbackVisibleMs).toBeLessThan(1_000);

    // A restart: a new command reads the document and the whole history from the files.
    const s = await cli(["status"]);
    expect(s.err).toBe("");
    expect(s.code).toBe(0);
    expect(s.out).toContain("flags: partitionedWrites 0%, partitionedReads 0%");
    expect(s.out).toMatch(/phase 0\/6: off/);
    const h = readHistory(historyFile, "dev");
    expect(h.steps.filter((x) => x.action === "advance").map((x) => x.toPhase)).toEqual(["pilot-1", "phase-5", "phase-10", "phase-25"]);
    expect(h.steps.at(-1)).toMatchObject({ action: "rollback", fromPhase: "phase-25", toPhase: "off", who: "switchover-drill" });
    expect(s.out).toContain(`history (${historyFile}): ${h.steps.length} step(s)`);
  }, 240_000);

  it("a Postgres replica stopped at 25%: the gate refuses, the rollback restores; up repairs the replica", async () => {
    const r = await switchoverDrill(dir, log, { breakWith: "replica", retryIf: onlyLoadSensitive });
    console.log(`replica drill: gate refused in ${r.gateMs} ms (${r.breakToRefusalMs} ms after the break); rollback ${r.rollbackMs} ms, visible after ${r.rollbackVisibleMs} ms`);
    expect(r.ok).toBe(true);
    expect(r.refusedBy).toContain("suite.healthy");
    const refused = r.steps.filter((s) => s.action === "refused").at(-1)!;
    expect(refused.evidence.suite?.notPassing.some((x) => x.status === "FAIL" && /replica/.test(x.id + x.message))).toBe(true);
    expect(r.rollbackMs).toBeLessThan(1_000);
    const up = await startSandbox({ dir });
    expect(up.started.some((n) => /replica/.test(n))).toBe(true);
    // The CLI path of the same advance works again once repaired.
    const a = await cli(["--soak", "0", "advance"]);
    expect(a.out).toMatch(/advanced to pilot-1|refused: suite\.healthy/);
  }, 300_000);
});
