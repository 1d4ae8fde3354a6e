/**
 * The smoke suite inside the VPC (AWS): a Fargate task definition in the data tier's ECS
 * cluster (PgBouncer's), with its own security group that Redis, PostgreSQL and PgBouncer
 * admit, the stack's outputs in a Secrets Manager secret the task reads at start, and an
 * EventBridge Scheduler schedule that runs it every `checks.scheduleMinutes` with
 * --publish-metrics (components/checkstask/schedule.ts). `npm run check -- --in-vpc`
 * starts the same task definition with RunTask (checks/invpc).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fargateTaskBase } from "../fargate";
import type { ChecksOutputs } from "../contract/outputs";
import type { ChecksSettings } from "../settings/schema";
import { checksImage } from "./image";
import { checksSchedule } from "./schedule";
import { checksTaskPolicy, containerDefinition, CHECKS_CONTAINER_NAME, LOG_STREAM_PREFIX } from "./task";

export interface ChecksTaskArgs {
  settings: ChecksSettings;
  namePrefix: string;
  region: string;
  production?: boolean;
  vpcId: pulumi.Input<string>;
  subnetIds: string[];
  /** ECS cluster the task runs in (PgBouncer's). */
  clusterName: pulumi.Input<string>;
  clusterArn: pulumi.Input<string>;
  /** Security groups that must admit the checks, and on which port. */
  targets: { redis: { securityGroupId: pulumi.Input<string>; port: number }; postgres: { securityGroupId: pulumi.Input<string>; port: number }; pgbouncer: { securityGroupId: pulumi.Input<string>; port: number } };
  /** The stack's outputs document (with both secret outputs) the task checks; `checks` is filled in here. */
  outputs: pulumi.Input<Record<string, unknown>>;
  /** Namespace the task may publish metrics to (alarms.customMetricNamespace). */
  customMetricNamespace: string;
  tags: Record<string, string>;
}

export class ChecksTask extends pulumi.ComponentResource {
  /** The `checks` part of the contract. */
  public readonly contract: pulumi.Output<ChecksOutputs>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly taskDefinitionArn: pulumi.Output<string>;

  constructor(name: string, args: ChecksTaskArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datatier:checks:ChecksTask", name, {}, opts);
    const s = args.settings;
    const a = { production: false, ...args };
    const child = { parent: this };
    if (a.subnetIds.length === 0) throw new Error(`ChecksTask ${name}: subnetIds is empty; the task needs the data tier's private subnets`);

    // Its own group: the data tier admits "the checks" by name, not a CIDR or the application's group.
    const sg = new aws.ec2.SecurityGroup(`${name}-sg`, { vpcId: a.vpcId, description: "Smoke checks (ECS Fargate task): client of Redis, PostgreSQL and PgBouncer", tags: { ...a.tags, Name: `${name}-sg`, DataTier: "checks" } }, child);
    for (const [role, t] of Object.entries(a.targets)) {
      new aws.vpc.SecurityGroupIngressRule(`${name}-${role}-in`, { securityGroupId: t.securityGroupId, referencedSecurityGroupId: sg.id, ipProtocol: "tcp", fromPort: t.port, toPort: t.port, description: `smoke checks to ${role}`, tags: a.tags }, child);
      new aws.vpc.SecurityGroupEgressRule(`${name}-${role}-out`, { securityGroupId: sg.id, referencedSecurityGroupId: t.securityGroupId, ipProtocol: "tcp", fromPort: t.port, toPort: t.port, description: `smoke checks to ${role}`, tags: a.tags }, child);
    }
    new aws.vpc.SecurityGroupEgressRule(`${name}-https-out`, { securityGroupId: sg.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "ECR, Secrets Manager, CloudWatch, the AWS control-plane checks", tags: a.tags }, child);

    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/ecs/${name}`, retentionInDays: s.logRetentionDays, tags: a.tags }, child);
    const outputsSecret = new aws.secretsmanager.Secret(
      `${name}-outputs`,
      { name: `${name}/outputs`, description: "The data tier's stack outputs (with the operator's credentials), read by the checks task at start", recoveryWindowInDays: a.production ? 30 : 7, tags: a.tags },
      { ...child, protect: a.production },
    );
    const imageRef = checksImage(this, name, { image: s.image, baseImage: s.baseImage, production: a.production, tags: a.tags });

    const assume = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
    const partition = aws.getPartitionOutput({}, child);
    const executionRole = new aws.iam.Role(`${name}-execution`, { assumeRolePolicy: assume("ecs-tasks.amazonaws.com"), description: "Pulls the checks image, writes its logs and reads the outputs secret", tags: a.tags }, child);
    new aws.iam.RolePolicyAttachment(`${name}-execution-managed`, { role: executionRole.name, policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` }, child);
    new aws.iam.RolePolicy(
      `${name}-execution-outputs`,
      { role: executionRole.name, policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [outputsSecret.arn] }] }) },
      child,
    );
    const taskRole = new aws.iam.Role(`${name}-task`, { assumeRolePolicy: assume("ecs-tasks.amazonaws.com"), description: "What the smoke suite reads (describe calls) and publishes (its custom metrics)", tags: a.tags }, child);
    new aws.iam.RolePolicy(`${name}-task-policy`, { role: taskRole.name, policy: JSON.stringify(checksTaskPolicy(a.customMetricNamespace)) }, child);

    const taskDefinition = new aws.ecs.TaskDefinition(
      `${name}-taskdef`,
      {
        ...fargateTaskBase(name, s, executionRole.arn),
        taskRoleArn: taskRole.arn,
        containerDefinitions: pulumi
          .all([imageRef, outputsSecret.arn, logGroup.name])
          .apply(([image, secretArn, group]) => JSON.stringify([containerDefinition({ image, outputsSecretArn: secretArn, logGroup: group, region: a.region })])),
        tags: a.tags,
      },
      child,
    );

    const scheduleName = s.scheduleEnabled ? `${name}-every-${s.scheduleMinutes}m` : null;
    const contract = pulumi
      .all([pulumi.output(a.clusterName), taskDefinition.arn, sg.id, logGroup.name])
      .apply(([clusterName, taskDefinitionArn, securityGroupId, logGroupName]) => ({
        aws: { clusterName, taskDefinitionArn, containerName: CHECKS_CONTAINER_NAME, subnetIds: a.subnetIds, securityGroupId, logGroupName, logStreamPrefix: LOG_STREAM_PREFIX, scheduleName, scheduleMinutes: s.scheduleEnabled ? s.scheduleMinutes : null },
      }));

    // The document the task checks is the stack's own outputs, `checks` included.
    new aws.secretsmanager.SecretVersion(
      `${name}-outputs`,
      { secretId: outputsSecret.id, secretString: pulumi.secret(pulumi.all([pulumi.output(a.outputs), contract]).apply(([o, checks]) => JSON.stringify({ ...o, checks }))) },
      child,
    );

    if (s.scheduleEnabled) {
      checksSchedule(this, name, {
        scheduleName: scheduleName!,
        reconcileScheduleName: `${name}-reconcile-daily`,
        minutes: s.scheduleMinutes,
        clusterArn: a.clusterArn,
        taskDefinitionArn: taskDefinition.arn,
        passRoleArns: [executionRole.arn, taskRole.arn],
        subnetIds: a.subnetIds,
        securityGroupId: sg.id,
        tags: a.tags,
      });
    }

    this.contract = contract;
    this.securityGroupId = sg.id;
    this.taskDefinitionArn = taskDefinition.arn;
    this.registerOutputs({ contract, securityGroupId: this.securityGroupId, taskDefinitionArn: this.taskDefinitionArn });
  }
}
