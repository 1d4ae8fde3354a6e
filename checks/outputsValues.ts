/**
 * Checks an outputs document's structure before the contract schema sees it: the
 * document is attacker-writable, and every string in it may end up in a report or a
 * connection. Refused, each with the field named and never the value: control and
 * bidirectional characters anywhere (values and keys), strings, lists, objects and
 * nesting beyond what a real stack exports, and credentials too short to be redacted
 * safely. Host names and ports are checked for their kind by the contract itself
 * (components/contract/outputs.ts).
 */
import { ContractError } from "../components/contract/outputs";
import { MIN_REDACTED_LENGTH } from "./redact";
import { hasUnprintable, printable } from "./report/escape";

/** Bounds well above what any realization exports (ARNs are at most 2048 characters). */
export const OUTPUT_LIMITS = { stringChars: 2048, listItems: 1000, objectKeys: 100, keyChars: 128, depth: 8 } as const;

const SECRET_KEY = /password|token|secret/i;

function fieldOf(path: (string | number)[]): string {
  return path.map((p, n) => (typeof p === "number" ? `[${p}]` : `${n ? "." : ""}${printable(p.length > 64 ? `${p.slice(0, 61)}...` : p)}`)).join("") || "(root)";
}

/** Throws ContractError listing every hostile value (by field); returns quietly otherwise. */
export function hostileValueProblems(doc: unknown, source: string): void {
  const problems: { field: string; message: string }[] = [];
  const L = OUTPUT_LIMITS;
  const walk = (v: unknown, path: (string | number)[], inCredentials: boolean): void => {
    if (problems.length >= 50) return;
    if (typeof v === "string") {
      if (v.length > L.stringChars) problems.push({ field: fieldOf(path), message: `is ${v.length} characters long; expected at most ${L.stringChars}` });
      else if (hasUnprintable(v)) problems.push({ field: fieldOf(path), message: "contains a control or bidirectional character (newline, escape, NUL, ...); expected printable text" });
      const key = path[path.length - 1];
      if (inCredentials && typeof key === "string" && SECRET_KEY.test(key) && v.length < MIN_REDACTED_LENGTH && v !== "[secret]") {
        problems.push({ field: fieldOf(path), message: `is shorter than ${MIN_REDACTED_LENGTH} characters; expected a generated secret (reports redact secrets of ${MIN_REDACTED_LENGTH} characters or more)` });
      }
      return;
    }
    if (v === null || typeof v !== "object") return;
    if (path.length >= L.depth) {
      problems.push({ field: fieldOf(path), message: `is nested more than ${L.depth} levels deep; expected the contract's shape` });
      return;
    }
    if (Array.isArray(v)) {
      if (v.length > L.listItems) {
        problems.push({ field: fieldOf(path), message: `has ${v.length} items; expected at most ${L.listItems}` });
        return;
      }
      v.forEach((x, i) => walk(x, [...path, i], inCredentials));
      return;
    }
    const keys = Object.keys(v);
    if (keys.length > L.objectKeys) {
      problems.push({ field: fieldOf(path), message: `has ${keys.length} fields; expected at most ${L.objectKeys}` });
      return;
    }
    for (const k of keys) {
      if (k.length > L.keyChars || hasUnprintable(k)) {
        problems.push({ field: fieldOf([...path, k]), message: `is a field name longer than ${L.keyChars} characters or with a control character; expected the contract's field names` });
        continue;
      }
      walk((v as Record<string, unknown>)[k], [...path, k], inCredentials || (path.length === 0 && (k === "credentials" || k === "applicationCredentials")));
    }
  };
  walk(doc, [], false);
  if (problems.length > 0) throw new ContractError(problems, source);
}
