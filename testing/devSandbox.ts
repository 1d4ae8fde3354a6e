/**
 * A sandbox of the dev stack for one integration test file: started before its tests,
 * stopped and purged after, its outputs parsed as the contract an application reads.
 * Call at the top level of the file (it registers beforeAll/afterAll).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { parseStackOutputs, type StackOutputs } from "../components/contract/outputs";
import { loadStackSettings } from "../components/settings/stackFile";
import { startSandbox, stopSandbox } from "../sandbox/lifecycle";

export function useDevSandbox(prefix: string): { dir: string; outputs: () => StackOutputs } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let outputs: StackOutputs | undefined;
  beforeAll(async () => {
    const r = await startSandbox({ dir, settings: loadStackSettings("dev"), timeoutMs: 60_000 });
    outputs = parseStackOutputs(JSON.parse(readFileSync(r.outputsFile!, "utf8")), r.outputsFile!);
  }, 90_000);
  afterAll(async () => {
    await stopSandbox(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    outputs: () => {
      if (!outputs) throw new Error(`the sandbox in ${dir} has not started (used before beforeAll?)`);
      return outputs;
    },
  };
}
