/**
 * The runner behaves like the engine where it matters (AWSGuard-style direct calls with
 * createResourceValidationArgs): typed validations skip other types, unknown values
 * during preview give an advisory "can't run" result, notApplicable is recorded,
 * schema defaults apply without a config, and stack props carry state and links.
 */
import * as proxy from "@pulumi/policy/proxy";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { rdsBackupRetention } from "./rds";
import { elasticacheAuthRequired } from "./elasticache";
import { resourceArgs, runPolicies, stackResources } from "./runner";
import { goodStack, mutate } from "./testing/fixtures";

/** The sentinel the engine hands policies for a string unknown during preview (internal to @pulumi/policy). */
const unknownStringValue = (proxy as unknown as { unknownStringValue: unknown }).unknownStringValue;

const stack = goodStack();
const find = (name: string) => stack.find((r) => r.name === name)!;

async function violationsOf(policy: ResourceValidationPolicy, name: string, props?: Record<string, unknown>, config: object = {}) {
  const r = props ? { ...find(name), inputs: props } : find(name);
  const found: string[] = [];
  const v = policy.validateResource as (a: unknown, report: (m: string) => void) => void;
  await v(resourceArgs(r, stack, () => config), (m) => found.push(m));
  return found;
}

describe("resource args", () => {
  it("props are the inputs; schema defaults apply when the config is empty (7 days)", async () => {
    expect(await violationsOf(rdsBackupRetention, "postgres-primary", { ...find("postgres-primary").inputs, backupRetentionPeriod: 6 })).toEqual([
      "Set data-tier:postgres.backupRetentionDays to at least 7 (it is 6).",
    ]);
    expect(await violationsOf(rdsBackupRetention, "postgres-primary", { ...find("postgres-primary").inputs, backupRetentionPeriod: 7 })).toEqual([]);
  });

  it("read replicas are exempt from backup retention", async () => {
    expect(await violationsOf(rdsBackupRetention, "postgres-replica-1", { ...find("postgres-replica-1").inputs, backupRetentionPeriod: 0 })).toEqual([]);
  });

  it("an auth token unknown during preview still counts as set (never read)", async () => {
    const inputs = { ...find("redis-group").inputs, authToken: unknownStringValue };
    expect(await violationsOf(elasticacheAuthRequired, "redis-group", inputs)).toEqual([]);
  });

  it("a value read while unknown gives an advisory can't-run-during-preview result", async () => {
    const resources = mutate(stack, "postgres-primary", "backupRetentionPeriod", unknownStringValue);
    const { violations } = await runPolicies({ resources, stack: "prod", config: { all: "mandatory" } });
    expect(violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([["rds-backup-retention", "advisory"]]);
    expect(violations[0].message).toMatch(/^can't run policy 'rds-backup-retention' during preview: string value at \.backupRetentionPeriod/);
  });

  it("production policies are not applicable without production: true", async () => {
    const resources = mutate(stack, "postgres-primary", "multiAz", false);
    const { violations, notApplicable } = await runPolicies({ resources, stack: "dev", config: { all: "advisory" } });
    expect(violations).toEqual([]);
    expect(notApplicable.filter((n) => n.policy === "rds-multi-az-in-prod").map((n) => n.urn)).toEqual([find("postgres-primary").urn, find("postgres-replica-1").urn]);
  });
});

describe("stack resources", () => {
  it("carry state with the id, options and dependencies linked by URN", () => {
    const view = stackResources(stack);
    const rule = view.find((r) => r.name === "redis-app-in")!;
    expect(rule.props.id).toBe("redis-app-in-id");
    expect(rule.propertyDependencies.securityGroupId.map((r) => r.name)).toEqual(["redis-sg"]);
    expect(view.find((r) => r.name === "redis-group")!.props.memberClusters).toHaveLength(2);
    expect(view.find((r) => r.name === "redis-group")!.opts.protect).toBe(true);
  });
});
