import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ChecksTask } from "../components/checkstask";
import type { ChecksOutputs } from "../components/contract/outputs";
import type { PgBouncer } from "../components/pgbouncer";
import type { StackContext } from "./context";

/**
 * The checks slice: on aws, the smoke suite as a Fargate task in PgBouncer's cluster, admitted
 * by Redis, PostgreSQL and PgBouncer, and its schedule. Elsewhere the suite runs where the
 * operator is (loopback, the docker network's published ports): no task.
 */
export function realizeChecks(ctx: StackContext, pgbouncer: PgBouncer, outputs: Record<string, unknown>): { contract: pulumi.Output<ChecksOutputs>; task?: ChecksTask } {
  const s = ctx.settings;
  if (!ctx.aws) return { contract: pulumi.output({ aws: null }) };
  if (!pgbouncer.clusterName) throw new Error("checks: the PgBouncer component has no ECS cluster on platform aws; the checks task runs in it");
  const identity = aws.getCallerIdentityOutput();
  const partition = aws.getPartitionOutput();
  const clusterArn = pulumi.interpolate`arn:${partition.partition}:ecs:${s.region!}:${identity.accountId}:cluster/${pgbouncer.clusterName}`;
  const n = ctx.aws.network;
  const task = new ChecksTask(`${ctx.prefix}-checks`, {
    settings: s.checks,
    namePrefix: ctx.prefix,
    region: s.region!,
    production: s.production,
    vpcId: s.network.vpcId!,
    subnetIds: s.network.privateSubnets.map((x) => x.id),
    clusterName: pgbouncer.clusterName,
    clusterArn,
    targets: {
      redis: { securityGroupId: n.redisSecurityGroupId, port: s.redis.port },
      postgres: { securityGroupId: n.postgresSecurityGroupId, port: s.postgres.port },
      pgbouncer: { securityGroupId: n.pgbouncerSecurityGroupId, port: s.pgbouncer.port },
    },
    outputs,
    customMetricNamespace: s.alarms.customMetricNamespace,
    tags: ctx.tags,
  });
  return { contract: task.contract, task };
}
