// The bundle scripts/run.mjs runs: one CommonJS file per entry holding the repository's
// own modules (packages stay external), named by the content of every file in it and
// rebuilt only when one of them changes. The manifest beside it lists those files with
// the digest of the bytes esbuild read, so checking it costs a read and a hash per file.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, extname, join, relative } from "node:path";
import process from "node:process";

const digest = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The bundle for `entry` when every file it holds is unchanged, else undefined. */
function fresh(manifestFile, root) {
  if (!existsSync(manifestFile)) return undefined;
  try {
    const m = JSON.parse(readFileSync(manifestFile, "utf8"));
    if (!existsSync(m.bundle)) return undefined;
    for (const [file, hash] of Object.entries(m.inputs)) {
      if (digest(readFileSync(join(root, file))) !== hash) return undefined;
    }
    return m.bundle;
  } catch {
    // A file gone or a manifest cut short by a concurrent writer: rebuild.
    return undefined;
  }
}

/**
 * Bundled modules must behave as they do when run one file at a time: `__dirname` and
 * `__filename` name the source file (catalogues, Dockerfiles and policy configs are read
 * beside it), and `require.main === module` is true only in the entry (in one bundle
 * every module shares one `module`, so each CLI's main would otherwise run).
 */
export function asSeparateFile(source, file, isEntry) {
  return source
    .replace(/require\.main\s*===\s*module/g, isEntry ? "true" : "false")
    .replace(/\b__dirname\b/g, JSON.stringify(dirname(file)))
    .replace(/\b__filename\b/g, JSON.stringify(file));
}

const LOADERS = { ".ts": "ts", ".json": "json", ".js": "js", ".cjs": "js", ".mjs": "js" };

/** Path of an up-to-date bundle of `entry` (absolute), building it when needed. */
export async function bundleFor(entry, { root, dir }) {
  const name = relative(root, entry).replace(/\.[cm]?ts$/, "").replace(/[/\\]/g, "+");
  const manifestFile = join(dir, `${name}.json`);
  const cached = fresh(manifestFile, root);
  if (cached) return cached;

  const inputs = {};
  // Loaded only to rebuild: an unchanged bundle does not pay for esbuild's module.
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    packages: "external",
    write: false,
    // Silent: on a failure run.mjs falls back to tsx, which reports the error itself.
    logLevel: "silent",
    plugins: [
      {
        name: "separate-files",
        setup(b) {
          b.onLoad({ filter: /.*/ }, (args) => {
            const bytes = readFileSync(args.path);
            inputs[relative(root, args.path)] = digest(bytes);
            const loader = LOADERS[extname(args.path)] ?? "text";
            const contents = loader === "ts" ? asSeparateFile(bytes.toString("utf8"), args.path, args.path === entry) : bytes;
            return { contents, loader };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0].contents;
  const bundle = join(dir, `${name}-${digest(code).slice(0, 16)}.cjs`);
  mkdirSync(dir, { recursive: true });
  // Written under a private name, then renamed: a concurrent run never reads half a file.
  const tmp = `${bundle}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, bundle);
  writeFileSync(`${manifestFile}.${process.pid}.tmp`, JSON.stringify({ bundle, inputs }));
  renameSync(`${manifestFile}.${process.pid}.tmp`, manifestFile);
  // Older bundles of this entry; a process still running one has it loaded already.
  for (const f of readdirSync(dir)) {
    if (f.startsWith(`${name}-`) && f.endsWith(".cjs") && join(dir, f) !== bundle) rmSync(join(dir, f), { force: true });
  }
  return bundle;
}
