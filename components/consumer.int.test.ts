/**
 * The library as another program sees it: `npm run build`, then a consumer in a temp
 * folder that depends on the package by name (a `file:` dependency, as npm links it),
 * type-checks against the emitted declarations and registers a component under mocks.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unshippedImports } from "../testing/packageImports";

const ROOT = join(__dirname, "..");
const node = process.execPath;
let dir: string;

const CONSUMER = `
import * as pulumi from "@pulumi/pulumi";
import { RedisCluster, settings, type RedisClusterArgs } from "data-tier";

const registered: string[] = [];
pulumi.runtime.setMocks(
  {
    newResource: (a) => {
      registered.push(a.type);
      const state = a.type === "random:index/randomPassword:RandomPassword" ? { ...a.inputs, result: "consumer-generated-password" } : a.inputs;
      return { id: a.name + "-id", state };
    },
    call: () => ({}),
  },
  "consumer", "test", false,
);

// Redis settings of the consumer's own choosing, completed by the library's defaults.
const profile = settings.profileFor({ platform: "docker", production: false });
const args: RedisClusterArgs = {
  settings: { ...profile.redis, replicas: 2 },
  replicationGroupId: "consumer-cache",
  docker: { networkName: "consumer-net" },
};
const cache = new RedisCluster("cache", args);
cache.urn.apply(async () => {
  await pulumi.runtime.disconnect();
  console.log(JSON.stringify(registered));
});
`;

beforeAll(() => {
  execFileSync(node, [join(ROOT, "scripts", "build.mjs")], { cwd: ROOT, stdio: "pipe" });
  dir = mkdtempSync(join(tmpdir(), "data-tier-consumer-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "consumer",
      private: true,
      // One copy of the Pulumi runtime for the consumer and the library (mocks are global).
      dependencies: { "data-tier": `file:${ROOT}`, "@pulumi/pulumi": `file:${join(ROOT, "node_modules", "@pulumi", "pulumi")}` },
    }),
  );
  writeFileSync(join(dir, "index.ts"), CONSUMER);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { target: "ES2022", module: "node16", moduleResolution: "node16", strict: true, skipLibCheck: true, esModuleInterop: true, types: [] }, files: ["index.ts"] }),
  );
  execFileSync("npm", ["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "pipe" });
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("data-tier as a package", () => {
  it("emits JavaScript and declarations, with the image build context beside them", () => {
    for (const f of ["index.js", "index.d.ts", "redis/index.d.ts", "pgbouncer/image/Dockerfile"]) expect(existsSync(join(ROOT, "dist", "components", f)), f).toBe(true);
    // The checks task packages the smoke suite (checks/, not shipped): the repository's stacks deploy it, the library does not.
    expect(existsSync(join(ROOT, "dist", "components", "checkstask"))).toBe(false);
  });

  it("loads nothing it does not ship: every require stays in dist/components or names a dependency", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(unshippedImports(ROOT, pkg)).toEqual([]);
    // A component importing checks/ (or testing/) made the build emit dist/checks, which "files" leaves out.
    expect(readdirSync(join(ROOT, "dist"))).toEqual(["components"]);
  });

  it("is imported by name, type-checks and registers a component", () => {
    execFileSync(node, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { cwd: dir, stdio: "pipe" });
    const out = execFileSync(node, [join(dir, "index.js")], { cwd: dir, encoding: "utf8" });
    const types = JSON.parse(out.trim().split("\n").pop() ?? "[]") as string[];
    expect(types).toContain("datatier:redis:RedisCluster");
    // Master + 2 replicas from the consumer's own settings, not the stack's.
    expect(types.filter((t) => t === "docker:index/container:Container").length).toBeGreaterThanOrEqual(3);
  });

  it("refuses a type error in the consumer's args at compile time", () => {
    writeFileSync(join(dir, "bad.ts"), `import type { RedisClusterArgs } from "data-tier";\nexport const a: RedisClusterArgs = { replicationGroupId: 1 };\n`);
    writeFileSync(join(dir, "tsconfig.bad.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["bad.ts"], compilerOptions: { noEmit: true } }));
    let message = "";
    try {
      execFileSync(node, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, "tsconfig.bad.json")], { cwd: dir, encoding: "utf8" });
    } catch (e) {
      message = String((e as { stdout?: string }).stdout);
    }
    expect(message).toMatch(/bad\.ts\(2,\d+\): error TS2322/);
  });
});
