// The unit tests' shared evaluations (shared.ts): a stored run is the live run, and any
// change to what the evaluation reads names another file, so a stale run is never read.
import { cpSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildSync } from "esbuild";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../components/settings/stackFile";
import { testTempDir } from "../../testing/tempDir";
import { runProgram } from "./program";
import { SHARED_RUNS_ENV, SOURCES, digestOfSources, sharedRunFile } from "./shared";

describe("shared evaluations", () => {
  it.each(["prod", "dev"])("%s: the stored run is exactly the live one (types included)", async (stack) => {
    const dir = testTempDir("shared-runs-");
    const env = { [SHARED_RUNS_ENV]: dir };
    const file = sharedRunFile({ stack }, env)!;
    const saved = process.env[SHARED_RUNS_ENV];
    process.env[SHARED_RUNS_ENV] = dir;
    try {
      const live = await runProgram({ stack });
      expect(readdirSync(dir)).toEqual([relative(dir, file)]);
      const stored = await runProgram({ stack });
      expect(stored).not.toBe(live);
      expect(stored).toStrictEqual(live);
      expect(stored.resources.length).toBeGreaterThan(10);
    } finally {
      if (saved === undefined) delete process.env[SHARED_RUNS_ENV];
      else process.env[SHARED_RUNS_ENV] = saved;
    }
  }, 120_000);

  it("only a plain run is shared, and only when the variable names a folder", () => {
    const env = { [SHARED_RUNS_ENV]: "/tmp/x" };
    expect(sharedRunFile({ stack: "prod" }, env)).toMatch(/^\/tmp\/x\/prod-[0-9a-f]{24}\.v8$/);
    expect(sharedRunFile({ stack: "prod", file: undefined }, env)).toBeDefined();
    expect(sharedRunFile({ stack: "prod", overrides: {} }, env)).toBeUndefined();
    expect(sharedRunFile({ stack: "prod", preview: true }, env)).toBeUndefined();
    expect(sharedRunFile({ stack: "prod", file: "Pulumi.prod.yaml" }, env)).toBeUndefined();
    expect(sharedRunFile({ stack: "prod" }, {})).toBeUndefined();
  });

  it("the digest changes with any file under the sources, tests included", () => {
    const root = testTempDir("shared-src-");
    for (const p of ["stacks", "Pulumi.yaml"]) cpSync(join(PROJECT_ROOT, p), join(root, p), { recursive: true });
    const before = digestOfSources(root);
    expect(digestOfSources(root)).toBe(before);
    writeFileSync(join(root, "stacks", "new.test.ts"), "// a new file\n");
    expect(digestOfSources(root)).not.toBe(before);
  });

  it("the program imports nothing outside the sources", () => {
    const { metafile } = buildSync({
      entryPoints: [join(PROJECT_ROOT, "stacks", "program.ts"), join(PROJECT_ROOT, "tools", "evaluate", "program.ts")],
      absWorkingDir: PROJECT_ROOT,
      bundle: true,
      platform: "node",
      packages: "external",
      write: false,
      outdir: "out",
      metafile: true,
      logLevel: "silent",
    });
    const outside = Object.keys(metafile.inputs).filter((f) => !SOURCES.some((s) => f === s || f.startsWith(`${s}/`)));
    expect(Object.keys(metafile.inputs).length).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });
});
