/**
 * A program run reduced to what a diff needs: per resource its URN, type, name,
 * options and full inputs, with every secret value replaced. Pure: no Pulumi import,
 * so the child process that evaluates an older tree (base.ts) can use it too.
 *
 * Secrets: `[secret]` in anything printed. For comparing two runs, a secret is replaced
 * by a keyed digest (HMAC with a key that lives only in the parent process's memory
 * and the child's environment), so a changed secret shows as a change without its
 * value or an unkeyed hash of it ever leaving the processes.
 */
import { createHmac } from "node:crypto";

/** What a recorded resource must carry (tools/evaluate/program RecordedResource; older trees may lack secretPaths). */
export interface RecordedLike {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  inputs: Record<string, unknown>;
  secretInputs: string[];
  secretPaths?: string[];
  protect: boolean;
  deleteBeforeReplace?: boolean;
  retainOnDelete?: boolean;
}

export interface ResourceSnapshot {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  protect: boolean;
  deleteBeforeReplace: boolean;
  retainOnDelete: boolean;
  /** Inputs with each secret replaced (by `[secret]`, or by a keyed digest for comparison). */
  inputs: Record<string, unknown>;
}

export const SECRET = "[secret]";
const DIGEST = /^\[secret:[0-9a-f]{16}\]$/;

function replaceAt(value: unknown, path: string[], replace: (v: unknown) => unknown): unknown {
  if (path.length === 0) return replace(value);
  if (value === null || typeof value !== "object") return value;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((x, i) => (String(i) === head ? replaceAt(x, rest, replace) : x));
  const obj = value as Record<string, unknown>;
  return head in obj ? { ...obj, [head]: replaceAt(obj[head], rest, replace) } : obj;
}

/** Inputs with every secret value replaced by `replace(value)`. */
export function withSecretsReplaced(r: RecordedLike, replace: (v: unknown) => unknown): Record<string, unknown> {
  const paths = r.secretPaths ?? r.secretInputs;
  let out: unknown = r.inputs;
  for (const p of paths) out = p === "" ? replace(out) : replaceAt(out, p.split("."), replace);
  return out as Record<string, unknown>;
}

/** Inputs as printed: every secret `[secret]`. */
export function maskedInputs(r: RecordedLike): Record<string, unknown> {
  return withSecretsReplaced(r, () => SECRET);
}

/** A keyed digest standing for a secret value in comparisons. */
export function secretDigest(key: string, value: unknown): string {
  return `[secret:${createHmac("sha256", key).update(JSON.stringify(value) ?? "undefined").digest("hex").slice(0, 16)}]`;
}

/** Digests back to `[secret]`, for printing a compared value. */
export function forDisplay(v: unknown): unknown {
  if (typeof v === "string") return DIGEST.test(v) ? SECRET : v;
  if (Array.isArray(v)) return v.map(forDisplay);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, forDisplay(x)]));
  return v;
}

/** Placeholder for the tree's root in input strings (a build context, a file path), so two trees compare equal. */
export const ROOT = "<repository>";

function withRoot(v: unknown, root: string): unknown {
  if (typeof v === "string") return v.split(root).join(ROOT);
  if (Array.isArray(v)) return v.map((x) => withRoot(x, root));
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withRoot(x, root)]));
  return v;
}

/** Comparable snapshot of a run; `root`: the tree the program ran from, replaced by ROOT in every input string. */
export function snapshotOf(resources: RecordedLike[], key: string, root?: string): ResourceSnapshot[] {
  return resources.map((r) => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    protect: r.protect,
    deleteBeforeReplace: r.deleteBeforeReplace === true,
    retainOnDelete: r.retainOnDelete === true,
    inputs: (root ? withRoot(withSecretsReplaced(r, (v) => secretDigest(key, v)), root) : withSecretsReplaced(r, (v) => secretDigest(key, v))) as Record<string, unknown>,
  }));
}
