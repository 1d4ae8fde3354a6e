/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the CLI would, without it:
 * for the offline review, the sandbox and the mocks harness. `secure:` values cannot
 * be decrypted here; none of our settings needs one (secrets are generated).
 */
import { join } from "node:path";
import { parse, YAMLError } from "yaml";
import { InputFileError, readRegularFileSync } from "../boundedFile";
import { parseSettings, type RawStackConfig } from "./load";
import type { Settings } from "./schema";

export const PROJECT_ROOT = join(__dirname, "..", "..");

export interface StackFile {
  project: string;
  stack: string;
  path: string;
  /** Namespaced config as the CLI hands it to the program: objects JSON-encoded. */
  config: Record<string, string>;
  raw: RawStackConfig;
}

export class StackFileError extends Error {}

/**
 * Reads and parses a YAML file (a regular file of at most 1 MiB). A YAML error names the
 * line and column only: the library's message quotes the offending line, which may hold
 * a secret.
 */
function readYaml(path: string, what: string): unknown {
  let text: string;
  try {
    text = readRegularFileSync(path, { what });
  } catch (e) {
    if (e instanceof InputFileError) throw new StackFileError(e.message);
    throw e;
  }
  try {
    // uniqueKeys (the default) refuses a key given twice; maxAliasCount bounds alias expansion ("billion laughs").
    return parse(text, { maxAliasCount: 100 });
  } catch (e) {
    if (!(e instanceof YAMLError)) throw new StackFileError(`${path}: not valid YAML`);
    const at = e.linePos?.[0];
    throw new StackFileError(`${path}: not valid YAML${at ? ` at line ${at.line}, column ${at.col}` : ""} (${e.code}); the line is not shown, it may hold a secret`);
  }
}

export function projectName(root = PROJECT_ROOT): string {
  const doc = readYaml(join(root, "Pulumi.yaml"), "project file") as { name?: unknown } | null;
  if (typeof doc?.name !== "string") throw new StackFileError(`${join(root, "Pulumi.yaml")}: expected a "name"`);
  return doc.name;
}

function own(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A stack name as a file-name part: Pulumi's own characters, no path separator, no leading dot. */
const STACK_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$/;

/** Loads a stack file by stack name, or from an explicit path (`file`). */
export function readStackFile(stack: string, opts: { root?: string; file?: string } = {}): StackFile {
  const root = opts.root ?? PROJECT_ROOT;
  // The name becomes a file name beside Pulumi.yaml: a path ("../x", "a/b") would read another file or print "Pulumi.../x.yaml".
  if (opts.file === undefined && !STACK_NAME.test(stack)) {
    throw new StackFileError(`stack name ${JSON.stringify(stack)} is not valid: expected letters, digits, "-", "_" or "." (not starting with "."), naming Pulumi.<stack>.yaml beside Pulumi.yaml`);
  }
  const project = projectName(root);
  const path = opts.file ?? join(root, `Pulumi.${stack}.yaml`);
  let doc: unknown;
  try {
    doc = readYaml(path, "stack file");
  } catch (e) {
    if (e instanceof StackFileError && / no such file$/.test(e.message)) throw new StackFileError(`${path}: no such stack file (expected Pulumi.${stack}.yaml beside Pulumi.yaml)`);
    throw e;
  }
  if (doc !== null && doc !== undefined && (typeof doc !== "object" || Array.isArray(doc))) throw new StackFileError(`${path}: expected a YAML mapping with a "config" key`);
  const cfg = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof cfg !== "object" || cfg === null || Array.isArray(cfg)) throw new StackFileError(`${path}: "config" must be a mapping`);
  const config: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let awsRegion: string | undefined;
  for (const [key, value] of Object.entries(cfg as Record<string, unknown>)) {
    const full = key.includes(":") ? key : `${project}:${key}`;
    if (typeof value === "object" && value !== null && "secure" in value) {
      throw new StackFileError(`${path}: ${full} is a secure value, which cannot be read without the Pulumi CLI; no setting of this project needs one`);
    }
    // defineProperty, not assignment: a key "__proto__" must stay a key (and be refused as unknown), not become the prototype.
    own(config, full, typeof value === "string" ? value : JSON.stringify(value));
    if (full === "aws:region") awsRegion = String(value);
    else if (full.startsWith(`${project}:`)) own(values, full.slice(project.length + 1), value);
  }
  return { project, stack, path, config, raw: { project, stack, source: path.startsWith(root) ? path.slice(root.length + 1) : path, values, awsRegion } };
}

/** Reads and validates a stack's settings in one step. */
export function loadStackSettings(stack: string, opts: { root?: string; file?: string } = {}): Settings {
  return parseSettings(readStackFile(stack, opts).raw);
}
