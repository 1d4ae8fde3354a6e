/**
 * What a built package loads that it does not ship: every `require("…")` in the emitted
 * JavaScript and every `from "…"` / `import("…")` in the declarations, checked against
 * the package's `files` and `dependencies`. A relative path must stay inside a shipped
 * folder (the build emits dist/checks/… when a component imports checks/, which `files`
 * leaves out); a bare name must be a Node built-in or a dependency (a devDependency is
 * not installed for a consumer).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";

export interface PackageShape {
  /** package.json `files` (folders or files, relative to the package root). */
  files: string[];
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Specifiers per kind of file: tsc's CommonJS output loads with require; declarations import and export from, or import(). */
const SPECIFIERS = {
  js: [/\brequire\(\s*["']([^"']+)["']\s*\)/g],
  dts: [/^\s*(?:import|export)\b[^;]*?\bfrom\s+["']([^"']+)["']/gm, /\bimport\(\s*["']([^"']+)["']\s*\)/g],
};

/** Code without comments, so a doc comment's example (`import … from "data-tier"`) is not a require. */
const uncommented = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The package name a bare specifier names: "@scope/name/sub" -> "@scope/name", "pg/lib" -> "pg". */
export function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** A relative specifier's target on disk, as Node (JS) or tsc (.d.ts) would resolve it; null when none exists. */
function resolveRelative(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.js`, `${base}.d.ts`, `${base}.json`, join(base, "index.js"), join(base, "index.d.ts")]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return null;
}

/** Problems, one line each ("<file>: requires <spec> (...)"); empty when the package is self-contained. */
export function unshippedImports(root: string, pkg: PackageShape): string[] {
  const shipped = pkg.files.map((f) => resolve(root, f));
  const isShipped = (p: string) => shipped.some((s) => p === s || p.startsWith(s + sep));
  const deps = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {})]);
  const builtins = new Set(builtinModules);
  const problems: string[] = [];
  for (const dir of shipped.filter((s) => existsSync(s) && statSync(s).isDirectory())) {
    for (const file of filesUnder(dir).filter((f) => /\.(js|d\.ts)$/.test(f))) {
      const text = uncommented(readFileSync(file, "utf8"));
      const at = relative(root, file);
      for (const re of file.endsWith(".d.ts") ? SPECIFIERS.dts : SPECIFIERS.js) {
        for (const m of text.matchAll(re)) {
          const spec = m[1];
          if (spec.startsWith(".")) {
            const target = resolveRelative(file, spec);
            if (!target) problems.push(`${at}: requires ${spec}, which does not exist`);
            else if (!isShipped(target)) problems.push(`${at}: requires ${spec} (${relative(root, target)}), outside what package.json "files" ships (${pkg.files.join(", ")})`);
          } else if (!spec.startsWith("node:") && !builtins.has(spec) && !deps.has(packageOf(spec))) {
            problems.push(`${at}: requires ${spec}, and ${packageOf(spec)} is not in package.json "dependencies"`);
          }
        }
      }
    }
  }
  return [...new Set(problems)].sort();
}
