/**
 * Remembers the router's last build so an unchanged router is not bundled again on every
 * evaluation of the program (esbuild took ~0.3 s of a 2 s review). The index lists every
 * file the build read with the digest of its bytes, and the content-named folder it made;
 * it counts only while each file still has that digest and the folder is still there.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface Index {
  /** Path relative to the build's working directory -> sha256 of its bytes. */
  inputs: Record<string, string>;
  dir: string;
}

function digestOf(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** The folder of the last build when none of its inputs changed and its files remain. */
export function unchangedBuild(indexFile: string, root: string, files: string[]): string | undefined {
  try {
    const index = JSON.parse(readFileSync(indexFile, "utf8")) as Index;
    if (!files.every((f) => existsSync(join(index.dir, f)))) return undefined;
    for (const [file, digest] of Object.entries(index.inputs)) if (digestOf(join(root, file)) !== digest) return undefined;
    return index.dir;
  } catch {
    // No index yet, a file gone, or an index another process is writing: build.
    return undefined;
  }
}

/** Records a build: `inputs` are the paths (relative to `root`) esbuild's metafile names. */
export function recordBuild(indexFile: string, root: string, inputs: string[], dir: string): void {
  try {
    const index: Index = { inputs: Object.fromEntries(inputs.map((f) => [f, digestOf(join(root, f))])), dir };
    const tmp = `${indexFile}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(index));
    renameSync(tmp, indexFile);
  } catch {
    // An input that cannot be read again (or a full disk): no index, so the next evaluation builds.
  }
}
