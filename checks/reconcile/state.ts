/**
 * The resumable part of a reconciliation: which partitions are done and what they held.
 * Written (atomically, mode 0600) after every partition; a rerun with the same target,
 * pairs and --since continues where the last one stopped; a finished run removes it.
 * It holds counts and checksums only, never a credential.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { InputFileError, jsonErrorWithoutText, readRegularFileSync } from "../../components/boundedFile";

export const STATE_VERSION = 1;

const digest = z.strictObject({ legacyRows: z.number(), partitionedRows: z.number(), legacyHash: z.string(), partitionedHash: z.string() });
export type PartitionDigest = z.infer<typeof digest>;

const stateSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  /** What this run is of: target, pairs, since. A state of another run is never resumed silently. */
  fingerprint: z.string(),
  runId: z.string(),
  startedAt: z.string(),
  /** legacy table -> partition name -> digest. */
  done: z.record(z.string(), z.record(z.string(), digest)),
});
export type ReconcileState = z.infer<typeof stateSchema>;

export class StateFileError extends Error {}

/** Real state files are a few KB per thousand partitions. */
const MAX_STATE_BYTES = 16 * 1024 * 1024;

/**
 * Only a regular file of bounded size (a FIFO at the path would block the run for good),
 * and a parse error never quotes the file's text.
 */
export function readReconcileState(path: string): ReconcileState | null {
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readRegularFileSync(path, { what: "reconcile state file", maxBytes: MAX_STATE_BYTES });
  } catch (e) {
    if (e instanceof InputFileError) throw new StateFileError(`${e.message}; remove it or pass --fresh`);
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StateFileError(`${path}: not valid JSON (${jsonErrorWithoutText(e, text)}); remove it or pass --fresh`);
  }
  const r = stateSchema.safeParse(raw);
  if (!r.success) throw new StateFileError(`${path}: not a reconcile state file of version ${STATE_VERSION}; remove it or pass --fresh`);
  return r.data;
}

export function writeReconcileState(path: string, s: ReconcileState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2), { mode: 0o600 });
  renameSync(tmp, path);
}

export function removeReconcileState(path: string): void {
  rmSync(path, { force: true });
}
