/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the CLI would, without it:
 * for the offline review, the sandbox and the mocks harness. `secure:` values cannot
 * be decrypted here; none of our settings needs one (secrets are generated).
 */
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
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

export function projectName(root = PROJECT_ROOT): string {
  const doc = parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as { name?: unknown };
  if (typeof doc?.name !== "string") throw new StackFileError(`${join(root, "Pulumi.yaml")}: expected a "name"`);
  return doc.name;
}

/** Loads a stack file by stack name, or from an explicit path (`file`). */
export function readStackFile(stack: string, opts: { root?: string; file?: string } = {}): StackFile {
  const root = opts.root ?? PROJECT_ROOT;
  const project = projectName(root);
  const path = opts.file ?? join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(path)) throw new StackFileError(`${path}: no such stack file (expected Pulumi.${stack}.yaml beside Pulumi.yaml)`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new StackFileError(`${path}: not valid YAML: ${(e as Error).message}`);
  }
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
    config[full] = typeof value === "string" ? value : JSON.stringify(value);
    if (full === "aws:region") awsRegion = String(value);
    else if (full.startsWith(`${project}:`)) values[full.slice(project.length + 1)] = value;
  }
  return { project, stack, path, config, raw: { project, stack, source: path.startsWith(root) ? path.slice(root.length + 1) : path, values, awsRegion } };
}

/** Reads and validates a stack's settings in one step. */
export function loadStackSettings(stack: string, opts: { root?: string; file?: string } = {}): Settings {
  return parseSettings(readStackFile(stack, opts).raw);
}
