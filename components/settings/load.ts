/**
 * Turns a stack's raw configuration into validated `Settings`, or a `SettingsError`
 * listing every problem (config key path, offending value, what was expected).
 * Pure: the Pulumi program and the offline tools both call it before registering
 * anything.
 */
import { z } from "zod";
import { printable } from "../printable";
import { deepMerge, isPlainObject, profileFor } from "./defaults";
import { checkRules } from "./rules";
import { settingsShape, type Settings } from "./schema";

export interface SettingsProblem {
  /** Config key path as a user writes it, e.g. "data-tier:redis.replicas". */
  key: string;
  /** The value found there (undefined when missing). */
  value: unknown;
  /** What was expected. */
  message: string;
}

export class SettingsError extends Error {
  constructor(
    readonly problems: SettingsProblem[],
    readonly source: string,
  ) {
    super(formatProblems(problems, source));
    this.name = "SettingsError";
  }
}

export function formatProblems(problems: SettingsProblem[], source: string): string {
  const lines = problems.slice(0, MAX_PRINTED_PROBLEMS).map((p) => `  - ${printable(p.key)}${p.value === undefined ? "" : ` = ${renderValue(p.value)}`}: ${printable(p.message)}`);
  if (problems.length > MAX_PRINTED_PROBLEMS) lines.push(`  ... and ${problems.length - MAX_PRINTED_PROBLEMS} more`);
  return `Invalid stack settings in ${printable(source)} (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${lines.join("\n")}`;
}

/** Problems printed at most; the rest are counted (a 5,000-item list must not print 5,000 lines). */
export const MAX_PRINTED_PROBLEMS = 50;

function renderValue(v: unknown): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch {
    s = undefined; // a cycle or a BigInt: say what it is, not what it holds
  }
  // printable(): JSON leaves C1 controls and bidirectional overrides raw; they must not reach a terminal.
  const text = s === undefined ? typeof v : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  return printable(text);
}

/**
 * Raw stack configuration: top-level keys of the project namespace without the
 * prefix (`platform`, `redis`, ...), already JSON-decoded, plus `aws:region`.
 */
export interface RawStackConfig {
  project: string;
  stack: string;
  /** Where the values came from, for messages (e.g. "Pulumi.prod.yaml"). */
  source?: string;
  values: Record<string, unknown>;
  awsRegion?: string;
}

const TOP_LEVEL_KEYS = ["environment", "production", "platform", "network", "redis", "postgres", "pgbouncer", "alarms", "tags"] as const;

function keyOf(project: string, path: PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  if (head === "region") return "aws:region";
  if (head === "project") return "Pulumi.yaml name";
  return `${project}:${head}${rest.map((r) => (/^\d+$/.test(r) ? `[${r}]` : `.${r}`)).join("")}`;
}

function valueAt(obj: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function describeZodIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `unknown setting${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  if (issue.code === "invalid_type" && issue.input === undefined) return `is required (expected ${issue.expected})`;
  return issue.message;
}

export function parseSettings(raw: RawStackConfig): Settings {
  const source = raw.source ?? `stack "${raw.stack}"`;
  const problems: SettingsProblem[] = [];
  for (const k of Object.keys(raw.values)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(k)) {
      problems.push({ key: `${raw.project}:${k}`, value: undefined, message: `unknown setting; expected one of ${TOP_LEVEL_KEYS.join(", ")}` });
    }
  }
  const environment = raw.values.environment ?? raw.stack;
  const production = raw.values.production ?? environment === "prod";
  const candidate: Record<string, unknown> = deepMerge(
    { ...profileFor({ production: production === true, platform: raw.values.platform }) } as Record<string, unknown>,
    Object.fromEntries(Object.entries(raw.values).filter(([k]) => (TOP_LEVEL_KEYS as readonly string[]).includes(k))),
  );
  candidate.project = raw.project;
  candidate.environment = environment;
  candidate.production = production;
  if (raw.awsRegion !== undefined) candidate.region = raw.awsRegion;

  const parsed = settingsShape.safeParse(candidate);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path;
      problems.push({ key: keyOf(raw.project, path), value: issue.code === "unrecognized_keys" ? undefined : valueAt(candidate, path), message: describeZodIssue(issue) });
    }
    throw new SettingsError(problems, source);
  }
  checkRules(parsed.data, {
    issue: (path, message) => problems.push({ key: keyOf(raw.project, path), value: valueAt(parsed.data, path), message }),
  });
  if (problems.length > 0) throw new SettingsError(problems, source);
  return parsed.data;
}

/** Decodes a Pulumi config value: objects and numbers arrive JSON-encoded, strings as is. */
export function decodeConfigValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Builds `RawStackConfig.values` from a flat namespaced map such as `pulumi.runtime.allConfig()`. */
export function valuesFromNamespacedConfig(project: string, all: Record<string, string>): { values: Record<string, unknown>; awsRegion?: string } {
  const values: Record<string, unknown> = {};
  let awsRegion: string | undefined;
  for (const [k, v] of Object.entries(all)) {
    if (k === "aws:region") awsRegion = v;
    else if (k.startsWith(`${project}:`)) values[k.slice(project.length + 1)] = decodeConfigValue(v);
  }
  return { values, awsRegion };
}

export { isPlainObject };
