// `npm run build`: compile the library (tsconfig.build.json) into dist/ and copy the
// files components read at run time (image build contexts, catalogues) beside the
// JavaScript, so dist/components works on its own.
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import process from "node:process";

const root = join(import.meta.dirname, "..");
rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });

const compiled = /\.(ts|mts|cts)$/;
// Not part of the library (tsconfig.build.json excludes it): the checks task packages the
// smoke suite (checks/), which the package does not ship; stacks/ deploys it from the repository.
const notInLibrary = new Set([join(root, "components", "checkstask")]);
function copyAssets(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (notInLibrary.has(path)) continue;
    if (statSync(path).isDirectory()) copyAssets(path);
    else if (!compiled.test(name)) cpSync(path, join(root, "dist", relative(root, path)));
  }
}
copyAssets(join(root, "components"));
