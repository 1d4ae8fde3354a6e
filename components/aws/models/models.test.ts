/**
 * The AWS API models as validators, walked whole: every member the property map names
 * exists in the pinned model, and every constraint its shape carries (length, pattern,
 * range, enumeration, list size) refuses a value built to break it, at the shape and,
 * for top-level inputs, on a resource end to end. The unmapped inputs are listed here,
 * so the map cannot shrink silently.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { ProgramRun } from "../../../tools/evaluate/program";
import { AWS_MODELS, checkApiShapes, compilePattern, resolveMember, shapeProblem, type ModelShape } from "./index";
import { MODEL_OPERATIONS } from "./operations";
import { PROPERTY_MAP, mappedMembers, unmappedInputs } from "./propertyMap";

/** Strings that break most patterns; the walk needs one that breaks each. */
const PATTERN_BREAKERS = [":", " ", "", "\n", "a b", "-", "!", "#", "\u0000", "é", "a".repeat(3000), "arn:x", "A", "1", "_", "/", "*"];

/** Values built to break one constraint each, with the constraint's name. */
function violations(shape: ModelShape): [string, unknown][] {
  const out: [string, unknown][] = [];
  if (shape.type === "string") {
    if (shape.min !== undefined && shape.min > 0) out.push(["min", "x".repeat(shape.min - 1)]);
    if (shape.max !== undefined) out.push(["max", "x".repeat(shape.max + 1)]);
    if (shape.enum) out.push(["enum", "NOT-AN-ENUM-VALUE"]);
    if (shape.pattern && compilePattern(shape.pattern)) {
      const re = compilePattern(shape.pattern)!;
      const breaker = PATTERN_BREAKERS.find((b) => !re.test(b) && (shape.min === undefined || [...b].length >= shape.min) && (shape.max === undefined || [...b].length <= shape.max));
      if (breaker !== undefined) out.push(["pattern", breaker]);
    }
  }
  if (["integer", "long", "double", "float"].includes(shape.type)) {
    if (shape.min !== undefined) out.push(["min", shape.min - 1]);
    if (shape.max !== undefined) out.push(["max", shape.max + 1]);
  }
  if (shape.type === "list") {
    if (shape.min !== undefined && shape.min > 0) out.push(["min", Array.from({ length: shape.min - 1 }, () => "x")]);
    if (shape.max !== undefined) out.push(["max", Array.from({ length: shape.max + 1 }, () => "x")]);
  }
  return out;
}

function constraints(shape: ModelShape): string[] {
  return (["min", "max", "pattern", "enum"] as const).filter((k) => shape[k] !== undefined);
}

describe("AWS API models (pinned)", () => {
  it("say where they come from and when, and hold every operation the program's resources become", () => {
    expect(AWS_MODELS.source).toMatch(/botocore \d+\.\d+\.\d+/);
    expect(AWS_MODELS.pinned).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const [service, { apiVersion, operations }] of Object.entries(MODEL_OPERATIONS)) {
      expect(AWS_MODELS.services[service]?.apiVersion).toBe(apiVersion);
      for (const op of operations) expect(AWS_MODELS.services[service].operations[op], `${service} ${op}`).toBeDefined();
    }
  });

  it("every mapped member exists in the model, and every constraint of its shape refuses a value built to break it", () => {
    const members = mappedMembers();
    let constrained = 0;
    let checks = 0;
    const unbreakable: string[] = [];
    for (const m of members) {
      const r = resolveMember(m.service, m.path);
      const shape = r.shape.type === "list" && !constraints(r.shape).length && r.shape.member ? AWS_MODELS.services[m.service].shapes[r.shape.member] : r.shape;
      const cs = [...constraints(r.shape), ...(shape === r.shape ? [] : constraints(shape))];
      if (cs.length) constrained++;
      for (const target of shape === r.shape ? [r.shape] : [r.shape, shape]) {
        const built = violations(target);
        for (const [what, value] of built) {
          checks++;
          expect(shapeProblem(target, value), `${m.type} ${m.input} -> ${m.service} ${m.path}: ${what} ${JSON.stringify(value).slice(0, 60)}`).toBeDefined();
        }
        if (target.pattern && !built.some(([w]) => w === "pattern") && !/^\.\*$|^\[\\s\\S\]\*$/.test(target.pattern)) unbreakable.push(`${m.path} ${target.pattern}`);
        for (const v of target.enum ?? []) expect(shapeProblem(target, v)).toBeUndefined();
      }
    }
    // The numbers the closing note reports (models.test.ts prints nothing; these bound them).
    expect(members.length).toBeGreaterThanOrEqual(300);
    expect(constrained).toBeGreaterThanOrEqual(90);
    expect(checks).toBeGreaterThanOrEqual(150);
    // Patterns no breaker string breaks are permissive ones (any character sequence); none is left unexercised silently.
    expect(unbreakable.filter((u) => !/\\u0020-\\uD7FF|\\u0009|\\x20-\\x7E|\.\*|\[\^:\]\.\*|\\p\{L\}/i.test(u))).toEqual([]);
  });

  it("every pattern of a mapped member compiles as JavaScript (none is skipped)", () => {
    const bad = mappedMembers()
      .map((m) => resolveMember(m.service, m.path).shape)
      .filter((s) => s.pattern && compilePattern(s.pattern) === null)
      .map((s) => s.pattern);
    expect(bad).toEqual([]);
  });

  it("a top-level input that breaks its member is reported on the resource, naming the input and the member", () => {
    let reported = 0;
    for (const [type, entry] of Object.entries(PROPERTY_MAP)) {
      for (const [input, spec] of Object.entries(entry.inputs)) {
        if (typeof spec !== "string") continue;
        const shape = resolveMember(entry.service, spec).shape;
        for (const [what, value] of violations(shape)) {
          const { problems } = checkApiShapes([{ type, name: "r", custom: true, inputs: { [input]: value } }]);
          expect(problems.find((p) => p.input === input && p.member.includes(spec)), `${type} ${input} ${what}`).toBeDefined();
          reported++;
        }
      }
    }
    expect(reported).toBeGreaterThanOrEqual(80);
  });

  it("tags, dimensions and metric queries are checked inside: a namespace starting with ':' deep in a metric query, a 129-character tag key", () => {
    const { problems } = checkApiShapes([
      {
        type: "aws:cloudwatch/metricAlarm:MetricAlarm",
        name: "a",
        custom: true,
        inputs: { namespace: "Data Tier", metricQueries: [{ id: "n0", metric: { namespace: ":bad", metricName: "M", dimensions: { CacheClusterId: "" }, stat: "Maximum" } }], tags: { ["k".repeat(129)]: "v" } },
      },
    ]);
    expect(problems.map((p) => p.input).sort()).toEqual(["metricQueries[0].metric.dimensions.CacheClusterId", "metricQueries[0].metric.namespace", `tags.${"k".repeat(129)}`]);
  });
});

