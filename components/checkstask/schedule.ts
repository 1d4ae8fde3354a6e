/**
 * The schedule that makes monitoring run by itself: EventBridge Scheduler starts the
 * checks task every N minutes with --publish-metrics, so every custom-metric alarm has a
 * publisher (docs/alarms.md). The scheduler's role may run exactly this task definition
 * family in this cluster and pass exactly its two roles (Scheduler user guide, "Set up the
 * execution role": ecs:RunTask on the task definition, iam:PassRole for the task's roles).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ChecksScheduleArgs {
  scheduleName: string;
  /** Name of the daily full-table reconciliation's schedule (the gate reads its last result). */
  reconcileScheduleName: string;
  minutes: number;
  clusterArn: pulumi.Input<string>;
  taskDefinitionArn: pulumi.Input<string>;
  passRoleArns: pulumi.Input<string>[];
  subnetIds: string[];
  securityGroupId: pulumi.Input<string>;
  tags: Record<string, string>;
}

/** The command the schedule passes to the container: the suite with metrics published. */
export const SCHEDULED_COMMAND = ["--publish-metrics"];

/** The daily reconciliation: the task's entry runs `npm run reconcile` on a replica for this command. */
export const RECONCILE_COMMAND = ["reconcile"];

/**
 * 03:30 UTC every day: off-peak for most tenants, and well inside the age after which the
 * gate's partition.reconcile.* verdict turns WARN (postgres.partitionChecks.reconcileMaxAgeSeconds).
 */
export const RECONCILE_EXPRESSION = "cron(30 3 * * ? *)";

/** `rate(5 minutes)`; singular for one (Scheduler rejects "rate(1 minutes)"). */
export function rateExpression(minutes: number): string {
  return `rate(${minutes} ${minutes === 1 ? "minute" : "minutes"})`;
}

/** Task definition ARN without its revision: the role may run any revision of the family. */
export function familyArn(taskDefinitionArn: string): string {
  return taskDefinitionArn.replace(/:\d+$/, "");
}

export function checksSchedule(parent: pulumi.Resource, name: string, a: ChecksScheduleArgs): { schedule: aws.scheduler.Schedule; reconcile: aws.scheduler.Schedule; role: aws.iam.Role } {
  const child = { parent };
  const role = new aws.iam.Role(
    `${name}-scheduler`,
    {
      assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      description: "EventBridge Scheduler: runs the data tier's checks task",
      tags: a.tags,
    },
    child,
  );
  new aws.iam.RolePolicy(
    `${name}-scheduler-run`,
    {
      role: role.name,
      policy: pulumi
        .all([pulumi.output(a.taskDefinitionArn), pulumi.output(a.clusterArn), pulumi.all(a.passRoleArns)])
        .apply(([td, cluster, roles]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              { Sid: "RunTheChecksTask", Effect: "Allow", Action: ["ecs:RunTask"], Resource: [`${familyArn(td)}:*`], Condition: { ArnEquals: { "ecs:cluster": cluster } } },
              { Sid: "PassItsRoles", Effect: "Allow", Action: ["iam:PassRole"], Resource: roles, Condition: { StringLike: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } },
            ],
          }),
        ),
    },
    child,
  );
  const target = (command: string[], maxEventAgeSeconds: number) => ({
    arn: a.clusterArn,
    roleArn: role.arn,
    ecsParameters: {
      taskDefinitionArn: a.taskDefinitionArn,
      launchType: "FARGATE",
      taskCount: 1,
      networkConfiguration: { subnets: a.subnetIds, securityGroups: [a.securityGroupId], assignPublicIp: false },
    },
    input: JSON.stringify({ containerOverrides: [{ name: "checks", command }] }),
    // A run that cannot start is retried soon; one that is late is pointless (the next run comes).
    retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: maxEventAgeSeconds },
  });
  const schedule = new aws.scheduler.Schedule(
    `${name}-schedule`,
    {
      name: a.scheduleName,
      description: `Runs the data tier's smoke suite inside the VPC every ${a.minutes} minute(s) with --publish-metrics`,
      scheduleExpression: rateExpression(a.minutes),
      flexibleTimeWindow: { mode: "OFF" },
      state: "ENABLED",
      target: target(SCHEDULED_COMMAND, Math.max(60, a.minutes * 60)),
    },
    child,
  );
  const reconcile = new aws.scheduler.Schedule(
    `${name}-reconcile`,
    {
      name: a.reconcileScheduleName,
      description: "Runs the full-table partition reconciliation inside the VPC once a day (on a replica); the gate reads its last result",
      scheduleExpression: RECONCILE_EXPRESSION,
      scheduleExpressionTimezone: "UTC",
      flexibleTimeWindow: { mode: "FLEXIBLE", maximumWindowInMinutes: 30 },
      state: "ENABLED",
      target: target(RECONCILE_COMMAND, 3600),
    },
    child,
  );
  return { schedule, reconcile, role };
}
