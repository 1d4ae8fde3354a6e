/**
 * The switchover flag document: the AWS AppConfig feature-flag format
 * (`AWS.AppConfig.FeatureFlags`: `version` "1", `flags` with their attribute definitions,
 * `values`), the same JSON on every platform. AppConfig validates it against its own
 * schema when a hosted version is created; locally this module is the validator, so an
 * application reads the same document from a file as from AppConfig.
 *
 * Two flags, each with a `percentage` attribute constrained to 0-100: the share of
 * organizations whose reads (writes) go to the partitioned tables.
 */
import { join } from "node:path";
import { z } from "zod";

/** AppConfig configuration-profile type of a feature-flag profile. */
export const FEATURE_FLAGS_PROFILE_TYPE = "AWS.AppConfig.FeatureFlags" as const;
/** The only flag-document version AppConfig defines. */
export const FLAG_DOCUMENT_VERSION = "1";
export const FLAG_NAMES = ["partitionedReads", "partitionedWrites"] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

/** Percentages per flag: 0 is off. */
export type SwitchoverState = Record<FlagName, number>;

const FLAG_TEXT: Record<FlagName, { name: string; description: string }> = {
  partitionedReads: { name: "Partitioned reads", description: "Share of organizations (percentage) whose reads use the partitioned tables." },
  partitionedWrites: { name: "Partitioned writes", description: "Share of organizations (percentage) whose writes go to the partitioned tables first (the dual-write triggers keep the legacy tables in step)." },
};

/** The attribute constraint AppConfig enforces on every value of `percentage`. */
export const PERCENTAGE_CONSTRAINTS = { type: "number", minimum: 0, maximum: 100, required: true } as const;

const percentage = z.number().min(0, { message: "expected a percentage from 0 to 100" }).max(100, { message: "expected a percentage from 0 to 100" });

const flagDefinition = z.strictObject({
  name: z.string().min(1).max(64),
  description: z.string().max(1024).optional(),
  attributes: z.strictObject({
    percentage: z.strictObject({
      constraints: z.strictObject({ type: z.literal("number"), minimum: z.literal(0), maximum: z.literal(100), required: z.literal(true) }),
    }),
  }),
});
const flagValue = z.strictObject({ enabled: z.boolean(), percentage });

export const flagDocumentSchema = z.strictObject({
  version: z.literal(FLAG_DOCUMENT_VERSION, { message: `expected "${FLAG_DOCUMENT_VERSION}" (the AppConfig feature-flag format)` }),
  flags: z.strictObject({ partitionedReads: flagDefinition, partitionedWrites: flagDefinition }),
  values: z.strictObject({ partitionedReads: flagValue, partitionedWrites: flagValue }),
});
export type FlagDocument = z.infer<typeof flagDocumentSchema>;

/** The document for a state: both flags defined, `enabled` exactly when the percentage is above 0. */
export function flagDocument(state: SwitchoverState): FlagDocument {
  const problems = FLAG_NAMES.filter((f) => !(Number.isFinite(state[f]) && state[f] >= 0 && state[f] <= 100)).map((f) => `${f}: ${state[f]} is not a percentage from 0 to 100`);
  if (problems.length > 0) throw new FlagDocumentError(problems, "flagDocument()");
  const def = (f: FlagName) => ({ ...FLAG_TEXT[f], attributes: { percentage: { constraints: { ...PERCENTAGE_CONSTRAINTS } } } });
  const val = (f: FlagName) => ({ enabled: state[f] > 0, percentage: state[f] });
  return {
    version: FLAG_DOCUMENT_VERSION,
    flags: { partitionedReads: def("partitionedReads"), partitionedWrites: def("partitionedWrites") },
    values: { partitionedReads: val("partitionedReads"), partitionedWrites: val("partitionedWrites") },
  };
}

export class FlagDocumentError extends Error {
  constructor(
    readonly problems: string[],
    readonly source: string,
  ) {
    super(`flag document ${source} is invalid (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "FlagDocumentError";
  }
}

const pathOf = (path: PropertyKey[]) => path.map((p) => String(p).replace(/[^\x20-\x7e]/g, "?").slice(0, 64)).join(".") || "(document)";

/**
 * Validates a flag document (parsed JSON) and returns the state it sets. Every problem at
 * once, each naming the field; values are never echoed. `enabled` and `percentage` must
 * agree: an enabled flag at 0% (or a disabled one above 0) reads differently in every SDK.
 */
export function parseFlagDocument(value: unknown, source: string): SwitchoverState {
  const r = flagDocumentSchema.safeParse(value);
  if (!r.success) {
    throw new FlagDocumentError(
      r.error.issues.map((i) => `${pathOf(i.path)}: ${i.code === "unrecognized_keys" ? `unknown field${i.keys.length > 1 ? "s" : ""} ${i.keys.map((k) => JSON.stringify(k.slice(0, 64))).join(", ")}` : i.code === "invalid_type" ? `expected ${i.expected}` : i.message}`),
      source,
    );
  }
  const problems = FLAG_NAMES.filter((f) => r.data.values[f].enabled !== r.data.values[f].percentage > 0).map(
    (f) => `values.${f}: enabled is ${r.data.values[f].enabled} with percentage ${r.data.values[f].percentage}; enabled must be true exactly when the percentage is above 0`,
  );
  if (problems.length > 0) throw new FlagDocumentError(problems, source);
  return { partitionedReads: r.data.values.partitionedReads.percentage, partitionedWrites: r.data.values.partitionedWrites.percentage };
}

/** The JSON text written to a file or a hosted configuration version. */
export function flagDocumentText(state: SwitchoverState): string {
  return `${JSON.stringify(flagDocument(state), null, 2)}\n`;
}

/** Local stacks (docker, sandbox): where the document lives inside the stack's folder. */
export const localFlagFile = (dir: string) => join(dir, "flags", "flags.json");
