import * as pulumi from "@pulumi/pulumi";
import { DataTierAlarms } from "../components/alarms";
import type { AlarmOutputs } from "../components/contract/outputs";
import { replicationGroupId } from "../components/settings/rules";
import type { StackContext } from "./context";

/** What the alarms read from the other slices (their components' public fields). */
export interface AlarmSources {
  redis?: { memberClusterIds: pulumi.Output<string[]>; nodeCount: number };
  postgres?: { primaryInstanceId: pulumi.Input<string>; replicaInstanceIds: pulumi.Input<string>[] };
  /** PgBouncer's AWS fields are undefined off AWS (never read there). */
  pgbouncer?: {
    clusterName: pulumi.Input<string> | undefined;
    serviceName: pulumi.Input<string> | undefined;
    targetGroupArnSuffix: pulumi.Input<string> | undefined;
    loadBalancerArnSuffix: pulumi.Input<string> | undefined;
    desiredCount: number;
    readRouter?: boolean;
  };
}

function pgbouncerOnAws(p: NonNullable<AlarmSources["pgbouncer"]>) {
  const { clusterName, serviceName, targetGroupArnSuffix, loadBalancerArnSuffix, desiredCount, readRouter } = p;
  if (!clusterName || !serviceName || !targetGroupArnSuffix || !loadBalancerArnSuffix) {
    throw new Error("alarms: the PgBouncer component has no ECS cluster/service or NLB target group on platform aws; its alarms need all four");
  }
  return { clusterName, serviceName, targetGroupArnSuffix, loadBalancerArnSuffix, desiredCount, readRouter };
}

export interface RealizedAlarms {
  contract: pulumi.Output<AlarmOutputs>;
  /** The component; undefined off AWS or with alarms.enabled false. */
  alarms?: DataTierAlarms;
}

/**
 * The alarms slice: CloudWatch alarms, SNS topics and a dashboard on aws. Elsewhere
 * (docker, sandbox) there is no CloudWatch: the contract says so with no alarms and
 * null topics, and the smoke suite measures the same thresholds itself.
 */
export function realizeAlarms(ctx: StackContext, from: AlarmSources): RealizedAlarms {
  const s = ctx.settings;
  if (s.platform !== "aws" || !s.alarms.enabled) {
    return { contract: pulumi.output({ customMetricNamespace: s.alarms.customMetricNamespace, warningTopicArn: null, criticalTopicArn: null, alarmNames: [] }) };
  }
  const redis = from.redis && {
    replicationGroupId: replicationGroupId(s),
    // One input per node: the alarm count must be known before ElastiCache names the nodes.
    memberClusterIds: Array.from({ length: from.redis.nodeCount }, (_, i) =>
      from.redis!.memberClusterIds.apply((ids) => {
        if (!ids[i]) throw new Error(`alarms: ElastiCache reported ${ids.length} member clusters, expected ${from.redis!.nodeCount}`);
        return ids[i];
      }),
    ),
    replicasPerShard: s.redis.replicas,
  };
  const alarms = new DataTierAlarms(`${ctx.prefix}-alarms`, {
    settings: s.alarms,
    thresholds: ctx.thresholds,
    environment: s.environment,
    region: s.region!,
    postgresMaxConnections: s.postgres.maxConnections,
    namePrefix: ctx.prefix,
    redis,
    postgres: from.postgres,
    pgbouncer: from.pgbouncer && pgbouncerOnAws(from.pgbouncer),
    partitionTables: s.postgres.partitionPairs.map((p) => p.legacy),
    // The checks task's schedule (stacks/checks.ts) publishes the heartbeat the monitor alarm watches.
    scheduledChecks: s.checks.scheduleEnabled ? { minutes: s.checks.scheduleMinutes } : null,
    tags: ctx.tags,
  });
  return { contract: alarms.contract, alarms };
}
