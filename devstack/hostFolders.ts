/**
 * The host folders the runner binds into containers (`hostPath` volumes). They all lie
 * under the stack's folder (`--dir`), and `up` records them there, so `down` can remove
 * them (they hold the removed containers' runtime state, e.g. the read router's
 * state.json, which would otherwise be read stale) and `down --purge` removes exactly what
 * the stack created: those folders, the outputs, the kept passwords, this record, and the
 * stack's folder itself once nothing else is left in it.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative, resolve, isAbsolute } from "node:path";
import type { DevPlan } from "./plan";

export const HOST_FOLDERS_FILE = "host-folders.json";

/** Every host folder the plan binds, sorted and de-duplicated. */
export function boundFolders(plan: DevPlan): string[] {
  return [...new Set(plan.waves.flat().flatMap((c) => c.volumes.flatMap((v) => ("hostPath" in v ? [resolve(v.hostPath)] : []))))].sort();
}

const inside = (dir: string, p: string) => {
  const r = relative(resolve(dir), resolve(p));
  return r !== "" && !r.startsWith("..") && !isAbsolute(r);
};

/** Problems (empty: none) with the plan's host folders: each must lie inside the stack's folder. */
export function hostFolderProblems(plan: DevPlan, dir: string): string[] {
  return boundFolders(plan)
    .filter((f) => !inside(dir, f))
    .map((f) => `a container binds host folder ${f}, outside the dev stack's folder ${resolve(dir)} (--dir): \`down --purge\` could not tell it is the stack's`);
}

function recorded(dir: string): string[] {
  const file = join(dir, HOST_FOLDERS_FILE);
  if (!existsSync(file)) return [];
  const v = JSON.parse(readFileSync(file, "utf8")) as unknown;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Records the plan's host folders (with those recorded before) in the stack's folder. */
export function recordHostFolders(plan: DevPlan, dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const all = [...new Set([...recorded(dir), ...boundFolders(plan)])].sort();
  writeFileSync(join(dir, HOST_FOLDERS_FILE), JSON.stringify(all, null, 1) + "\n", { mode: 0o600 });
}

/** Removes the recorded host folders (only those inside `dir`); returns them. */
export function removeHostFolders(dir: string): string[] {
  const folders = recorded(dir).filter((f) => inside(dir, f) && existsSync(f));
  for (const f of folders) {
    rmSync(f, { recursive: true, force: true });
    // Parents the runner created on the way (mkdir -p), up to the stack's folder, when empty.
    for (let p = dirname(f); inside(dir, p) && existsSync(p) && readdirSync(p).length === 0; p = dirname(p)) rmdirSync(p);
  }
  return folders;
}

/**
 * `down --purge`: the host folders, then the files the runner writes (`files`, the record),
 * then the stack's folder when empty. Returns what was left because it is not the stack's.
 */
export function purgeStackDir(dir: string, files: string[]): string[] {
  removeHostFolders(dir);
  for (const f of [...files, join(dir, HOST_FOLDERS_FILE)]) rmSync(f, { force: true });
  if (!existsSync(dir)) return [];
  const left = readdirSync(dir);
  if (left.length === 0) rmdirSync(dir);
  return left.map((x) => join(dir, x));
}
