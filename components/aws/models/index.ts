/**
 * Every value the program sends to an AWS API, checked against that API's own shape
 * (length, pattern, range, enumeration, list size) from AWS's machine-readable service
 * models (models.json, pinned from botocore by pin.ts with its source and date).
 * propertyMap.ts says which API member each Pulumi resource input becomes.
 *
 * Patterns: the models' patterns are Java-style and AWS validates the whole value, so
 * a pattern is applied anchored (`^(?:p)$`) with Unicode classes (`\p{L}`) enabled.
 */
import models from "./models.json";
import { PROPERTY_MAP, type Spec } from "./propertyMap";

export interface ModelShape {
  type: string;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  members?: Record<string, string>;
  member?: string;
  key?: string;
  value?: string;
}

interface ServiceModel {
  apiVersion: string;
  operations: Record<string, string>;
  shapes: Record<string, ModelShape>;
}

export const AWS_MODELS = models as unknown as { source: string; pinned: string; services: Record<string, ServiceModel> };

/** A member path resolved in a service model: the shape that constrains it. */
export interface ResolvedMember {
  service: string;
  /** "CreateDBInstance.DBInstanceIdentifier", as written in the map. */
  path: string;
  shapeName: string;
  shape: ModelShape;
}

/** Resolves "Operation.Member[].Sub" in a service's model; throws when the model has no such member (the map is wrong). */
export function resolveMember(service: string, path: string): ResolvedMember {
  const svc = AWS_MODELS.services[service];
  if (!svc) throw new Error(`no pinned model for service "${service}"`);
  const [op, ...parts] = path.split(".");
  let name = svc.operations[op];
  if (!name) throw new Error(`${service} has no pinned operation ${op}`);
  for (const raw of parts) {
    const list = raw.endsWith("[]");
    const part = list ? raw.slice(0, -2) : raw;
    const shape = svc.shapes[name];
    const next = shape.members && Object.hasOwn(shape.members, part) ? shape.members[part] : undefined;
    if (!next) throw new Error(`${service} ${path}: ${name} has no member ${part}`);
    name = next;
    if (list) {
      const l = svc.shapes[name];
      if (l.type !== "list" || !l.member) throw new Error(`${service} ${path}: ${part} is not a list`);
      name = l.member;
    }
  }
  return { service, path, shapeName: name, shape: svc.shapes[name] };
}

/** The shape of a list's or map's parts. */
export function shapeOf(service: string, name: string): ModelShape {
  return AWS_MODELS.services[service].shapes[name];
}

/** Java's POSIX classes, which JavaScript lacks (java.util.regex.Pattern, US-ASCII). */
const JAVA_POSIX: Record<string, string> = {
  Lower: "a-z",
  Upper: "A-Z",
  ASCII: "\\x00-\\x7F",
  Alpha: "A-Za-z",
  Digit: "0-9",
  Alnum: "A-Za-z0-9",
  Punct: "!-\\/:-@\\[-`{-~",
  Graph: "\\x21-\\x7E",
  Print: "\\x20-\\x7E",
  Blank: " \\t",
  Cntrl: "\\x00-\\x1F\\x7F",
  XDigit: "0-9a-fA-F",
  Space: " \\t\\n\\x0B\\f\\r",
};

/** A Java pattern as JavaScript source: POSIX classes spelled out (inside a class or as one). */
export function javaToJs(p: string): string {
  let depth = 0;
  let out = "";
  for (let i = 0; i < p.length; i++) {
    const ch = p[i];
    if (ch === "\\") {
      const m = /^\\p\{(\w+)\}/.exec(p.slice(i));
      if (m && JAVA_POSIX[m[1]]) {
        out += depth > 0 ? JAVA_POSIX[m[1]] : `[${JAVA_POSIX[m[1]]}]`;
        i += m[0].length - 1;
        continue;
      }
      out += p.slice(i, i + 2);
      i++;
      continue;
    }
    if (ch === "[") depth++;
    if (ch === "]" && depth > 0) depth--;
    out += ch;
  }
  return out;
}

