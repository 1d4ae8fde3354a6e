/**
 * Issue 9, item 6: production enforcement follows the validated `production` flag, not
 * the stack's name. A stack called "live" with production: true and no policy config of
 * its own used to get every policy advisory (production rules not even applicable).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { testTempDir } from "../testing/tempDir";
import { parse, stringify } from "yaml";
import { review } from "../tools/review/cli";
import { goodStack, mutate } from "./testing/fixtures";
import { PolicyConfigError, policyConfigFor, withProductionRules } from "./enforcement";
import { ALL_POLICIES } from "./policies";
import { runPolicies, type PolicyInputResource } from "./runner";

const ENV = "DATA_TIER_POLICY_CONFIG_DIR";
afterEach(() => {
  delete process.env[ENV];
});

// The RDS primary without `protect`: a production-only rule (protect-stateful-in-prod), mandatory in prod.json.
const unprotected = () => mutate(goodStack(), "postgres-primary", "opts.protect", false) as unknown as PolicyInputResource[];

describe("production means production", () => {
  it("a production: true stack not named prod gets the production rules, mandatory", async () => {
    const { violations, notApplicable } = await runPolicies({ resources: unprotected(), stack: "live", production: true });
    const v = violations.filter((x) => x.policy === "protect-stateful-in-prod");
    expect(v.length).toBeGreaterThan(0);
    expect(v.every((x) => x.enforcementLevel === "mandatory")).toBe(true);
    expect(notApplicable.filter((n) => n.policy === "protect-stateful-in-prod")).toEqual([]);
  });

  it("the same stack without production stays advisory, its production rules not applicable", async () => {
    const { violations, notApplicable } = await runPolicies({ resources: unprotected(), stack: "live", production: false });
    expect(violations.filter((x) => x.enforcementLevel === "mandatory")).toEqual([]);
    expect(notApplicable.map((n) => n.policy)).toContain("protect-stateful-in-prod");
  });

  it("a production stack's own config cannot switch the production rules off", async () => {
    const dir = testTempDir("policy-config-");
    writeFileSync(join(dir, "live.json"), JSON.stringify({ all: "mandatory" }));
    process.env[ENV] = dir;
    // Its own file is used (mandatory everywhere), and production: true is added to every production rule.
    const { violations } = await runPolicies({ resources: unprotected(), stack: "live", production: true });
    expect(violations.filter((x) => x.policy === "protect-stateful-in-prod" && x.enforcementLevel === "mandatory").length).toBeGreaterThan(0);

    writeFileSync(join(dir, "live.json"), JSON.stringify({ all: "mandatory", "protect-stateful-in-prod": { production: false } }));
    await expect(runPolicies({ resources: unprotected(), stack: "live", production: true })).rejects.toThrow(/"protect-stateful-in-prod"\.production: is false, but the stack's settings say production: true/);
  });

  it("a production stack with no config at all (not even prod.json) is refused, never all-advisory", () => {
    process.env[ENV] = testTempDir("policy-config-empty-");
    expect(() => policyConfigFor("live", true)).toThrow(PolicyConfigError);
    expect(policyConfigFor("live", false)).toEqual({ config: {}, file: null });
  });

  it("withProductionRules adds production: true to every policy that has the switch, keeping levels", () => {
    const out = withProductionRules({ "rds-multi-az-in-prod": "advisory" }, ALL_POLICIES, "x.json");
    expect(out["rds-multi-az-in-prod"]).toEqual({ enforcementLevel: "advisory", production: true });
    expect(out["protect-stateful-in-prod"]).toEqual({ production: true });
  });
});

describe("the offline review of a production stack named otherwise", () => {
  it("reviews a production: true stack called live under the production config", async () => {
    const raw = parse(readFileSync("Pulumi.prod.yaml", "utf8"));
    raw.config["data-tier:environment"] = "live";
    raw.config["data-tier:production"] = true;
    const file = join(testTempDir("review-live-"), "Pulumi.live.yaml");
    writeFileSync(file, stringify(raw));
    const lines: string[] = [];
    const code = await review({ stack: "live", file, json: true, print: (l) => lines.push(l) });
    const doc = JSON.parse(lines.join("\n"));
    expect(doc.production).toBe(true);
    expect(doc.sections.Policies.configFile).toBe(join("policies", "config", "prod.json"));
    // Clean like prod itself: nothing mandatory violated.
    expect(code).toBe(0);
  }, 60_000);
});
