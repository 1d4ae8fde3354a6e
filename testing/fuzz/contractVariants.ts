/**
 * Schema-valid variants of an outputs document: every way the contract lets a part be
 * absent. Walks the zod schema beside a full document and lists each field that is
 * optional (removed), nullable (set to null) or a list without a minimum (emptied), so
 * a new optional field in components/contract/outputs.ts is covered without editing
 * this file. `variants` gives each change alone, then seeded combinations (mulberry32
 * from hostile.ts: a failing case is reproduced from its seed and index).
 */
import type { z } from "zod";
import { pick, rng } from "./hostile";

export type Path = (string | number)[];
export interface Change {
  path: Path;
  op: "remove" | "null" | "empty";
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  checks?: { _zod: { def: { check: string; minimum?: number } } }[];
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Every change the schema accepts on `value` (a document valid against `schema`). */
export function absentChanges(schema: z.ZodType, value: unknown, path: Path = [], out: Change[] = []): Change[] {
  let d = defOf(schema);
  // Peel optional/nullable wrappers, noting what each allows.
  while (d.type === "optional" || d.type === "nullable" || d.type === "default") {
    if (path.length > 0 && value !== undefined && value !== null) {
      if (d.type === "optional") out.push({ path, op: "remove" });
      if (d.type === "nullable") out.push({ path, op: "null" });
    }
    d = defOf(d.innerType!);
  }
  if (value === null || value === undefined) return out;
  if (d.type === "object" && d.shape) {
    for (const [k, s] of Object.entries(d.shape)) absentChanges(s, (value as Record<string, unknown>)[k], [...path, k], out);
  } else if (d.type === "array" && d.element && Array.isArray(value)) {
    const min = Math.max(0, ...(d.checks ?? []).map((c) => (c._zod.def.check === "min_length" ? (c._zod.def.minimum ?? 0) : 0)));
    if (min === 0 && value.length > 0) out.push({ path, op: "empty" });
    value.forEach((x, i) => absentChanges(d.element!, x, [...path, i], out));
  }
  return out;
}

const key = (p: Path) => p.join(".");

/** `doc` with `changes` applied (a change under a part already removed is skipped). */
export function applyChanges<T>(doc: T, changes: Change[]): T {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  // Deepest first, so emptying a list after changing one of its items still applies.
  for (const c of [...changes].sort((a, b) => b.path.length - a.path.length)) {
    let o: unknown = copy;
    for (const p of c.path.slice(0, -1)) o = o && typeof o === "object" ? (o as Record<string | number, unknown>)[p] : undefined;
    if (!o || typeof o !== "object") continue;
    const bag = o as Record<string | number, unknown>;
    const last = c.path[c.path.length - 1];
    if (c.op === "remove") delete bag[last];
    else if (c.op === "null") bag[last] = null;
    else bag[last] = [];
  }
  return copy as T;
}

export interface Variant<T> {
  name: string;
  doc: T;
}

/** Each change alone, then `combos` seeded combinations of 2 to 6 changes. */
export function variants<T>(schema: z.ZodType, doc: T, seed: number, combos: number): Variant<T>[] {
  const all = absentChanges(schema, doc);
  const out: Variant<T>[] = all.map((c) => ({ name: `${c.op} ${key(c.path)}`, doc: applyChanges(doc, [c]) }));
  const r = rng(seed);
  for (let i = 0; i < combos; i++) {
    const n = 2 + Math.floor(r() * 5);
    const picked = new Map<string, Change>();
    while (picked.size < Math.min(n, all.length)) {
      const c = pick(r, all);
      picked.set(key(c.path), c);
    }
    const cs = [...picked.values()];
    out.push({ name: `seed ${seed} #${i}: ${cs.map((c) => `${c.op} ${key(c.path)}`).join(", ")}`, doc: applyChanges(doc, cs) });
  }
  return out;
}
