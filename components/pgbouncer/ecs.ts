/**
 * PgBouncer on ECS Fargate: cluster (Container Insights), log group, the rendered
 * pgbouncer.ini and userlist in Secrets Manager, a task definition whose container gets
 * them through `secrets` (the entrypoint writes them to files), an execution role that
 * may read exactly those two secrets, a service across the private subnets behind the
 * NLB with a rolling-back circuit breaker, and CPU target-tracking autoscaling.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { fargateTaskBase } from "../fargate";
import type { PgBouncerSettings } from "../settings/schema";
import { CONFIG_VOLUME, metricsPolicy, readRouterContainerDefinition } from "../readrouting/sidecar";
import { healthCheckCommand } from "./health";
import { statefulOptions } from "../options";
import { pgbouncerFileLimit } from "./render";

/** Where the entrypoint writes the configuration inside the container. */
export const CONTAINER_CONFIG_DIR = "/etc/pgbouncer";
export const CONTAINER_NAME = "pgbouncer";
/** Environment variables ECS fills from Secrets Manager; read by image/entrypoint.sh. */
export const INI_ENV = "PGBOUNCER_INI";
export const USERLIST_ENV = "PGBOUNCER_USERLIST";
/** The hba file (roles tied to pools): no secret in it, so a plain variable. */
export const HBA_ENV = "PGBOUNCER_HBA";

/** The one container of the task, as ECS wants it (serialized to JSON by the caller). */
export function containerDefinition(o: {
  image: string;
  s: PgBouncerSettings;
  iniSecretArn: string;
  userlistSecretArn: string;
  logGroup: string;
  region: string;
  /** Mount the task volume the read router shares at the config dir. @default false */
  sharedConfig?: boolean;
  /** The rendered hba file; none: auth_type from the settings. */
  hba?: string;
}): Record<string, unknown> {
  const files = pgbouncerFileLimit(o.s);
  return {
    ...(o.sharedConfig ? { mountPoints: [{ sourceVolume: CONFIG_VOLUME, containerPath: CONTAINER_CONFIG_DIR }] } : {}),
    name: CONTAINER_NAME,
    image: o.image,
    essential: true,
    portMappings: [{ containerPort: o.s.port, protocol: "tcp" }],
    secrets: [
      { name: INI_ENV, valueFrom: o.iniSecretArn },
      { name: USERLIST_ENV, valueFrom: o.userlistSecretArn },
    ],
    ...(o.hba ? { environment: [{ name: HBA_ENV, value: o.hba }] } : {}),
    healthCheck: { command: ["CMD-SHELL", healthCheckCommand(o.s.port)], interval: 15, timeout: 5, retries: 3, startPeriod: 20 },
    ulimits: [{ name: "nofile", softLimit: files, hardLimit: files }],
    // Time between ECS's SIGTERM and SIGKILL, matched to the NLB's deregistration delay.
    stopTimeout: 60,
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": o.logGroup, "awslogs-region": o.region, "awslogs-stream-prefix": CONTAINER_NAME } },
  };
}

export interface PgBouncerEcsArgs {
  s: PgBouncerSettings;
  production: boolean;
  region: string;
  imageRef: pulumi.Input<string>;
  ini: pulumi.Output<string>;
  userlist: pulumi.Output<string>;
  /** The rendered hba file (roles tied to pools); none: auth_type from the settings. */
  hba?: pulumi.Output<string | undefined>;
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  targetGroupArn: pulumi.Input<string>;
  /** Resources the service must wait for (the NLB listener). */
  dependsOn: pulumi.Resource[];
  tags: Record<string, string>;
  /** The read router sidecar (components/readrouting/sidecar.ts); none when absent. */
  readRouter?: {
    imageRef: pulumi.Input<string>;
    /** Its configuration document, without passwords. */
    configJson: pulumi.Output<string>;
    /** Monitoring role's and console's passwords (secret). */
    passwords: pulumi.Output<{ monitoring: string; console: string }>;
    metricNamespace: string;
  };
}

export interface PgBouncerEcs {
  cluster: aws.ecs.Cluster;
  service: aws.ecs.Service;
  taskDefinition: aws.ecs.TaskDefinition;
  logGroup: aws.cloudwatch.LogGroup;
  iniSecret: aws.secretsmanager.Secret;
  userlistSecret: aws.secretsmanager.Secret;
  executionRole: aws.iam.Role;
  /** The read router's task role and secret; undefined without the sidecar. */
  readRouter?: { taskRole: aws.iam.Role; secret: aws.secretsmanager.Secret };
}

