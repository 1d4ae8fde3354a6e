/**
 * `npm ci` runs no dependency's install script and warns about none: every package in the
 * lockfile that has one is named in package.json `allowScripts` (npm 11 blocks unlisted
 * ones by default, but lists each as "not yet covered by allowScripts" on every install).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { hasInstallScript?: boolean; version?: string }> };

/** Package names with an install script, from the lockfile's node_modules/... keys. */
function withInstallScripts(packages: typeof lock.packages): string[] {
  return [...new Set(Object.entries(packages).filter(([path, p]) => path !== "" && p.hasInstallScript).map(([path]) => path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length)))].sort();
}

describe("install scripts", () => {
  it("every dependency with an install script is decided in allowScripts (no npm ci warning)", () => {
    const decided = new Set(Object.keys(pkg.allowScripts ?? {}).map((k) => k.replace(/(?<=.)@[^@]*$/, "")));
    const found = withInstallScripts(lock.packages);
    expect(found.length).toBeGreaterThan(0);
    expect(found.filter((name) => !decided.has(name))).toEqual([]);
  });

  it("none is allowed to run: the project needs no native build", () => {
    expect(Object.entries(pkg.allowScripts ?? {}).filter(([, allowed]) => allowed !== false)).toEqual([]);
  });

  it("reads scoped and nested names from the lockfile (the reader itself)", () => {
    expect(withInstallScripts({ "": { hasInstallScript: true }, "node_modules/a": { hasInstallScript: true }, "node_modules/x/node_modules/@s/b": { hasInstallScript: true }, "node_modules/c": {} })).toEqual(["@s/b", "a"]);
  });
});
