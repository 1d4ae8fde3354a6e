/**
 * The three verbs over the local flag file with scripted suite reports: phases advance one
 * at a time only through the gate, each step is recorded with its evidence, the history
 * survives a restart (a new context reading the same file), rollback needs no gate and
 * repairs a broken document; hostile history and flag files are refused by name.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseFlagDocument } from "../../components/flags/document";
import { PHASES } from "../../components/flags/phases";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { testTempDir } from "../../testing/tempDir";
import { RolloutInputError } from "./errors";
import { readHistory } from "./history";
import { localBackend } from "./local";
import { advance, rollback, status, type RolloutContext } from "./run";
import { suiteReport } from "./testkit";

function setup(statuses: Parameters<typeof suiteReport>[0] = {}) {
  const dir = testTempDir("rollout-");
  const flagFile = join(dir, "flags", "flags.json");
  const historyFile = join(dir, "flags", "rollout-history.json");
  const lines: string[] = [];
  let report = suiteReport(statuses);
  const ctx = (): RolloutContext => ({ stack: "dev", outputs: sampleOutputs(), backend: localBackend(flagFile), historyFile, who: "tester", log: (l) => lines.push(l), soakSeconds: 0, suite: async () => report });
  return { dir, flagFile, historyFile, lines, ctx, setSuite: (s: Parameters<typeof suiteReport>[0]) => (report = suiteReport(s)) };
}

const flagsIn = (file: string) => parseFlagDocument(JSON.parse(readFileSync(file, "utf8")), file);

describe("advance", () => {
  it("moves one phase per call through the table, writing the AppConfig-format document", async () => {
    const t = setup();
    for (let i = 1; i < PHASES.length; i++) {
      const r = await advance(t.ctx());
      expect(r.code).toBe(0);
      expect(flagsIn(t.flagFile)).toEqual({ partitionedReads: PHASES[i].percentage, partitionedWrites: PHASES[i].percentage });
    }
    const last = await advance(t.ctx());
    expect(last.code).toBe(1);
    expect(last.gate?.checks.filter((c) => !c.ok).map((c) => c.id)).toEqual(["phase.next"]);
    expect(statSync(t.flagFile).mode & 0o777).toBe(0o644);
  });

  it("refuses when the suite is not healthy, records the refusal with the failing checks, leaves the flags", async () => {
    const t = setup();
    await advance(t.ctx());
    t.setSuite({ "partition.dual-write.revenue_transactions": "FAIL" });
    const r = await advance(t.ctx());
    expect(r.code).toBe(1);
    expect(flagsIn(t.flagFile).partitionedReads).toBe(1);
    const h = readHistory(t.historyFile, "dev");
    const step = h.steps.at(-1)!;
    expect(step).toMatchObject({ action: "refused", who: "tester", fromPhase: "pilot-1", toPhase: "phase-5", durationMs: null });
    expect(step.evidence.suite?.overall).toBe("unhealthy");
    expect(step.evidence.suite?.notPassing).toEqual([{ id: "partition.dual-write.revenue_transactions", status: "FAIL", message: "partition.dual-write.revenue_transactions is FAIL" }]);
    expect(step.gate.filter((g) => !g.ok).map((g) => g.id)).toEqual(["suite.healthy", "suite.partition-readiness", "alarms.none-critical"]);
    expect(t.lines.join("\n")).toMatch(/refused: suite\.healthy, suite\.partition-readiness, alarms\.none-critical; the flags stay at pilot-1/);
  });

  it("requires the phase's soak from the history's last flag change (the phase table's soak without --soak)", async () => {
    const t = setup();
    await advance(t.ctx());
    const r = await advance({ ...t.ctx(), soakSeconds: undefined });
    expect(r.code).toBe(1);
    expect(r.gate?.checks.find((c) => c.id === "soak.elapsed")?.detail).toMatch(/^0 s of 24\.0 h at pilot-1/);
  });

  it("refuses flags no phase sets, asking for a rollback", async () => {
    const t = setup();
    await advance(t.ctx());
    const doc = JSON.parse(readFileSync(t.flagFile, "utf8"));
    doc.values.partitionedReads.percentage = 3;
    writeFileSync(t.flagFile, JSON.stringify(doc));
    await expect(advance(t.ctx())).rejects.toThrow(/writes 1% \/ reads 3%, which no phase sets .*rollback/);
  });
});

describe("history", () => {
  it("survives a restart: a new command reads every step, and the phase start comes from it", async () => {
    const t = setup();
    await advance(t.ctx());
    await advance(t.ctx());
    await rollback({ ...t.ctx(), reason: "drill" });
    // A "restart": nothing shared but the files.
    const again = setup();
    const lines: string[] = [];
    await status({ ...again.ctx(), backend: localBackend(t.flagFile), historyFile: t.historyFile, log: (l) => lines.push(l) });
    expect(lines.join("\n")).toMatch(/history \(.*\): 3 step\(s\)/);
    expect(lines.join("\n")).toMatch(/tester advance off -> pilot-1 in \d+ ms\n.*tester advance pilot-1 -> phase-5 in \d+ ms\n.*tester rollback phase-5 -> off in \d+ ms/);
    const h = readHistory(t.historyFile, "dev");
    expect(h.steps.map((s) => s.action)).toEqual(["advance", "advance", "rollback"]);
    expect(h.steps[2].reason).toBe("drill");
    expect(statSync(t.historyFile).mode & 0o777).toBe(0o600);
  });

  it("refuses hostile history files by name, never quoting them", () => {
    const dir = testTempDir("rollout-history-");
    const f = join(dir, "h.json");
    writeFileSync(f, "{ not json SECRET-TEXT");
    expect(() => readHistory(f, "dev")).toThrow(RolloutInputError);
    expect(() => readHistory(f, "dev")).toThrow(/h\.json: not valid JSON/);
    expect(() => readHistory(f, "dev")).not.toThrow(/SECRET-TEXT/);
    writeFileSync(f, JSON.stringify({ version: 1, stack: "prod", steps: [] }));
    expect(() => readHistory(f, "dev")).toThrow(/is stack "prod"'s, not "dev"'s/);
    writeFileSync(f, JSON.stringify({ version: 1, stack: "dev", steps: [{ action: "teleport" }] }));
    expect(() => readHistory(f, "dev")).toThrow(/not a rollout history of version 1 \(fields steps\.0\.action/);
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    expect(() => readHistory(fifo, "dev")).toThrow(/is a FIFO \(named pipe\); expected a regular file/);
    writeFileSync(f, "x".repeat(9 * 1024 * 1024));
    expect(() => readHistory(f, "dev")).toThrow(/expected at most 8388608 bytes/);
  });
});

describe("rollback", () => {
  it("turns both flags off without a gate, even with the suite failing, and measures it", async () => {
    const t = setup();
    await advance(t.ctx());
    await advance(t.ctx());
    t.setSuite({ "postgres.replicas": "FAIL" });
    const r = await rollback(t.ctx());
    expect(r.code).toBe(0);
    expect(flagsIn(t.flagFile)).toEqual({ partitionedReads: 0, partitionedWrites: 0 });
    expect(r.step).toMatchObject({ action: "rollback", fromPhase: "phase-5", toPhase: "off", gate: [] });
    expect(r.step!.durationMs).toBeGreaterThanOrEqual(0);
    expect(r.step!.durationMs).toBeLessThan(5000);
  });

  it("repairs a broken or hostile flag document", async () => {
    const t = setup();
    await advance(t.ctx());
    writeFileSync(t.flagFile, '{"version":"1","values":');
    const lines: string[] = [];
    const r = await rollback({ ...t.ctx(), log: (l) => lines.push(l) });
    expect(r.code).toBe(0);
    expect(lines[0]).toMatch(/the current flag document is unreadable \(flag document .*: not valid JSON/);
    expect(flagsIn(t.flagFile).partitionedWrites).toBe(0);
  });

  it("a missing document reads as off; a directory at the path is refused by name", async () => {
    const t = setup();
    expect((await localBackend(t.flagFile).read()).state).toEqual({ partitionedReads: 0, partitionedWrites: 0 });
    expect(existsSync(t.flagFile)).toBe(false);
    chmodSync(t.dir, 0o755);
    await expect(localBackend(t.dir).read()).rejects.toThrow(/is a directory; expected a regular file/);
  });
});
