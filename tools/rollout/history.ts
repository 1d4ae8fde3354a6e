/**
 * The rollout's history: every step (advance, refused advance, rollback) with its evidence
 * (who, when, the gate's checks with the suite's and the alarms' verdicts), in a state file
 * that survives a restart of the command. Read as a bounded regular file (a FIFO at the path
 * cannot block the command), validated whole, written atomically (temporary file + rename,
 * mode 0600). It holds verdicts and messages already redacted by the suite, never a credential.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";
import { InputFileError, jsonErrorWithoutText, readRegularFileSync } from "../../components/boundedFile";
import { RolloutInputError } from "./errors";

export const HISTORY_VERSION = 1;
/** A history of years of steps with their evidence is a few MB. */
export const MAX_HISTORY_BYTES = 8 * 1024 * 1024;

const flags = z.strictObject({ partitionedReads: z.number().min(0).max(100), partitionedWrites: z.number().min(0).max(100) });
const gateCheck = z.strictObject({ id: z.string(), ok: z.boolean(), detail: z.string() });
const evidence = z.strictObject({
  suite: z
    .strictObject({
      overall: z.enum(["healthy", "degraded", "unhealthy"]),
      counts: z.record(z.string(), z.number()),
      startedAt: z.string(),
      /** Every check that did not PASS, with its message. */
      notPassing: z.array(z.strictObject({ id: z.string(), status: z.string(), message: z.string() })),
    })
    .nullable(),
  alarms: z.strictObject({ source: z.string(), inAlarm: z.array(z.string()), warningsInAlarm: z.array(z.string()), alarmedSince: z.array(z.string()) }),
});
export const stepSchema = z.strictObject({
  action: z.enum(["advance", "refused", "rollback"]),
  who: z.string().min(1),
  at: z.string(),
  fromPhase: z.string(),
  toPhase: z.string(),
  flags: flags,
  /** The gate's checks (advance and refused). */
  gate: z.array(gateCheck),
  evidence,
  /** Command start to flag written and read back (advance, rollback), ms. */
  durationMs: z.number().nullable(),
  /** Where the flag went (file path, AppConfig deployment number). */
  target: z.string(),
  reason: z.string().nullable(),
});
export type Step = z.infer<typeof stepSchema>;
const historySchema = z.strictObject({ version: z.literal(HISTORY_VERSION), stack: z.string(), steps: z.array(stepSchema) });
export type History = z.infer<typeof historySchema>;

export function readHistory(path: string, stack: string): History {
  if (!existsSync(path)) return { version: HISTORY_VERSION, stack, steps: [] };
  let text: string;
  try {
    text = readRegularFileSync(path, { what: "rollout history file", maxBytes: MAX_HISTORY_BYTES });
  } catch (e) {
    if (e instanceof InputFileError) throw new RolloutInputError(`${e.message}; move it aside to start a new history`);
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new RolloutInputError(`rollout history file ${path}: not valid JSON (${jsonErrorWithoutText(e, text)}); move it aside to start a new history`);
  }
  const r = historySchema.safeParse(raw);
  if (!r.success) {
    const fields = [...new Set(r.error.issues.map((i) => i.path.map(String).join(".") || "(document)"))].slice(0, 10);
    throw new RolloutInputError(`rollout history file ${path}: not a rollout history of version ${HISTORY_VERSION} (fields ${fields.join(", ")}); move it aside to start a new history`);
  }
  if (r.data.stack !== stack) throw new RolloutInputError(`rollout history file ${path} is stack "${r.data.stack}"'s, not "${stack}"'s; pass --history with this stack's file`);
  return r.data;
}

export function appendStep(path: string, h: History, step: Step): History {
  const next: History = { ...h, steps: [...h.steps, stepSchema.parse(step)] };
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
  return next;
}

/** When the current phase began: the last step that changed the flags (advance or rollback). */
export function phaseStartedAt(h: History): string | null {
  for (let i = h.steps.length - 1; i >= 0; i--) if (h.steps[i].action !== "refused") return h.steps[i].at;
  return null;
}
