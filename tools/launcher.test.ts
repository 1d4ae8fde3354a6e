// scripts/run.mjs and scripts/bundle.mjs: the bundle `npm run review` (and the other
// command lines) runs must behave as the files run one by one under tsx, and must never
// be stale.
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { asSeparateFile, bundleFor } from "../scripts/bundle.mjs";
import { testTempDir } from "../testing/tempDir";

describe("asSeparateFile", () => {
  it("gives each module its own __dirname and __filename, and a main only to the entry", () => {
    const src = 'const a = join(__dirname, "x"); const f = __filename;\nif (require.main === module) main();';
    expect(asSeparateFile(src, "/t/lib/a.ts", false)).toBe('const a = join("/t/lib", "x"); const f = "/t/lib/a.ts";\nif (false) main();');
    expect(asSeparateFile(src, "/t/lib/a.ts", true)).toContain("if (true) main();");
  });
});

describe("bundleFor", () => {
  function tree(): { root: string; dir: string; entry: string } {
    const root = testTempDir("bundle-");
    mkdirSync(join(root, "lib"));
    writeFileSync(join(root, "lib", "value.ts"), 'export const value: string = "one";\nexport const here = __dirname;\n');
    const entry = join(root, "main.ts");
    writeFileSync(entry, 'import { here, value } from "./lib/value";\nif (require.main === module) console.log(value, here);\n');
    return { root, dir: join(root, "cache"), entry };
  }
  const run = (bundle: string) => spawnSync(process.execPath, [bundle], { encoding: "utf8" }).stdout.trim();

  it("reuses the bundle while no file in it changes, and rebuilds when one does", async () => {
    const t = tree();
    const first = await bundleFor(t.entry, t);
    expect(run(first)).toBe(`one ${join(t.root, "lib")}`);
    expect(await bundleFor(t.entry, t)).toBe(first);
    writeFileSync(join(t.root, "lib", "value.ts"), 'export const value: string = "two";\nexport const here = __dirname;\n');
    const second = await bundleFor(t.entry, t);
    expect(second).not.toBe(first);
    expect(run(second)).toBe(`one ${join(t.root, "lib")}`.replace("one", "two"));
  });

  it("runs the entry through scripts/run.mjs with the argv tsx would give it", () => {
    const t = tree();
    writeFileSync(t.entry, "console.log(JSON.stringify(process.argv.slice(1)));\n");
    const r = spawnSync(process.execPath, [join(__dirname, "..", "scripts", "run.mjs"), t.entry, "--flag", "x"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([t.entry, "--flag", "x"]);
    // The launcher caches in the repository's node_modules: leave nothing of this entry there.
    const root = join(__dirname, "..");
    const cache = join(root, "node_modules", ".cache", "data-tier", "bundles");
    const name = relative(root, t.entry).replace(/\.ts$/, "").replace(/[/\\]/g, "+");
    for (const f of readdirSync(cache)) if (f.startsWith(name)) rmSync(join(cache, f));
  });
});
