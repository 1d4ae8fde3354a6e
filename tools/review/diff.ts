/**
 * What `pulumi up` would do to go from the base run to the current one, per resource:
 * create, update (the changed inputs), replace (the inputs that force it, from
 * replacement.ts), delete. Resources are matched by URN, as the engine matches them.
 * Pure: both sides are snapshots (snapshot.ts).
 *
 * Offline limits: values only known after deploy are the mocks' (deterministic, so
 * unchanged between runs); drift in the real stack's state is not seen.
 */
import { REPLACEMENT_RULES, isDataBearing, replacingProperties } from "./replacement";
import { forDisplay, type ResourceSnapshot } from "./snapshot";

export type ChangeKind = "create" | "update" | "replace" | "delete";

export interface PropertyChange {
  property: string;
  before: unknown;
  after: unknown;
}

export interface ResourceChange {
  kind: ChangeKind;
  urn: string;
  type: string;
  name: string;
  dataBearing: boolean;
  /** Changed top-level inputs (update and replace), values with secrets shown as `[secret]`. */
  changes: PropertyChange[];
  /** Inputs that force the replacement. */
  replacedBy: string[];
  /** The physical name a replacement (or a create beside a delete) keeps without deleting first: creation fails. */
  collision?: string;
  /** The resource is protected (before for a delete, now otherwise): `pulumi up` refuses to delete it. */
  protect: boolean;
  deleteBeforeReplace: boolean;
  /** Conditional replacement notes (e.g. only on a downgrade). */
  notes: string[];
}

/** Key-order-independent JSON, so equal inputs compare equal whatever the order. */
export function stable(v: unknown): string {
  if (v === undefined) return "undefined";
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

function changedInputs(before: Record<string, unknown>, after: Record<string, unknown>): PropertyChange[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .filter((k) => stable(before[k]) !== stable(after[k]))
    .map((k) => ({ property: k, before: forDisplay(before[k]), after: forDisplay(after[k]) }));
}

function change(kind: ChangeKind, r: ResourceSnapshot, extra: Partial<ResourceChange> = {}): ResourceChange {
  return { kind, urn: r.urn, type: r.type, name: r.name, dataBearing: isDataBearing(r.type), changes: [], replacedBy: [], protect: r.protect, deleteBeforeReplace: r.deleteBeforeReplace, notes: [], ...extra };
}

/** Every change from `base` to `now`, in the order: deletes, replaces, updates, creates (then by URN). */
export function diffSnapshots(base: ResourceSnapshot[], now: ResourceSnapshot[]): ResourceChange[] {
  const custom = (rs: ResourceSnapshot[]) => new Map(rs.filter((r) => r.custom).map((r) => [r.urn, r]));
  const before = custom(base);
  const after = custom(now);
  const out: ResourceChange[] = [];
  for (const [urn, b] of before) if (!after.has(urn)) out.push(change("delete", b));
  for (const [urn, a] of after) {
    const b = before.get(urn);
    if (!b) {
      out.push(change("create", a));
      continue;
    }
    const changes = changedInputs(b.inputs, a.inputs);
    if (changes.length === 0) continue;
    const names = changes.map((c) => c.property);
    const replacedBy = replacingProperties(a.type, names);
    const rule = REPLACEMENT_RULES[a.type];
    const notes = Object.entries(rule?.conditional ?? {})
      .filter(([p]) => names.includes(p))
      .map(([p, when]) => `${p} forces a replacement ${when}`);
    if (replacedBy.length === 0) {
      out.push(change("update", a, { changes, notes }));
      continue;
    }
    let collision: string | undefined;
    const nameKey = rule?.physicalName;
    if (nameKey && !a.deleteBeforeReplace) {
      const kept = a.inputs[nameKey];
      if (kept !== undefined && kept !== "" && stable(kept) === stable(b.inputs[nameKey])) collision = String(kept);
    }
    out.push(change("replace", a, { changes, replacedBy, collision, notes }));
  }
  // A resource that moves to a new URN (renamed, re-parented, without an alias) is created
  // before the old one is deleted: under the same physical name, that creation fails too.
  for (const c of out.filter((x) => x.kind === "create")) {
    const nameKey = REPLACEMENT_RULES[c.type]?.physicalName;
    const name = nameKey ? after.get(c.urn)?.inputs[nameKey] : undefined;
    if (name === undefined || name === "") continue;
    const gone = out.find((d) => d.kind === "delete" && d.type === c.type && stable(before.get(d.urn)?.inputs[nameKey!]) === stable(name));
    if (gone) {
      c.collision = String(name);
      c.notes.push(`takes the physical name of ${gone.name}, which is deleted only afterwards (add an alias to keep the resource)`);
    }
  }
  const order: Record<ChangeKind, number> = { delete: 0, replace: 1, update: 2, create: 3 };
  return out.sort((x, y) => order[x.kind] - order[y.kind] || x.urn.localeCompare(y.urn));
}

export interface DiffVerdict {
  /** Replaces and deletes of data-bearing resources refused in production without --allow-replace. */
  refused: ResourceChange[];
  /** Replacements that would fail at deploy on their own physical name. */
  collisions: ResourceChange[];
}

export function verdict(changes: ResourceChange[], opts: { production: boolean; allowReplace: boolean }): DiffVerdict {
  const destructive = changes.filter((c) => c.dataBearing && (c.kind === "replace" || c.kind === "delete"));
  return {
    refused: opts.production && !opts.allowReplace ? destructive : [],
    collisions: changes.filter((c) => c.collision !== undefined),
  };
}

function brief(v: unknown): string {
  const s = typeof v === "string" ? v : (JSON.stringify(v) ?? "undefined");
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/** The report lines of a diff (one line per resource, then its property changes). */
export function renderDiff(changes: ResourceChange[], v: DiffVerdict): string[] {
  if (changes.length === 0) return ["no changes"];
  const lines: string[] = [];
  for (const c of changes) {
    const flags = [c.dataBearing ? "data-bearing" : "", c.protect ? "protected" : "", c.deleteBeforeReplace && c.kind === "replace" ? "delete before replace" : ""].filter(Boolean);
    lines.push(`${c.kind.padEnd(7)} ${c.type} ${c.name}${flags.length ? ` [${flags.join(", ")}]` : ""}`);
    if (c.kind === "replace") lines.push(`          forced by: ${c.replacedBy.join(", ")} (${REPLACEMENT_RULES[c.type]?.source ?? "provider schema"})`);
    for (const p of c.changes) lines.push(`          ${p.property}: ${brief(p.before)} -> ${brief(p.after)}`);
    for (const n of c.notes) lines.push(`          note: ${n}`);
    if (c.collision !== undefined) {
      const what = c.kind === "replace" ? "the replacement" : "it";
      lines.push(`          FAILS AT DEPLOY: ${what} is created under the same name "${c.collision}" before the old one is deleted (${REPLACEMENT_RULES[c.type]?.collision ?? "name already exists"})`);
    }
    if (c.protect && (c.kind === "replace" || c.kind === "delete")) lines.push("          protected: pulumi up refuses this until the resource is unprotected");
  }
  const count = (k: ChangeKind) => changes.filter((c) => c.kind === k).length;
  lines.push("", `${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("delete")} to delete`);
  if (v.refused.length > 0) {
    lines.push(`production: ${v.refused.length} data-bearing resource(s) would be replaced or deleted; refused without --allow-replace`);
  }
  return lines;
}
