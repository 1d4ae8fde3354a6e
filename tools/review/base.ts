/**
 * `review --base <git-ref>`: the program and stack file as they are at a git ref,
 * evaluated under the same mocks, as a snapshot (snapshot.ts) to diff against now.
 *
 * How: `git archive <ref>` unpacked into a fresh temporary directory (no change to the
 * repository: no worktree, no checkout, no index), this repository's node_modules
 * linked into it, and the ref's own program evaluator (tools/evaluate/program.ts, or
 * testing/harness.ts in trees from before it moved) run by a child process (bundled by
 * scripts/bundle.mjs, as the review itself is) with that directory as its root and
 * working directory. A child, because Pulumi's runtime
 * is global to a process and the two trees' modules must not mix. The directory is
 * removed whatever happens; the child is killed after a bound.
 *
 * The child half is this file's `main` (run as a script).
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { snapshotOf, type RecordedLike, type ResourceSnapshot } from "./snapshot";

export const REPO_ROOT = join(__dirname, "..", "..");
/** Environment variable carrying the digest key to the child (never printed). */
const KEY_ENV = "REVIEW_BASE_DIGEST_KEY";
/** Bound on the child's run; a normal one takes a few seconds. */
export const BASE_TIMEOUT_MS = 180_000;

export class BaseError extends Error {}

export interface BaseOptions {
  ref: string;
  stack: string;
  /** The current stack file, when not Pulumi.<stack>.yaml; the same path inside the ref is used when it lies in the repository. */
  file?: string;
  /** Digest key shared with the current run's snapshot. */
  key: string;
  repoRoot?: string;
  timeoutMs?: number;
}

export interface BaseSnapshot {
  ref: string;
  /** The commit the ref named. */
  commit: string;
  /** Stack file path inside the tree, relative to its root. */
  stackFile: string;
  /** False when the stack file does not exist at the ref: every resource is then a create. */
  existed: boolean;
  resources: ResourceSnapshot[];
}

/** Where a tree keeps its program evaluator, newest layout first. */
const EVALUATORS = ["tools/evaluate/program.ts", "testing/harness.ts"];

function evaluatorIn(root: string): string | undefined {
  return EVALUATORS.map((p) => join(root, p)).find((p) => existsSync(p));
}

export function newDigestKey(): string {
  return randomBytes(32).toString("hex");
}

function git(root: string, args: string[]): string {
  return execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** The commit a ref names, or a BaseError naming the ref. */
export function resolveRef(root: string, ref: string): string {
  if (ref.startsWith("-")) throw new BaseError(`--base: "${ref}" is not a git ref`);
  try {
    return git(root, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  } catch {
    throw new BaseError(`--base: "${ref}" names no commit in ${root} (try a branch, tag or sha; in CI fetch the base branch first)`);
  }
}

function stackFileInTree(root: string, stack: string, file?: string): string {
  if (!file) return `Pulumi.${stack}.yaml`;
  const rel = relative(root, resolve(file));
  if (rel.startsWith("..") || isAbsolute(rel)) return `Pulumi.${stack}.yaml`;
  return rel;
}

/** Runs a child and returns its stdout; kills it after the bound. */
function runChild(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), timedOut });
    });
  });
}

/** Evaluates the program and stack file at `ref` and returns their snapshot. */
export async function snapshotAtRef(o: BaseOptions): Promise<BaseSnapshot> {
  const root = o.repoRoot ?? REPO_ROOT;
  const commit = resolveRef(root, o.ref);
  const stackFile = stackFileInTree(root, o.stack, o.file);
  const dir = mkdtempSync(join(tmpdir(), "review-base-"));
  try {
    // git archive writes a tar of the committed tree; tar unpacks it (both stream, no shell).
    const tar = execFileSync("git", ["-C", root, "archive", "--format=tar", commit], { maxBuffer: 512 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
    if (!existsSync(join(dir, stackFile))) return { ref: o.ref, commit, stackFile, existed: false, resources: [] };
    if (!evaluatorIn(dir)) throw new BaseError(`--base ${o.ref}: the tree has neither ${EVALUATORS.join(" nor ")}, so its program cannot be evaluated offline`);
    // This checkout's dependencies (the review runs from here), not the ref's lock file.
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");

    // Started the way `npm run review` starts (scripts/run.mjs): bundled, not through tsx.
    const args = [join(REPO_ROOT, "scripts", "run.mjs"), join(__dirname, "base.ts"), dir, o.stack, join(dir, stackFile)];
    const env = { ...process.env, [KEY_ENV]: o.key, NO_COLOR: "1" };
    const r = await runChild(process.execPath, args, dir, env, o.timeoutMs ?? BASE_TIMEOUT_MS);
    if (r.timedOut) throw new BaseError(`--base ${o.ref}: evaluating the program at ${commit.slice(0, 12)} took longer than ${Math.round((o.timeoutMs ?? BASE_TIMEOUT_MS) / 1000)} s; stopped`);
    if (r.code !== 0) {
      const reason = r.stderr.trim().split("\n").slice(0, 20).join("\n") || `exit code ${r.code}`;
      throw new BaseError(`--base ${o.ref}: the program or ${stackFile} at ${commit.slice(0, 12)} does not evaluate:\n${reason}`);
    }
    let resources: ResourceSnapshot[];
    try {
      resources = JSON.parse(r.stdout) as ResourceSnapshot[];
    } catch {
      throw new BaseError(`--base ${o.ref}: the evaluation at ${commit.slice(0, 12)} printed no snapshot`);
    }
    return { ref: o.ref, commit, stackFile, existed: true, resources };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Child: run the tree's own harness for the stack and print its snapshot as JSON. */
async function main(root: string, stack: string, file: string): Promise<void> {
  const key = process.env[KEY_ENV];
  if (!key) throw new Error(`${KEY_ENV} is not set`);
  // The tree's own evaluator and program, not this repository's: bundled from that tree
  // (its own files, its __dirname) like this process, since no TypeScript loader runs here.
  const { bundleFor } = await import("../../scripts/bundle.mjs");
  const bundle = await bundleFor(evaluatorIn(root)!, { root, dir: join(root, ".review-bundle") });
  const harness = createRequire(__filename)(bundle) as { runProgram: (o: { stack: string; file?: string }) => Promise<{ resources: RecordedLike[] }> };
  const run = await harness.runProgram({ stack, file });
  // Exit only once the pipe has taken every byte: process.exit right after a large write
  // to a pipe cuts the snapshot short.
  const text = JSON.stringify(snapshotOf(run.resources, key, root));
  await new Promise<void>((resolve, reject) => process.stdout.write(text, (e) => (e ? reject(e) : resolve())));
}

if (require.main === module) {
  const [root, stack, file] = process.argv.slice(2);
  main(root, stack, file).then(
    () => process.exit(0),
    (e: unknown) => {
      // The message only (settings problems name their keys); never the digest key or inputs.
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
