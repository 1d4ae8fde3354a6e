/**
 * Turns a stack's raw configuration into validated `Settings`, or a `SettingsError`
 * listing every problem (config key path, offending value, what was expected).
 * Pure: the Pulumi program and the offline tools both call it before registering
 * anything.
 */
import { z } from "zod";
import { printable } from "../printable";
import { deepMerge, isPlainObject, profileFor, UNSAFE_KEYS } from "./defaults";
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

const TOP_LEVEL_KEYS = ["environment", "production", "platform", "network", "redis", "postgres", "pgbouncer", "readRouting", "alarms", "checks", "tags"] as const;

function keyOf(project: string, path: PropertyKey[]): string {
  // A key from a stack file may hold control characters or be huge: printable and short only.
  const [head, ...rest] = path.map((p) => {
    const t = String(p).replace(/[^\x20-\x7e]/g, "?");
    return t.length > 64 ? `${t.slice(0, 61)}...` : t;
  });
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

/** Type of a value as a stack-file author wrote it (YAML): "a string", "a list", ... */
function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return `a ${typeof value}`;
}

function describeZodIssue(issue: z.core.$ZodIssue, value: unknown): string {
  if (issue.code === "unrecognized_keys") return `unknown setting${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  // zod leaves issue.input unset (no reportInput), so judge "missing" by the value itself:
  // `replicas: "one"` is a string where a number was expected, not a missing key.
  if (issue.code === "invalid_type") return value === undefined ? `is required (expected ${issue.expected})` : `expected ${issue.expected}, got ${kindOf(value)}`;
  return issue.message;
}

/** Bounds on any raw value, before the schema: the review stays fast whatever a stack file holds. */
export const RAW_LIMITS = { stringChars: 4096, listItems: 100, objectKeys: 200, depth: 8 } as const;

/**
 * Walks the raw values once: keys that are JavaScript machinery (`__proto__`, ...),
 * oversize strings, lists and maps, and nesting too deep are reported (never echoed)
 * and dropped, so the schema and the rules still judge the rest in the same run.
 */
function scanRaw(values: Record<string, unknown>, project: string, problems: SettingsProblem[]): Record<string, unknown> {
  const walk = (v: unknown, path: string[]): unknown => {
    const key = () => keyOf(project, path);
    if (typeof v === "string" && v.length > RAW_LIMITS.stringChars) {
      problems.push({ key: key(), value: undefined, message: `is a string of ${v.length} characters; at most ${RAW_LIMITS.stringChars}` });
      return undefined;
    }
    if (v === null || typeof v !== "object") return v;
    if (path.length >= RAW_LIMITS.depth) {
      problems.push({ key: key(), value: undefined, message: `nests deeper than ${RAW_LIMITS.depth} levels; no setting does` });
      return undefined;
    }
    if (Array.isArray(v)) {
      if (v.length > RAW_LIMITS.listItems) {
        problems.push({ key: key(), value: undefined, message: `is a list of ${v.length} items; at most ${RAW_LIMITS.listItems}` });
        return undefined;
      }
      return v.map((x, i) => walk(x, [...path, String(i)]));
    }
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.length > RAW_LIMITS.objectKeys) {
      problems.push({ key: key(), value: undefined, message: `is a mapping of ${entries.length} keys; at most ${RAW_LIMITS.objectKeys}` });
      return undefined;
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of entries) {
      if (UNSAFE_KEYS.has(k)) {
        problems.push({ key: keyOf(project, [...path, k]), value: undefined, message: `"${k}" is not a setting name (JavaScript object machinery); remove it` });
        continue;
      }
      if (k.length > 256) {
        problems.push({ key: key(), value: undefined, message: `holds a key of ${k.length} characters; at most 256` });
        continue;
      }
      const w = walk(x, [...path, k]);
      if (w !== undefined) out[k] = w;
    }
    return out;
  };
  return walk(values, []) as Record<string, unknown>;
}

function isPrefix(a: PropertyKey[], b: PropertyKey[]): boolean {
  return a.length <= b.length && a.every((x, i) => String(x) === String(b[i]));
}

function setAt(obj: Record<string, unknown>, path: PropertyKey[], value: unknown): void {
  let cur: Record<string, unknown> = obj;
  for (const p of path.slice(0, -1)) {
    const next = cur[String(p)];
    if (next === null || typeof next !== "object") return;
    cur = next as Record<string, unknown>;
  }
  const last = String(path[path.length - 1]);
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

/**
 * A copy of `candidate` with every value the schema refused put back to the profile's
 * default (the nearest enclosing default for list items and map entries, unknown keys
 * removed), so the cross-field rules can run on the rest in the same run. Returns the
 * paths it repaired; rule problems on those paths are dropped (they would judge a default).
 */
function repair(candidate: Record<string, unknown>, profile: unknown, issues: z.core.$ZodIssue[]): { repaired: Record<string, unknown>; paths: PropertyKey[][] } | undefined {
  const repaired = structuredClone(candidate);
  const paths: PropertyKey[][] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) setAt(repaired, [...issue.path, k], undefined);
      continue;
    }
    // Top-level choices (platform, environment, production, region) shape every rule: no repair.
    if (issue.path.length === 0 || UNREPAIRABLE.has(String(issue.path[0])) && issue.path.length === 1) return undefined;
    // Climb to the nearest value with a default (list items have none), or delete an optional key / map entry.
    let path = issue.path;
    while (path.length > 1 && valueAt(profile, path) === undefined && !isPlainObject(valueAt(profile, path.slice(0, -1)))) path = path.slice(0, -1);
    setAt(repaired, path, structuredClone(valueAt(profile, path)));
    paths.push(path);
  }
  return { repaired, paths };
}

/** Settings every rule depends on: when one is wrong, the rules wait for the fix. */
const UNREPAIRABLE = new Set(["platform", "environment", "production", "region", "project"]);

export function parseSettings(raw: RawStackConfig): Settings {
  const source = raw.source ?? `stack "${raw.stack}"`;
  const problems: SettingsProblem[] = [];
  const values = scanRaw(raw.values, raw.project, problems);
  for (const k of Object.keys(values)) {
    if (!(TOP_LEVEL_KEYS as readonly string[]).includes(k)) {
      problems.push({ key: `${raw.project}:${k}`, value: undefined, message: `unknown setting; expected one of ${TOP_LEVEL_KEYS.join(", ")}` });
    }
  }
  const environment = values.environment ?? raw.stack;
  const production = values.production ?? environment === "prod";
  const profile = profileFor({ production: production === true, platform: values.platform });
  const candidate: Record<string, unknown> = deepMerge(
    { ...profile } as Record<string, unknown>,
    Object.fromEntries(Object.entries(values).filter(([k]) => (TOP_LEVEL_KEYS as readonly string[]).includes(k))),
  );
  candidate.project = raw.project;
  candidate.environment = environment;
  candidate.production = production;
  if (raw.awsRegion !== undefined) candidate.region = raw.awsRegion;

  const parsed = settingsShape.safeParse(candidate);
  let settings: Settings | undefined;
  let repairedPaths: PropertyKey[][] = [];
  if (parsed.success) {
    settings = parsed.data;
  } else {
    for (const issue of parsed.error.issues) {
      const path = issue.path;
      problems.push({ key: keyOf(raw.project, path), value: issue.code === "unrecognized_keys" ? undefined : valueAt(candidate, path), message: describeZodIssue(issue, valueAt(candidate, path)) });
    }
    // Every problem at once: judge the cross-field rules on the rest too.
    const fixed = repair(candidate, profile, parsed.error.issues);
    const again = fixed && settingsShape.safeParse(fixed.repaired);
    if (fixed && again?.success) {
      settings = again.data;
      repairedPaths = fixed.paths;
    }
  }
  if (settings) {
    const data = settings;
    checkRules(data, {
      issue: (path, message, opts) => {
        if (repairedPaths.some((r) => isPrefix(r, path) || isPrefix(path, r))) return;
        problems.push({ key: keyOf(raw.project, path), value: opts?.hideValue ? undefined : valueAt(data, path), message });
      },
    });
  }
  if (problems.length > 0 || !settings) throw new SettingsError(problems, source);
  return settings;
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
