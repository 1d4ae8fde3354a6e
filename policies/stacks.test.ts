/**
 * Happy path: the committed stacks, run under mocks, pass every mandatory policy of
 * their own policy config, and the policies are not vacuous on them (they see the
 * resources they are about, and removing the alarms makes the alarm policies fire).
 */
import { describe, expect, it } from "vitest";
import { runProgram, type ProgramRun } from "../testing/harness";
import { checkPlainOutputs, knownSecretValues, runPolicies } from "./policies";

let prod: ProgramRun;
let dev: ProgramRun;

describe("committed stacks", () => {
  it("prod: no mandatory violation under policies/config/prod.json", async () => {
    prod = await runProgram({ stack: "prod" });
    const { violations } = await runPolicies({ resources: prod.resources, stack: "prod" });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy} ${v.resourceName}: ${v.message}`)).toEqual([]);
  });

  it("prod: the policies see what they are about", () => {
    const types = new Set(prod.resources.map((r) => r.type));
    for (const t of [
      "aws:rds/instance:Instance",
      "aws:rds/parameterGroup:ParameterGroup",
      "aws:elasticache/replicationGroup:ReplicationGroup",
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "aws:ec2/securityGroup:SecurityGroup",
      "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    ]) {
      expect(types, t).toContain(t);
    }
  });

  it("prod without its CloudWatch alarms violates both replica-lag alarm policies", async () => {
    const resources = prod.resources.filter((r) => r.type !== "aws:cloudwatch/metricAlarm:MetricAlarm");
    const { violations } = await runPolicies({ resources, stack: "prod" });
    const replicas = prod.resources.filter((r) => r.type === "aws:rds/instance:Instance" && r.inputs.replicateSourceDb).length;
    expect(replicas).toBeGreaterThan(0);
    expect(violations.filter((v) => v.policy === "rds-replica-lag-alarms")).toHaveLength(2 * replicas);
    expect(violations.filter((v) => v.policy === "elasticache-replication-lag-alarms")).toHaveLength(2);
  });

  it("prod: no secret in a plain output", () => {
    expect(checkPlainOutputs(prod.outputs, prod.secretOutputs, knownSecretValues(prod.resources))).toEqual([]);
    expect(knownSecretValues(prod.resources).length).toBeGreaterThan(0);
  });

  it("staging: no mandatory violation under policies/config/staging.json; prod-shaped, not production", async () => {
    const staging = await runProgram({ stack: "staging" });
    const { violations, notApplicable } = await runPolicies({ resources: staging.resources, stack: "staging" });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => `${v.policy} ${v.resourceName}: ${v.message}`)).toEqual([]);
    expect(notApplicable.map((n) => n.policy)).toContain("protect-stateful-in-prod");
    const types = new Set(staging.resources.map((r) => r.type));
    for (const t of ["aws:rds/instance:Instance", "aws:elasticache/replicationGroup:ReplicationGroup", "aws:cloudwatch/metricAlarm:MetricAlarm"]) expect(types, t).toContain(t);
    expect(checkPlainOutputs(staging.outputs, staging.secretOutputs, knownSecretValues(staging.resources))).toEqual([]);
  });

  it.each(["prod", "staging"])("%s: an AppConfig environment without monitors, or no switchover flag at all, is a mandatory violation", async (stack) => {
    const run = stack === "prod" ? prod : await runProgram({ stack });
    const env = run.resources.find((r) => r.type === "aws:appconfig/environment:Environment")!;
    const bare = run.resources.map((r) => (r === env ? { ...r, inputs: { ...r.inputs, monitors: [] }, state: { ...r.state, monitors: [] } } : r));
    const { violations } = await runPolicies({ resources: bare, stack });
    expect(violations.filter((v) => v.policy === "appconfig-monitors-in-prod").map((v) => [v.enforcementLevel, v.message])).toEqual([["mandatory", expect.stringMatching(/^Set monitors on AppConfig environment .*-flags-env to the tier's critical alarms/)]]);
    const none = run.resources.filter((r) => !r.type.startsWith("aws:appconfig/"));
    const { violations: without } = await runPolicies({ resources: none, stack });
    expect(without.filter((v) => v.policy === "appconfig-monitors-in-prod").map((v) => v.message)).toEqual([expect.stringMatching(/^Set up the switchover flag's AppConfig environment with monitors/)]);
  });

  it("dev: no mandatory violation under policies/config/dev.json, production rules not applicable", async () => {
    dev = await runProgram({ stack: "dev" });
    const { violations, notApplicable } = await runPolicies({ resources: dev.resources, stack: "dev" });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    expect(notApplicable.map((n) => n.policy)).toEqual(expect.arrayContaining(["protect-stateful-in-prod", "rds-read-replicas-in-prod"]));
    expect(checkPlainOutputs(dev.outputs, dev.secretOutputs, knownSecretValues(dev.resources))).toEqual([]);
  });
});
