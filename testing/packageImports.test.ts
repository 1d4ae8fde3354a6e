import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageOf, unshippedImports } from "./packageImports";
import { testTempDir } from "./tempDir";

function pkg(files: Record<string, string>): string {
  const root = testTempDir("package-imports-");
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(root, f, ".."), { recursive: true });
    writeFileSync(join(root, f), text);
  }
  return root;
}

describe("unshippedImports", () => {
  it("passes a package whose files load only what it ships, built-ins and dependencies", () => {
    const root = pkg({
      "dist/components/index.js": 'const a = require("./a");\nconst fs = require("node:fs");\nconst os = require("os");\nconst pg = require("pg");\nconst aws = require("@pulumi/aws/ec2");\n',
      "dist/components/a.js": "exports.x = 1;\n",
      "dist/components/index.d.ts": 'import type { X } from "./a";\nexport declare const y: import("pg").Client;\n',
      "dist/components/a.d.ts": "export type X = 1;\n",
    });
    expect(unshippedImports(root, { files: ["dist/components"], dependencies: { pg: "1", "@pulumi/aws": "1" } })).toEqual([]);
  });

  it("names a path outside the shipped folders, a missing file and a module that is not a dependency", () => {
    const root = pkg({
      "dist/components/readrouting/router.js": 'const m = require("../../checks/lib/measure");\nconst g = require("./gone");\nconst z = require("vitest");\n',
      "dist/components/readrouting/router.d.ts": 'import type { CheckContext } from "../../checks/types";\n',
      "dist/checks/lib/measure.js": "exports.x = 1;\n",
      "dist/checks/types.d.ts": "export type CheckContext = 1;\n",
    });
    expect(unshippedImports(root, { files: ["dist/components", "README.md"], dependencies: {} })).toEqual([
      'dist/components/readrouting/router.d.ts: requires ../../checks/types (dist/checks/types.d.ts), outside what package.json "files" ships (dist/components, README.md)',
      'dist/components/readrouting/router.js: requires ../../checks/lib/measure (dist/checks/lib/measure.js), outside what package.json "files" ships (dist/components, README.md)',
      "dist/components/readrouting/router.js: requires ./gone, which does not exist",
      'dist/components/readrouting/router.js: requires vitest, and vitest is not in package.json "dependencies"',
    ]);
  });

  it("reads a package name from a specifier", () => {
    expect([packageOf("pg"), packageOf("pg/lib/x"), packageOf("@aws-sdk/client-rds"), packageOf("@pulumi/aws/ec2")]).toEqual(["pg", "pg", "@aws-sdk/client-rds", "@pulumi/aws"]);
  });
});
