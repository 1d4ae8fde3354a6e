/**
 * One sandbox per read-routing integration file: the dev stack's settings with low
 * replica-lag levels (so lag cases take seconds) and the given replica count, started
 * before the file's tests and purged after; drills run with their lines kept, so the
 * file can check at the end that nothing printed holds a secret.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { deepMerge, parseSettings, type Settings } from "../components/settings";
import { readStackFile } from "../components/settings/stackFile";
import { runDrill, type DrillName } from "../sandbox/drills";
import { startSandbox, stopSandbox, type SandboxInfo } from "../sandbox/lifecycle";

export interface ReadRoutingSandbox {
  dir: string;
  settings: Settings;
  intervalMs: number;
  /** Every line the drills printed (and anything the file adds). */
  printed: string[];
  /** The running sandbox (set once beforeAll has run). */
  sandbox(): SandboxInfo;
  /** Runs a drill, prints its lines, expects it to succeed. */
  drill(name: DrillName): Promise<{ r: Awaited<ReturnType<typeof runDrill>>; lines: string[] }>;
}

export function readRoutingSandbox(o: { prefix: string; lag: { warning: number; critical: number }; replicas?: number }): ReadRoutingSandbox {
  const raw = readStackFile("dev").raw;
  const replicas = o.replicas === undefined ? {} : { postgres: { replicas: o.replicas } };
  const settings = parseSettings({
    ...raw,
    source: `${raw.source} + ${o.replicas === undefined ? "" : `${o.replicas} replicas, `}replicaLag ${o.lag.warning}/${o.lag.critical} s (test)`,
    values: deepMerge(raw.values, { ...replicas, alarms: { thresholds: { replicaLag: o.lag } } }),
  });
  const dir = mkdtempSync(join(tmpdir(), o.prefix));
  const printed: string[] = [];
  let sandbox: SandboxInfo | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ dir, settings });
  }, 90_000);
  afterAll(async () => {
    await stopSandbox(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  return {
    dir,
    settings,
    intervalMs: settings.readRouting.intervalMs,
    printed,
    sandbox: () => sandbox!,
    async drill(name) {
      const lines: string[] = [];
      const r = await runDrill(name, dir, (l) => lines.push(l));
      printed.push(...lines);
      console.log(lines.join("\n"));
      expect(r.ok, lines.join("\n")).toBe(true);
      return { r, lines };
    },
  };
}