describe("the property map against the program", () => {
  let prod: ProgramRun;
  beforeAll(async () => {
    const { runProgram } = await import("../../../tools/evaluate/program");
    // prod with every optional AWS part on: read routing, scheduled checks, customer KMS keys, a parameter.
    const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    prod = await runProgram({ stack: "prod", overrides: { readRouting: { enabled: true }, checks: { scheduleEnabled: true }, redis: { kmsKeyArn: key }, postgres: { kmsKeyArn: key, parameters: { work_mem: "64MB" } }, alarms: { kmsKeyArn: key } } });
  }, 120_000);

  it("covers every AWS resource type and every input the program sends; the program's own values pass", () => {
    const types = new Set(prod.resources.filter((r) => r.custom && r.type.startsWith("aws:")).map((r) => r.type));
    expect([...types].filter((t) => !Object.hasOwn(PROPERTY_MAP, t))).toEqual([]);
    const result = checkApiShapes(prod.resources);
    expect(result.unmapped).toEqual([]);
    expect(result.problems).toEqual([]);
  });

  it("lists the inputs deliberately left unchecked (changing this list is a reviewed change)", () => {
    expect(unmappedInputs()).toEqual([
      "aws:appautoscaling/target:Target tags: RegisterScalableTarget.Tags is newer than the pinned model (botocore 1.29.27, December 2022)",
      "aws:ecr/repository:Repository forceDelete: read by the provider, not sent to AWS",
      "aws:ecs/service:Service availabilityZoneRebalancing: CreateService.availabilityZoneRebalancing is newer than the pinned model (botocore 1.29.27, December 2022)",
      "aws:ecs/service:Service networkConfiguration.assignPublicIp: a boolean the provider sends as ENABLED / DISABLED",
      "aws:ecs/taskDefinition:TaskDefinition containerDefinitions.linuxParameters: nested Linux capabilities and tmpfs structures; not mapped yet",
      "aws:ecs/taskDefinition:TaskDefinition containerDefinitions.logConfiguration.options: a free-form map of the log driver's options",
      "aws:elasticache/replicationGroup:ReplicationGroup clusterMode: CreateReplicationGroup.ClusterMode is newer than the pinned model (botocore 1.29.27, December 2022)",
      "aws:kms/key:Key enableKeyRotation: a separate EnableKeyRotation call taking only the key id",
      "aws:lb/loadBalancer:LoadBalancer enableCrossZoneLoadBalancing: sent through ModifyLoadBalancerAttributes as a key/value attribute string",
      "aws:lb/loadBalancer:LoadBalancer enableDeletionProtection: sent through ModifyLoadBalancerAttributes as a key/value attribute string",
      "aws:lb/loadBalancer:LoadBalancer internal: a boolean the provider sends as Scheme internal / internet-facing",
      "aws:lb/targetGroup:TargetGroup connectionTermination: sent through ModifyTargetGroupAttributes as a key/value attribute string",
      "aws:lb/targetGroup:TargetGroup deregistrationDelay: sent through ModifyTargetGroupAttributes as a key/value attribute string",
      "aws:rds/instance:Instance manageMasterUserPassword: CreateDBInstance.ManageMasterUserPassword is newer than the pinned model (botocore 1.29.27, December 2022)",
      "aws:rds/instance:Instance masterUserSecretKmsKeyId: CreateDBInstance.MasterUserSecretKmsKeyId is newer than the pinned model (botocore 1.29.27, December 2022)",
      "aws:scheduler/schedule:Schedule target.ecsParameters.networkConfiguration.assignPublicIp: a boolean the provider sends as ENABLED / DISABLED",
      "aws:sns/topic:Topic displayName: sent through CreateTopic Attributes (DisplayName) as a key/value attribute string",
      "aws:sns/topic:Topic kmsMasterKeyId: sent through CreateTopic Attributes (KmsMasterKeyId) as a key/value attribute string",
      "aws:sns/topicSubscription:TopicSubscription endpointAutoConfirms: read by the provider, not sent to AWS",
    ]);
  });
});
