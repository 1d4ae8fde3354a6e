/**
 * Policy config is validated against each policy's configSchema by a JSON Schema library
 * (ajv): every key of every policy is tried out of range, with the wrong type and next to
 * an unknown key, from the schemas themselves, so a policy added later is covered too.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Policy, PolicyPackConfig } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../testing/tempDir";
import { loadPolicyConfig, PolicyConfigError, validatePolicyConfig } from "./enforcement";
import { ALL_POLICIES, runPolicies } from "./policies";
import { goodStack } from "./testing/fixtures";

interface PropSchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  items?: PropSchema;
}

/** The problems validatePolicyConfig reports for `config` (none: []). */
function problemsOf(config: PolicyPackConfig): string[] {
  try {
    validatePolicyConfig(config, ALL_POLICIES, "qa.json");
    return [];
  } catch (e) {
    if (!(e instanceof PolicyConfigError)) throw e;
    return e.problems;
  }
}

/** A value of another JSON type than `type`. */
function wrongTypeFor(type: string | undefined): unknown {
  return type === "string" || type === "array" || type === "object" ? 7 : "seven";
}

const properties = (p: Policy) => Object.entries((p.configSchema?.properties ?? {}) as Record<string, PropSchema>);
const keyed = ALL_POLICIES.flatMap((p) => properties(p).map(([key, schema]) => ({ policy: p.name, key, schema })));
const ranged = keyed.filter((k) => k.schema.minimum !== undefined || k.schema.maximum !== undefined);
const itemRanged = keyed.filter((k) => k.schema.items?.minimum !== undefined || k.schema.items?.maximum !== undefined);

describe("policy config against each policy's configSchema (ajv)", () => {
  it("covers the pack: every policy with config keys, and the ranged ones", () => {
    expect(new Set(keyed.map((k) => k.policy)).size).toBeGreaterThanOrEqual(10);
    expect(ranged.map((k) => `${k.policy}.${k.key}`)).toEqual(
      expect.arrayContaining(["rds-backup-retention.minRetentionDays", "rds-read-replicas-in-prod.minReplicas", "elasticache-min-nodes.minNodes"]),
    );
  });

  it("refuses minRetentionDays: 0 (it used to be accepted), naming the policy, key and bound", () => {
    expect(problemsOf({ "rds-backup-retention": { minRetentionDays: 0 } })).toEqual(['"rds-backup-retention".minRetentionDays: expected at least 1 (it is 0)']);
  });

  it("accepts each policy's own defaults and the committed configs", () => {
    for (const p of ALL_POLICIES) {
      const defaults = Object.fromEntries(properties(p).filter(([, s]) => "default" in s).map(([k, s]) => [k, s.default]));
      expect(problemsOf({ [p.name]: { enforcementLevel: "mandatory", ...defaults } }), p.name).toEqual([]);
    }
    for (const stack of ["dev", "prod"]) expect(problemsOf(loadPolicyConfig(stack).config), stack).toEqual([]);
  });

  it.each(keyed)("$policy, $key: the wrong type is refused, naming the key and the type", ({ policy, key, schema }) => {
    expect(problemsOf({ [policy]: { [key]: wrongTypeFor(schema.type) } })).toEqual([`"${policy}".${key}: expected ${schema.type}`]);
  });

  it.each(keyed.filter((k) => k.schema.type === "integer"))("$policy, $key: a fraction is not an integer", ({ policy, key, schema }) => {
    expect(problemsOf({ [policy]: { [key]: (schema.minimum ?? 1) + 0.5 } })).toEqual([`"${policy}".${key}: expected integer`]);
  });

  it.each(ranged)("$policy, $key: the bounds are kept, one past each is refused", ({ policy, key, schema }) => {
    if (schema.minimum !== undefined) {
      expect(problemsOf({ [policy]: { [key]: schema.minimum } })).toEqual([]);
      expect(problemsOf({ [policy]: { [key]: schema.minimum - 1 } })).toEqual([`"${policy}".${key}: expected at least ${schema.minimum} (it is ${schema.minimum - 1})`]);
    }
    if (schema.maximum !== undefined) {
      expect(problemsOf({ [policy]: { [key]: schema.maximum } })).toEqual([]);
      expect(problemsOf({ [policy]: { [key]: schema.maximum + 1 } })).toEqual([`"${policy}".${key}: expected at most ${schema.maximum} (it is ${schema.maximum + 1})`]);
    }
  });

  it.each(itemRanged)("$policy, $key: each item's bounds are kept, naming the item", ({ policy, key, schema }) => {
    const items = schema.items!;
    expect(problemsOf({ [policy]: { [key]: [items.minimum ?? 1, items.maximum ?? 1] } })).toEqual([]);
    expect(problemsOf({ [policy]: { [key]: [items.maximum ?? 1, (items.minimum ?? 1) - 1] } })).toEqual([`"${policy}".${key}[1]: expected at least ${items.minimum} (it is ${(items.minimum ?? 1) - 1})`]);
  });

  it.each(ALL_POLICIES.map((p) => ({ policy: p.name, takes: properties(p).map(([k]) => k) })))("$policy: an unknown key is refused, with what the policy takes", ({ policy, takes }) => {
    expect(problemsOf({ [policy]: { retention: 3 } })).toEqual([`"${policy}".retention: the policy has no such property (it takes: ${takes.join(", ") || "none"})`]);
  });

  it("refuses an enforcement level outside the enum and a config entry that is a list", () => {
    expect(problemsOf({ "lb-internal": { enforcementLevel: "maybe" as never } })).toEqual(['"lb-internal".enforcementLevel: expected one of advisory, mandatory, remediate, disabled']);
    expect(problemsOf({ "lb-internal": [] as never })).toEqual(['"lb-internal": expected object']);
  });

  it("reports every problem of a file at once, across policies and keys", () => {
    const problems = problemsOf({
      "rds-backup-retention": { minRetentionDays: 36 },
      "elasticache-min-nodes": { minNodes: 7, enforcementLevel: "strict" as never },
      "no-public-ingress-to-data-ports": { ports: [6379, "5432", 70000] },
      "required-tags": { requiredKeys: [""] },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        '"rds-backup-retention".minRetentionDays: expected at most 35 (it is 36)',
        '"elasticache-min-nodes".minNodes: expected at most 6 (it is 7)',
        '"elasticache-min-nodes".enforcementLevel: expected one of advisory, mandatory, remediate, disabled',
        '"no-public-ingress-to-data-ports".ports[1]: expected integer',
        '"no-public-ingress-to-data-ports".ports[2]: expected at most 65535 (it is 70000)',
      ]),
    );
    expect(problems.some((p) => p.startsWith('"required-tags".requiredKeys[0]:'))).toBe(true);
    expect(problems).toHaveLength(6);
  });

  it("the review refuses a file with minRetentionDays: 0 before running any policy", async () => {
    const file = join(testTempDir("policy-config-"), "qa.json");
    writeFileSync(file, JSON.stringify({ "rds-backup-retention": { minRetentionDays: 0 } }));
    const { config } = loadPolicyConfig("qa", file);
    await expect(runPolicies({ resources: goodStack(), stack: "qa", config })).rejects.toThrow(/"rds-backup-retention"\.minRetentionDays: expected at least 1 \(it is 0\)/);
  });
});
