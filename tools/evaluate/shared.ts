/**
 * One evaluation per stack shared by the unit tests that only read it. Evaluating the
 * program under mocks costs 1-2 s of CPU, and two dozen test files (each its own process:
 * Pulumi's runtime is global) evaluate `prod` or `dev` exactly as the stack file says.
 * When DATA_TIER_SHARED_RUNS names a folder (relative to the project root; the unit
 * project sets it in vitest.config.mts; the review and the command lines never do), such
 * a plain run (a stack name, nothing else) is stored there after its first evaluation
 * and read back by the next ones.
 *
 * A stored run is named by the content of everything the evaluation reads: the program,
 * the components and what they import or read at run time (see SOURCES; a test checks
 * the program imports nothing outside them), the stack files and the lock file; any
 * change is a new name, so a stale run is never read. Each reader gets its own copy.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { deserialize, serialize } from "node:v8";
import { PROJECT_ROOT } from "../../components/settings/stackFile";

export const SHARED_RUNS_ENV = "DATA_TIER_SHARED_RUNS";

/**
 * What an evaluation can read, relative to the project root: folders (every file, tests
 * too: the checks image's tag hashes checks/ and components/ whole) and single files.
 */
export const SOURCES = ["stacks", "components", "checks", "devstack", "tools/evaluate", "Pulumi.yaml", "package-lock.json", "tsconfig.json"];

function filesUnder(root: string, path: string): string[] {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full)
    .sort()
    .filter((n) => n !== "node_modules")
    .flatMap((n) => filesUnder(root, `${path}/${n}`));
}

let sourcesDigest: string | undefined;

/** Digest of every source an evaluation reads (once per process: a test run edits none). */
export function digestOfSources(root = PROJECT_ROOT): string {
  if (sourcesDigest && root === PROJECT_ROOT) return sourcesDigest;
  const h = createHash("sha256");
  for (const f of SOURCES.flatMap((p) => filesUnder(root, p))) h.update(`\0${f}\0`).update(readFileSync(join(root, f)));
  const d = h.digest("hex");
  if (root === PROJECT_ROOT) sourcesDigest = d;
  return d;
}

/** The stored run's file for these options, or undefined when the run must be live. */
export function sharedRunFile(opts: { stack: string } & Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dir = env[SHARED_RUNS_ENV];
  // Overrides, another stack file, a preview or injected state: evaluated live.
  if (!dir || Object.entries(opts).some(([k, v]) => k !== "stack" && v !== undefined)) return undefined;
  const stackFile = join(PROJECT_ROOT, `Pulumi.${opts.stack}.yaml`);
  const key = createHash("sha256")
    .update(`${opts.stack}\0${PROJECT_ROOT}\0${tmpdir()}\0${process.version}\0${digestOfSources()}\0`)
    .update(existsSync(stackFile) ? readFileSync(stackFile) : "")
    .digest("hex");
  return resolve(PROJECT_ROOT, dir, `${opts.stack}-${key.slice(0, 24)}.v8`);
}

/** A fresh copy of the stored run, or undefined when there is none yet. */
export function readSharedRun<T>(file: string): T | undefined {
  try {
    return deserialize(readFileSync(file)) as T;
  } catch {
    return undefined;
  }
}

export function writeSharedRun(file: string, run: unknown): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  // Under a private name, then renamed: a reader never sees half a run.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, serialize(run));
  renameSync(tmp, file);
  // Runs of this stack from earlier trees are never read again.
  const stack = basename(file).replace(/-[0-9a-f]{24}\.v8$/, "");
  for (const f of readdirSync(dir)) {
    if (f !== basename(file) && f.startsWith(`${stack}-`) && /^-[0-9a-f]{24}\.v8$/.test(f.slice(stack.length))) rmSync(join(dir, f), { force: true });
  }
}