const patternCache = new Map<string, RegExp | null>();
/**
 * The model's pattern as an anchored JavaScript RegExp (Unicode mode, so \p{L} means a
 * letter), or null when it does not compile: never a silently different pattern.
 */
export function compilePattern(p: string): RegExp | null {
  if (!patternCache.has(p)) {
    let re: RegExp | null;
    try {
      re = new RegExp(`^(?:${javaToJs(p)})$`, "u");
    } catch {
      re = null;
    }
    patternCache.set(p, re);
  }
  return patternCache.get(p)!;
}

/** Why a scalar value breaks a shape's constraints, or undefined. Lists: count only (items by the caller). */
export function shapeProblem(shape: ModelShape, value: unknown): string | undefined {
  switch (shape.type) {
    case "string": {
      if (typeof value !== "string" && typeof value !== "number") return undefined;
      const v = String(value);
      // Lengths are in characters as AWS counts them (code points).
      const len = [...v].length;
      if (shape.min !== undefined && len < shape.min) return `is ${len} characters; the API takes at least ${shape.min}`;
      if (shape.max !== undefined && len > shape.max) return `is ${len} characters; the API takes at most ${shape.max}`;
      if (shape.enum && !shape.enum.includes(v)) return `is not one of ${shape.enum.join(", ")}`;
      if (shape.pattern) {
        const re = compilePattern(shape.pattern);
        if (re && !re.test(v)) return `does not match the API pattern ${shape.pattern}`;
      }
      return undefined;
    }
    case "integer":
    case "long":
    case "double":
    case "float": {
      const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
      if (!Number.isFinite(n)) return typeof value === "boolean" || value === undefined ? undefined : "is not a number";
      if ((shape.type === "integer" || shape.type === "long") && !Number.isInteger(n)) return "is not an integer";
      if (shape.min !== undefined && n < shape.min) return `is ${n}; the API takes at least ${shape.min}`;
      if (shape.max !== undefined && n > shape.max) return `is ${n}; the API takes at most ${shape.max}`;
      return undefined;
    }
    case "list":
    case "map": {
      const count = Array.isArray(value) ? value.length : value && typeof value === "object" ? Object.keys(value).length : undefined;
      if (count === undefined) return undefined;
      if (shape.min !== undefined && count < shape.min) return `holds ${count} item(s); the API takes at least ${shape.min}`;
      if (shape.max !== undefined && count > shape.max) return `holds ${count} items; the API takes at most ${shape.max}`;
      return undefined;
    }
    default:
      return undefined;
  }
}

export interface ApiShapeProblem {
  /** Resource type token and name. */
  type: string;
  resource: string;
  /** Input path, e.g. "metricQueries[3].metric.namespace". */
  input: string;
  /** "cloudwatch PutMetricAlarm.Namespace (Namespace)". */
  member: string;
  value: unknown;
  message: string;
}

interface Sink {
  problem(input: string, member: string, value: unknown, message: string): void;
  unmapped(input: string): void;
}

function checkPath(service: string, path: string, value: unknown, input: string, sink: Sink): void {
  const m = resolveMember(service, path);
  const at = `${service} ${path} (${m.shapeName})`;
  const why = shapeProblem(m.shape, value);
  if (why) sink.problem(input, at, value, why);
  if (m.shape.type === "list" && Array.isArray(value) && m.shape.member) {
    const item = shapeOf(service, m.shape.member);
    value.forEach((v, i) => {
      const w = shapeProblem(item, v);
      if (w) sink.problem(`${input}[${i}]`, `${at} member (${m.shape.member})`, v, w);
    });
  }
}

