/**
 * Local stacks (docker, sandbox): the flag document is a file the application reads (its path
 * in the contract, `application.flags.file`). Written atomically, so a reader never sees half
 * a document; read as a bounded regular file and validated like AppConfig would.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { InputFileError, jsonErrorWithoutText, readRegularFileSync } from "../../components/boundedFile";
import { FlagDocumentError, flagDocumentText, parseFlagDocument, type SwitchoverState } from "../../components/flags/document";
import type { FlagBackend, FlagReading } from "./backend";
import { RolloutInputError } from "./errors";

/** A flag document is a few hundred bytes. */
const MAX_FLAG_FILE_BYTES = 64 * 1024;

export function readFlagFile(path: string): FlagReading {
  if (!existsSync(path)) return { state: { partitionedReads: 0, partitionedWrites: 0 }, detail: `no document at ${path} yet: applications read both flags off` };
  let text: string;
  try {
    text = readRegularFileSync(path, { what: "flag document", maxBytes: MAX_FLAG_FILE_BYTES });
  } catch (e) {
    if (e instanceof InputFileError) throw new RolloutInputError(e.message);
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RolloutInputError(`flag document ${path}: not valid JSON (${jsonErrorWithoutText(e, text)}); \`npm run rollout -- rollback\` rewrites it with both flags off`);
  }
  try {
    return { state: parseFlagDocument(raw, path), detail: `file ${path}` };
  } catch (e) {
    if (e instanceof FlagDocumentError) throw new RolloutInputError(`${e.message}\n\`npm run rollout -- rollback\` rewrites it with both flags off`);
    throw e;
  }
}

export function writeFlagFile(path: string, state: SwitchoverState): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  // World-readable: the application's user reads it; it holds no secret.
  writeFileSync(tmp, flagDocumentText(state), { mode: 0o644 });
  renameSync(tmp, path);
}

export function localBackend(path: string): FlagBackend {
  return {
    describe: () => `flag file ${path}`,
    read: async () => readFlagFile(path),
    write: async (state) => {
      writeFlagFile(path, state);
      return `file ${path}`;
    },
    alarms: async () => ({ source: "no CloudWatch alarms on a local stack", available: false, inAlarm: [], warningsInAlarm: [], alarmedSince: [] }),
  };
}
