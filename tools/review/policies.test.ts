import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { testTempDir } from "../../testing/tempDir";
import { parse, stringify } from "yaml";
import { goodStack, mutate } from "../../policies/testing/fixtures";
import type { ProgramRun } from "../../testing/harness";
import { EXIT, review } from "./cli";
import { policiesReviewSection } from "./policies";
import type { ReviewInput } from "./section";

const ENV = "DATA_TIER_POLICY_CONFIG_DIR";
afterEach(() => {
  delete process.env[ENV];
});

/** A temp policy config dir holding `<stack>.json`. */
function configDir(stack: string, config: object): string {
  const dir = testTempDir("policy-config-");
  writeFileSync(join(dir, `${stack}.json`), JSON.stringify(config));
  return dir;
}

function input(run: Partial<ProgramRun>, stack = "prod"): ReviewInput {
  return { stack, settings: {} as ReviewInput["settings"], run: { stack, resources: [], outputs: {}, secretOutputs: [], ...run } as ProgramRun };
}

const badLb = () => mutate(goodStack(), "pgbouncer-nlb", "internal", false) as ProgramRun["resources"];

describe("policies review section", () => {
  it("groups violations by policy and resource and fails on a mandatory one (prod.json)", async () => {
    const s = await policiesReviewSection(input({ resources: badLb() }));
    expect(s.failed).toBe(true);
    expect(s.text).toContain("policy config: policies/config/prod.json");
    expect(s.text).toMatch(/\[mandatory\] lb-internal: .*\n {2}aws:lb\/loadBalancer:LoadBalancer pgbouncer-nlb\n {4}- Set internal to true on the load balancer/);
    expect((s.json as { mandatory: number }).mandatory).toBe(1);
  });

  it("follows the stack's policy config: the same violation is advisory, then mandatory", async () => {
    process.env[ENV] = configDir("prod", { all: "advisory" });
    const advisory = await policiesReviewSection(input({ resources: badLb() }));
    expect(advisory.failed).toBe(false);
    expect(advisory.text).toContain("[advisory] lb-internal");

    process.env[ENV] = configDir("prod", { all: "advisory", "lb-internal": "mandatory" });
    const mandatory = await policiesReviewSection(input({ resources: badLb() }));
    expect(mandatory.failed).toBe(true);
    expect(mandatory.text).toContain("[mandatory] lb-internal");
  });

  it("with no config file every policy is advisory", async () => {
    // "qa": a stack without a policy config (staging has one now).
    const s = await policiesReviewSection(input({ resources: badLb() }, "qa"));
    expect(s.failed).toBe(false);
    expect(s.text).toContain("none (policies/config/qa.json absent: every policy advisory)");
  });

  it("runs the plain-output check, never printing the secret", async () => {
    const secret = "s3cr3t-token-value-000";
    const s = await policiesReviewSection(input({ resources: goodStack() as ProgramRun["resources"], outputs: { redis: { host: "h", authToken: secret } }, secretOutputs: [] }));
    expect(s.failed).toBe(true);
    expect(s.text).toContain("[mandatory] no-secret-in-plain-output");
    expect(s.text).toContain("Set output redis.authToken as a Pulumi secret");
    expect(s.text).not.toContain(secret);
    expect(JSON.stringify(s.json)).not.toContain(secret);
  });
});

describe("npm run review exit code follows the policy config", () => {
  it("exits 0 when the violated policy is advisory and 1 when it is mandatory", async () => {
    // prod with an engine version outside the policy's supported list (the settings allow any major.minor).
    const raw = parse(readFileSync("Pulumi.prod.yaml", "utf8"));
    raw.config["data-tier:redis"] = { ...raw.config["data-tier:redis"], engineVersion: "6.2" };
    const file = join(testTempDir("review-stack-"), "Pulumi.prod.yaml");
    writeFileSync(file, stringify(raw));

    const run = async (config: object) => {
      process.env[ENV] = configDir("prod", config);
      const lines: string[] = [];
      const code = await review({ stack: "prod", file, json: true, print: (l) => lines.push(l) });
      return { code, doc: JSON.parse(lines.join("\n")) };
    };
    const advisory = await run({ all: "advisory" });
    expect(advisory.doc.sections.Policies.violations.map((v: { policy: string }) => v.policy)).toContain("elasticache-engine-version");
    expect(advisory.doc.failed).toEqual([]);
    expect(advisory.code).toBe(EXIT.ok);

    const mandatory = await run({ all: "advisory", "elasticache-engine-version": "mandatory" });
    expect(mandatory.code).toBe(EXIT.failed);
    expect(mandatory.doc.failed).toEqual(["Policies"]);
  });
});