/** A {key: value} map sent as the service's tag list or tag map: each key and value against the Tag shape. */
function checkTags(service: string, path: string, value: unknown, input: string, sink: Sink): void {
  if (!value || typeof value !== "object") return;
  const m = resolveMember(service, path);
  const at = `${service} ${path} (${m.shapeName})`;
  const why = shapeProblem(m.shape, value);
  if (why) sink.problem(input, at, `${Object.keys(value).length} tags`, why);
  let keyShape: ModelShape | undefined;
  let valueShape: ModelShape | undefined;
  if (m.shape.type === "map") {
    keyShape = shapeOf(service, m.shape.key!);
    valueShape = shapeOf(service, m.shape.value!);
  } else {
    const tag = shapeOf(service, m.shape.member!);
    const names = Object.keys(tag.members ?? {});
    const k = names.find((n) => /^(tag)?key$/i.test(n));
    const v = names.find((n) => /^(tag)?value$/i.test(n));
    keyShape = k ? shapeOf(service, tag.members![k]) : undefined;
    valueShape = v ? shapeOf(service, tag.members![v]) : undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const wk = keyShape && shapeProblem(keyShape, k);
    if (wk) sink.problem(`${input}.${k}`, `${at} key`, k, wk);
    const wv = valueShape && shapeProblem(valueShape, v);
    if (wv) sink.problem(`${input}.${k}`, `${at} value`, v, wv);
  }
}

function checkSpec(service: string, spec: Spec, value: unknown, input: string, sink: Sink): void {
  if (value === undefined || value === null) return;
  if (typeof spec === "string") return checkPath(service, spec, value, input, sink);
  if ("unmapped" in spec) return;
  if ("tags" in spec) return checkTags(service, spec.tags, value, input, sink);
  if ("dimensions" in spec) {
    if (typeof value !== "object") return;
    const entries = Object.entries(value as Record<string, unknown>);
    checkPath(service, spec.dimensions, entries, input, sink);
    for (const [k, v] of entries) {
      checkPath(service, `${spec.dimensions}[].Name`, k, `${input}.${k}`, sink);
      checkPath(service, `${spec.dimensions}[].Value`, v, `${input}.${k}`, sink);
    }
    return;
  }
  if ("suffix" in spec) return checkPath(service, spec.path, `${String(value)}${"x".repeat(spec.suffix)}`, input, sink);
  if ("json" in spec) {
    let parsed: unknown;
    try {
      parsed = typeof value === "string" ? JSON.parse(value) : value;
    } catch {
      sink.problem(input, service, value, "is not JSON");
      return;
    }
    return checkSpec(service, spec.json, parsed, input, sink);
  }
  if ("items" in spec) {
    if (!Array.isArray(value)) return;
    checkPath(service, spec.items, value, input, sink);
    value.forEach((item, i) => checkFields(service, spec.fields, item, `${input}[${i}]`, sink));
    return;
  }
  checkFields(service, spec.fields, value, input, sink);
}

function checkFields(service: string, fields: Record<string, Spec>, value: unknown, input: string, sink: Sink): void {
  if (!value || typeof value !== "object" || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (!Object.hasOwn(fields, k)) {
      sink.unmapped(`${input}.${k}`);
      continue;
    }
    checkSpec(service, fields[k], v, `${input}.${k}`, sink);
  }
}

/** The recorded resource as the checks read it. */
export interface ResourceInputs {
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
}

/** Problems of every AWS resource's inputs against the API models, and the input paths no map entry covers. */
export function checkApiShapes(resources: ResourceInputs[]): { problems: ApiShapeProblem[]; unmapped: string[] } {
  const problems: ApiShapeProblem[] = [];
  const unmapped = new Set<string>();
  for (const r of resources) {
    if (!r.custom || !r.type.startsWith("aws:")) continue;
    const entry = Object.hasOwn(PROPERTY_MAP, r.type) ? PROPERTY_MAP[r.type] : undefined;
    if (!entry) {
      unmapped.add(`${r.type} (no map entry)`);
      continue;
    }
    const sink: Sink = {
      problem: (input, member, value, message) => problems.push({ type: r.type, resource: r.name, input, member, value, message }),
      unmapped: (input) => unmapped.add(`${r.type} ${input.replace(/\[\d+\]/g, "[]")}`),
    };
    checkFields(entry.service, entry.inputs, r.inputs, "", {
      ...sink,
      problem: (input, member, value, message) => sink.problem(input.replace(/^\./, ""), member, value, message),
      unmapped: (input) => sink.unmapped(input.replace(/^\./, "")),
    });
  }
  return { problems, unmapped: [...unmapped].sort() };
}
