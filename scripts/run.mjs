// `node scripts/run.mjs <entry.ts> [args...]`: runs one of the repository's TypeScript
// command lines from a prebuilt bundle instead of through tsx.
//
// Why (docs/review.md#where-the-time-goes): under tsx every file is transpiled through
// its loader hooks, and tsx turns source maps on, so each `new Error().stack` the Pulumi
// SDK takes per promise (hundreds per program) is mapped back to TypeScript: together
// about a second of a 2.5 s review. The bundle is the repository's own files (packages
// stay in node_modules, loaded as they are), rebuilt by esbuild when the content of any
// file it holds changes, and V8's compile cache keeps the compiled code of both.
//
// DATA_TIER_TSX=1 runs the entry through tsx as before (TypeScript line numbers in stacks).
import { spawnSync } from "node:child_process";
import module from "node:module";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { bundleFor } from "./bundle.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Beside the packages: gitignored with them, and removed by `npm ci` when they change.
const cache = join(root, "node_modules", ".cache", "data-tier");

const [entryArg, ...args] = process.argv.slice(2);
if (!entryArg) {
  process.stderr.write("usage: node scripts/run.mjs <entry.ts> [args...]\n");
  process.exit(2);
}
const entry = resolve(root, entryArg);

function throughTsx() {
  const r = spawnSync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), entry, ...args], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

if (process.env.DATA_TIER_TSX === "1") throughTsx();

// Node >= 22.1; on an older Node the bundle alone still pays.
module.enableCompileCache?.(join(cache, "v8"));
let bundle;
try {
  bundle = await bundleFor(entry, { root, dir: join(cache, "bundles") });
} catch (e) {
  // A file esbuild cannot parse, or a cache that cannot be written: tsx reports the
  // former as it always did, and runs the entry in the latter case.
  process.stderr.write(`run.mjs: no bundle of ${entryArg} (${e?.errors?.[0]?.text ?? String(e?.message ?? e).split("\n")[0]}); running it through tsx\n`);
  throughTsx();
}
// The entry sees the argv it would under tsx: [node, entry.ts, ...args].
process.argv = [process.argv[0], entry, ...args];
module.createRequire(import.meta.url)(bundle);
