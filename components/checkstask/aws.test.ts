/** The prod stack's in-VPC checks task, its schedule and the monitor alarm, resource by resource, under Pulumi mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { parseStackOutputs, type StackOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";
import { familyArn, RECONCILE_EXPRESSION, rateExpression } from "./schedule";

const settings = loadStackSettings("prod");
const T = {
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  task: "aws:ecs/taskDefinition:TaskDefinition",
  secret: "aws:secretsmanager/secret:Secret",
  version: "aws:secretsmanager/secretVersion:SecretVersion",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  role: "aws:iam/role:Role",
  schedule: "aws:scheduler/schedule:Schedule",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
};

let run: ProgramRun;
let children: RecordedResource[];
let outputs: StackOutputs;
const mine = (type: string, suffix: string) => {
  const found = children.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
};
const idOf = (r: RecordedResource) => r.state.id ?? r.id;

beforeAll(async () => {
  run = await runProgram({ stack: "prod" });
  children = run.resources.filter((r) => r.parent === single(run, "datatier:checks:ChecksTask").urn);
  outputs = parseStackOutputs(run.outputs, "prod");
});

describe("prod: the checks task", () => {
  it("is a Fargate task definition whose one container reads the outputs secret and logs to its group", () => {
    const td = mine(T.task, "-taskdef").inputs;
    expect(td).toMatchObject({ networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "512", memory: "1024" });
    const [c] = JSON.parse(td.containerDefinitions);
    expect(c.name).toBe("checks");
    expect(c.secrets).toEqual([{ name: "DATATIER_OUTPUTS", valueFrom: mine(T.secret, "-outputs").state.arn }]);
    expect(c.logConfiguration).toEqual({ logDriver: "awslogs", options: { "awslogs-group": "/ecs/data-tier-prod-checks", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "checks" } });
    expect(JSON.stringify(c.environment)).not.toMatch(/password/i);
  });

  it("stores the stack's own outputs (checks part included) as the task's secret, and they satisfy the contract", () => {
    const v = mine(T.version, "-outputs");
    expect(v.secretInputs).toContain("secretString");
    const doc = parseStackOutputs(JSON.parse(v.inputs.secretString), "outputs secret");
    expect(doc.checks).toEqual(outputs.checks);
    expect(doc.credentials).toEqual(outputs.credentials);
    expect(mine(T.secret, "-outputs").protect).toBe(true);
  });

  it("has its own security group, admitted by Redis, PostgreSQL and PgBouncer on their ports only", () => {
    const sg = mine(T.sg, "-checks-sg");
    const byRole = (suffix: string) => ofType(run, T.sg).find((g) => g.name.endsWith(suffix))!;
    const rules = children.filter((r) => r.type === T.ingress);
    expect(rules.map((r) => [idOf(byRole(r.name.replace(/^.*-checks-(\w+)-in$/, "-$1"))) === r.inputs.securityGroupId, r.inputs.referencedSecurityGroupId, r.inputs.fromPort, r.inputs.toPort]).sort()).toEqual(
      [
        [true, idOf(sg), settings.pgbouncer.port, settings.pgbouncer.port],
        [true, idOf(sg), settings.postgres.port, settings.postgres.port],
        [true, idOf(sg), settings.redis.port, settings.redis.port],
      ].sort(),
    );
    expect(rules.every((r) => r.inputs.cidrIpv4 === undefined)).toBe(true);
    expect(outputs.checks.aws).toMatchObject({ securityGroupId: idOf(sg), subnetIds: settings.network.privateSubnets.map((n) => n.id), containerName: "checks", clusterName: outputs.pgbouncer.aws!.clusterName });
  });

  it("lets the task publish metrics only into the stack's namespace", () => {
    const doc = JSON.parse(mine(T.rolePolicy, "-task-policy").inputs.policy);
    const put = doc.Statement.find((s: { Action: string[] }) => s.Action.includes("cloudwatch:PutMetricData"));
    expect(put.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": settings.alarms.customMetricNamespace } });
    expect(JSON.stringify(doc)).not.toContain("secretsmanager");
  });
});

describe("prod: the schedule", () => {
  it("runs the task every 5 minutes with --publish-metrics, in the private subnets, with the checks group", () => {
    const s = mine(T.schedule, "-schedule").inputs;
    expect(s.name).toBe(outputs.checks.aws!.scheduleName);
    expect(s.scheduleExpression).toBe("rate(5 minutes)");
    expect(s.target.ecsParameters).toMatchObject({
      taskDefinitionArn: outputs.checks.aws!.taskDefinitionArn,
      launchType: "FARGATE",
      networkConfiguration: { subnets: outputs.checks.aws!.subnetIds, securityGroups: [outputs.checks.aws!.securityGroupId], assignPublicIp: false },
    });
    expect(JSON.parse(s.target.input)).toEqual({ containerOverrides: [{ name: "checks", command: ["--publish-metrics"] }] });
    expect(s.target.arn).toMatch(/^arn:aws:ecs:us-east-1:\d+:cluster\/data-tier-prod-pgbouncer$/);
  });

  it("runs the full-table reconciliation daily on the same task and network, with the reconcile command", () => {
    const r = mine(T.schedule, "-reconcile").inputs;
    const suite = mine(T.schedule, "-schedule").inputs;
    expect(r.name).toBe("data-tier-prod-checks-reconcile-daily");
    expect(r.scheduleExpression).toBe(RECONCILE_EXPRESSION);
    expect(r.scheduleExpressionTimezone).toBe("UTC");
    expect(JSON.parse(r.target.input)).toEqual({ containerOverrides: [{ name: "checks", command: ["reconcile"] }] });
    expect(r.target.ecsParameters).toEqual(suite.target.ecsParameters);
    expect(r.target.roleArn).toBe(suite.target.roleArn);
  });

  it("gives the scheduler exactly RunTask on the task family in this cluster and PassRole on the task's two roles", () => {
    const doc = JSON.parse(mine(T.rolePolicy, "-scheduler-run").inputs.policy);
    const roles = [mine(T.role, "-checks-execution"), mine(T.role, "-checks-task")].map((r) => r.state.arn);
    expect(doc.Statement).toEqual([
      { Sid: "RunTheChecksTask", Effect: "Allow", Action: ["ecs:RunTask"], Resource: [`${familyArn(outputs.checks.aws!.taskDefinitionArn)}:*`], Condition: { ArnEquals: { "ecs:cluster": mine(T.schedule, "-schedule").inputs.target.arn } } },
      { Sid: "PassItsRoles", Effect: "Allow", Action: ["iam:PassRole"], Resource: roles, Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } },
    ]);
  });

  it("writes Scheduler's rate expressions", () => {
    expect([rateExpression(1), rateExpression(5)]).toEqual(["rate(1 minute)", "rate(5 minutes)"]);
    expect(familyArn("arn:aws:ecs:us-east-1:1:task-definition/x-checks:12")).toBe("arn:aws:ecs:us-east-1:1:task-definition/x-checks");
  });
});

describe("prod: the monitor alarm", () => {
  it("fires when no scheduled run published in 2 intervals (missing data breaching), to the critical topic", () => {
    const alarm = ofType(run, T.alarm).find((a) => a.inputs.name === "data-tier-prod-scheduled-checks-silent-critical")!;
    expect(alarm.inputs).toMatchObject({
      namespace: settings.alarms.customMetricNamespace,
      metricName: "SmokeSuiteRuns",
      dimensions: { Environment: "prod" },
      statistic: "Sum",
      period: 300,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "breaching",
    });
    expect(alarm.inputs.alarmActions).toEqual([outputs.alarms.criticalTopicArn]);
    expect(outputs.alarms.alarmNames).toContain("data-tier-prod-scheduled-checks-silent-critical");
  });
});

describe("without a schedule", () => {
  it("keeps the task for --in-vpc but registers no schedule and no monitor alarm", async () => {
    const r = await runProgram({ stack: "prod", overrides: { checks: { scheduleEnabled: false } } });
    expect(r.resources.some((x) => x.type === T.schedule)).toBe(false);
    expect(r.resources.some((x) => x.type === T.alarm && String(x.inputs.name).includes("scheduled-checks-silent"))).toBe(false);
    expect(parseStackOutputs(r.outputs, "prod").checks.aws).toMatchObject({ scheduleName: null, scheduleMinutes: null });
  });
});

describe("dev (docker)", () => {
  it("has no checks task: the suite runs where the operator is", async () => {
    const dev = await runProgram({ stack: "dev" });
    expect(dev.resources.some((r) => r.type === "datatier:checks:ChecksTask")).toBe(false);
    expect(parseStackOutputs(dev.outputs, "dev").checks).toEqual({ aws: null });
  });
});
