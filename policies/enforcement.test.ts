import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../testing/tempDir";
import { PolicyConfigError, enforcementLevelOf, loadPolicyConfig, policyConfigPath, validatePolicyConfig } from "./enforcement";
import { ALL_POLICIES, hasMandatory, runPolicies } from "./policies";
import { goodStack, mutate } from "./testing/fixtures";

const byName = (n: string) => ALL_POLICIES.find((p) => p.name === n)!;
const withProduction = ALL_POLICIES.filter((p) => p.configSchema?.properties?.production).map((p) => p.name).sort();

describe("committed policy configs", () => {
  it("prod.json makes every policy mandatory and turns production on for every production policy", () => {
    const { config } = loadPolicyConfig("prod");
    validatePolicyConfig(config, ALL_POLICIES, "prod.json");
    expect(ALL_POLICIES.filter((p) => enforcementLevelOf(p, config) !== "mandatory")).toEqual([]);
    const on = Object.entries(config).filter(([, v]) => typeof v === "object" && v.production === true).map(([k]) => k).sort();
    expect(on).toEqual(withProduction);
    expect(withProduction.length).toBeGreaterThanOrEqual(8);
  });

  it("dev.json is advisory and never says production", () => {
    const { config } = loadPolicyConfig("dev");
    validatePolicyConfig(config, ALL_POLICIES, "dev.json");
    expect(new Set(ALL_POLICIES.map((p) => enforcementLevelOf(p, config)))).toEqual(new Set(["advisory"]));
    expect(JSON.stringify(config)).not.toContain("production");
  });

  it("a stack without a file gets the pack default, advisory", () => {
    expect(loadPolicyConfig("no-such-stack")).toEqual({ config: {}, file: null });
    expect(enforcementLevelOf(byName("lb-internal"), {})).toBe("advisory");
    expect(policyConfigPath("qa")).toMatch(/policies\/config\/qa\.json$/);
  });
});

describe("enforcement level resolution", () => {
  const p = byName("lb-internal");
  it("the policy's own entry beats all, all beats the default", () => {
    expect(enforcementLevelOf(p, { all: "mandatory" })).toBe("mandatory");
    expect(enforcementLevelOf(p, { all: "mandatory", "lb-internal": "advisory" })).toBe("advisory");
    expect(enforcementLevelOf(p, { all: "advisory", "lb-internal": { enforcementLevel: "disabled" } })).toBe("disabled");
    expect(enforcementLevelOf(p, { all: "advisory", "lb-internal": {} as never })).toBe("advisory");
  });

  it("flipping a policy from advisory to mandatory flips the outcome", async () => {
    const resources = mutate(goodStack(), "pgbouncer-nlb", "internal", false);
    const advisory = await runPolicies({ resources, stack: "prod", config: { all: "advisory" } });
    expect(advisory.violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([["lb-internal", "advisory"]]);
    expect(hasMandatory(advisory.violations)).toBe(false);
    const mandatory = await runPolicies({ resources, stack: "prod", config: { all: "advisory", "lb-internal": "mandatory" } });
    expect(hasMandatory(mandatory.violations)).toBe(true);
    const disabled = await runPolicies({ resources, stack: "prod", config: { "lb-internal": "disabled" } });
    expect(disabled.violations).toEqual([]);
  });

  it("policy config parameters reach the policy (minRetentionDays 30 makes 14 days too few)", async () => {
    const { violations } = await runPolicies({ resources: goodStack(), stack: "prod", config: { "rds-backup-retention": { minRetentionDays: 30 } } });
    expect(violations.map((v) => v.message)).toEqual(["Set data-tier:postgres.backupRetentionDays to at least 30 (it is 14)."]);
  });
});

describe("bad policy config", () => {
  it("reports every problem at once, naming the file and the key", () => {
    let err: unknown;
    try {
      validatePolicyConfig(
        { all: "strict" as never, "no-such-policy": "advisory", "lb-internal": { enforcementLevel: "maybe" as never }, "rds-backup-retention": { minRetentionDays: "seven", retention: 3 } },
        ALL_POLICIES,
        "policies/config/qa.json",
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyConfigError);
    const m = (err as Error).message;
    expect(m).toContain("policies/config/qa.json");
    expect(m).toContain('"all": expected one of advisory, mandatory, remediate, disabled');
    expect(m).toContain('"no-such-policy": no such policy in the pack');
    expect(m).toContain('"lb-internal".enforcementLevel: expected one of');
    expect(m).toContain('"rds-backup-retention".minRetentionDays: expected integer');
    expect(m).toContain('"rds-backup-retention".retention: the policy has no such property (it takes: minRetentionDays)');
  });

  it("names the file when it is not JSON", () => {
    const file = join(testTempDir("policy-config-"), "qa.json");
    writeFileSync(file, "{ all: advisory");
    expect(() => loadPolicyConfig("qa", file)).toThrow(new RegExp(`policy config ${file} is invalid:\\n  - not valid JSON`));
  });

  it("runPolicies refuses a bad config before running anything", async () => {
    await expect(runPolicies({ resources: goodStack(), stack: "prod", config: { "lb-internal": { production: true } } })).rejects.toThrow(/"lb-internal"\.production: the policy has no such property/);
  });
});