export function pgbouncerEcs(parent: pulumi.Resource, name: string, a: PgBouncerEcsArgs): PgBouncerEcs {
  const child = { parent };
  const s = a.s;

  const cluster = new aws.ecs.Cluster(`${name}-cluster`, { name, settings: [{ name: "containerInsights", value: "enabled" }], tags: a.tags }, child);
  const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { name: `/ecs/${name}`, retentionInDays: s.logRetentionDays, tags: a.tags }, child);

  const secret = (role: string, what: string, value: pulumi.Output<string>) => {
    const sec = new aws.secretsmanager.Secret(
      `${name}-${role}`,
      // A generated name (prefix + suffix): a deleted secret keeps its name for the recovery
      // window, so a fixed name could not be reused by a replacement or a re-created secret.
      { namePrefix: `${name}/${role}-`, description: `PgBouncer ${what}, rendered by components/pgbouncer`, recoveryWindowInDays: a.production ? 30 : 0, tags: a.tags },
      // Secrets are stateful in the policy pack's sense: prod keeps them from accidental replacement.
      statefulOptions(parent, a.production),
    );
    new aws.secretsmanager.SecretVersion(`${name}-${role}`, { secretId: sec.id, secretString: pulumi.secret(value) }, child);
    return sec;
  };
  const iniSecret = secret("ini", "pgbouncer.ini", a.ini);
  const userlistSecret = secret("userlist", "auth file (userlist.txt)", a.userlist);
  const rr = a.readRouter;
  const routerSecret = rr && secret("read-router", "read router's monitoring and console passwords", rr.passwords.apply((p) => JSON.stringify(p)));

  const executionRole = new aws.iam.Role(
    `${name}-execution`,
    {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      description: "Pulls the PgBouncer image, writes its logs and reads its two configuration secrets",
      tags: a.tags,
    },
    child,
  );
  // The partition, not a literal "aws": the managed policy's ARN differs in GovCloud and China.
  const partition = aws.getPartitionOutput({}, child);
  new aws.iam.RolePolicyAttachment(
    `${name}-execution-managed`,
    { role: executionRole.name, policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` },
    child,
  );
  new aws.iam.RolePolicy(
    `${name}-execution-secrets`,
    {
      role: executionRole.name,
      policy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [iniSecret.arn, userlistSecret.arn, ...(routerSecret ? [routerSecret.arn] : [])] }],
      }),
    },
    child,
  );

  // The task role: what the containers themselves may do (only the router calls AWS).
  const taskRole =
    rr &&
    new aws.iam.Role(
      `${name}-task-role`,
      {
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        description: "The read router sidecar publishes its metrics",
        tags: a.tags,
      },
      child,
    );
  if (rr && taskRole) new aws.iam.RolePolicy(`${name}-task-metrics`, { role: taskRole.name, policy: JSON.stringify(metricsPolicy(rr.metricNamespace)) }, child);

  const taskDefinition = new aws.ecs.TaskDefinition(
    `${name}-task`,
    {
      ...fargateTaskBase(name, s, executionRole.arn),
      ...(taskRole ? { taskRoleArn: taskRole.arn, volumes: [{ name: CONFIG_VOLUME }] } : {}),
      containerDefinitions: pulumi
        .all([a.imageRef, iniSecret.arn, userlistSecret.arn, logGroup.name, rr?.imageRef ?? "", rr?.configJson ?? "", routerSecret?.arn ?? "", a.hba ?? pulumi.output(undefined)])
        .apply(([image, iniArn, userlistArn, group, routerImage, routerConfig, routerSecretArn, hba]) =>
          JSON.stringify([
            containerDefinition({ image, s, iniSecretArn: iniArn, userlistSecretArn: userlistArn, logGroup: group, region: a.region, sharedConfig: !!rr, ...(hba ? { hba } : {}) }),
            ...(rr ? [readRouterContainerDefinition({ image: routerImage, configJson: routerConfig, secretArn: routerSecretArn, logGroup: group, region: a.region, configDir: CONTAINER_CONFIG_DIR, pgbouncerContainer: CONTAINER_NAME })] : []),
          ]),
        ),
      tags: a.tags,
    },
    child,
  );

  const service = new aws.ecs.Service(
    `${name}-service`,
    {
      name: CONTAINER_NAME,
      cluster: cluster.arn,
      taskDefinition: taskDefinition.arn,
      launchType: "FARGATE",
      desiredCount: s.desiredCount,
      // Fargate spreads tasks over the subnets' zones; rebalance after a zone comes back.
      availabilityZoneRebalancing: "ENABLED",
      networkConfiguration: { subnets: a.subnetIds, securityGroups: [a.securityGroupId], assignPublicIp: false },
      loadBalancers: [{ targetGroupArn: a.targetGroupArn, containerName: CONTAINER_NAME, containerPort: s.port }],
      healthCheckGracePeriodSeconds: 30,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      // Never below the running capacity during a deploy: clients keep their pool.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      tags: a.tags,
    },
    // Autoscaling owns the running count once the service exists.
    { ...child, dependsOn: a.dependsOn, ignoreChanges: ["desiredCount"] },
  );

  const target = new aws.appautoscaling.Target(
    `${name}-scaling`,
    {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: pulumi.interpolate`service/${cluster.name}/${service.name}`,
      minCapacity: s.minCount,
      maxCapacity: s.maxCount,
      tags: a.tags,
    },
    child,
  );
  new aws.appautoscaling.Policy(
    `${name}-cpu`,
    {
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        targetValue: s.cpuTargetPercent,
        // Scale out fast; scale in slowly, since a removed task drops its clients.
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
      },
    },
    child,
  );

  return { cluster, service, taskDefinition, logGroup, iniSecret, userlistSecret, executionRole, readRouter: taskRole && routerSecret ? { taskRole, secret: routerSecret } : undefined };
}
