/** The reconcile state file is read like every other input someone else may have written. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readReconcileState, StateFileError, STATE_VERSION } from "./state";

const tmp = mkdtempSync(join(tmpdir(), "reconcile-state-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("readReconcileState", () => {
  it("is null when there is no state, and reads a valid one", () => {
    expect(readReconcileState(join(tmp, "absent.json"))).toBeNull();
    const path = join(tmp, "ok.json");
    const s = { version: STATE_VERSION, fingerprint: "f", runId: "r", startedAt: "2026-12-01T00:00:00Z", done: {} };
    writeFileSync(path, JSON.stringify(s));
    expect(readReconcileState(path)).toEqual(s);
  });

  it("refuses a FIFO at once instead of blocking", () => {
    const path = join(tmp, "fifo.json");
    execFileSync("mkfifo", [path]);
    const t0 = Date.now();
    expect(() => readReconcileState(path)).toThrow(StateFileError);
    expect(() => readReconcileState(path)).toThrow(/is a FIFO \(named pipe\); expected a regular file; remove it or pass --fresh/);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it("refuses a directory", () => {
    const path = join(tmp, "dir.json");
    mkdirSync(path);
    expect(() => readReconcileState(path)).toThrow(/is a directory; expected a regular file/);
  });

  it("never quotes the file's text in a parse error", () => {
    const path = join(tmp, "bad.json");
    writeFileSync(path, "password=hunter2-is-not-json");
    let message = "";
    try {
      readReconcileState(path);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/not valid JSON \(.+\); remove it or pass --fresh/);
    expect(message).not.toContain("hunter2");
  });
});
