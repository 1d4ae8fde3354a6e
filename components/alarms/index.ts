import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AlarmOutputs } from "../contract/outputs";
import type { AlarmSettings } from "../settings/schema";
import type { Thresholds } from "../thresholds/thresholds";
import { alarmPlan, type AlarmPlanInput, type AlarmSpec, type AlarmTopology } from "./catalogue";
import { dashboardBody } from "./dashboard";
import { createTopics } from "./topics";

export * from "./catalogue";
export { dashboardBody, levelLines } from "./dashboard";
export { topicKeyPolicy } from "./topics";

/** Arguments of {@link DataTierAlarms}. */
export interface DataTierAlarmsArgs {
  /** The stack's validated alarm settings (timing, namespace, baseline limits, notifications, dashboard, KMS key). */
  settings: AlarmSettings;
  /** Effective thresholds (StackContext.thresholds): the documented table plus the stack's overrides. */
  thresholds: Thresholds;
  /** `Environment` dimension of the custom metrics. */
  environment: string;
  /** Region the dashboard's widgets read from. */
  region: string;
  /** postgres.maxConnections; the connection alarm is a percentage of it. */
  postgresMaxConnections: number;
  /** Prefix of alarm, topic and dashboard names. @default the component name */
  namePrefix?: string;
  /** ElastiCache replication group: member node ids, one per node, in any order. @default none (no Redis alarms) */
  redis?: AlarmTopology<pulumi.Input<string>>["redis"];
  /** RDS primary and read replica identifiers, replicas in order. @default none (no RDS alarms) */
  postgres?: AlarmTopology<pulumi.Input<string>>["postgres"];
  /** PgBouncer ECS service and NLB target group. @default none (no PgBouncer alarms) */
  pgbouncer?: AlarmTopology<pulumi.Input<string>>["pgbouncer"];
  /** Legacy table of each partition pair (PartitionRowDelta's `Table` dimension). @default [] */
  partitionTables?: string[];
  /** The schedule running the checks with --publish-metrics: adds the monitor alarm. @default null (no monitor alarm) */
  scheduledChecks?: { minutes: number } | null;
  /** Tags for the topics, key and alarms. @default {} */
  tags?: Record<string, string>;
}

/**
 * The topology as plain objects holding only the id fields. Callers may hand in a
 * component (PostgresCluster has `primaryInstanceId` and `replicaInstanceIds`), and
 * `pulumi.output(...)` does not unwrap a Resource: it would stringify the Output
 * ("Calling [toJSON] on an [Output<T>]...") into the dashboard's dimensions.
 */
function plainTopology(
  a: Pick<DataTierAlarmsArgs, "redis" | "postgres" | "pgbouncer" | "scheduledChecks"> & { partitionTables: string[] },
): AlarmTopology<pulumi.Input<string>> {
  const { redis, postgres, pgbouncer } = a;
  return {
    redis: redis ? { replicationGroupId: redis.replicationGroupId, memberClusterIds: [...redis.memberClusterIds], replicasPerShard: redis.replicasPerShard } : null,
    postgres: postgres ? { primaryInstanceId: postgres.primaryInstanceId, replicaInstanceIds: [...postgres.replicaInstanceIds] } : null,
    pgbouncer: pgbouncer
      ? { clusterName: pgbouncer.clusterName, serviceName: pgbouncer.serviceName, targetGroupArnSuffix: pgbouncer.targetGroupArnSuffix, loadBalancerArnSuffix: pgbouncer.loadBalancerArnSuffix, desiredCount: pgbouncer.desiredCount, readRouter: pgbouncer.readRouter }
      : null,
    partitionTables: [...a.partitionTables],
    scheduledChecks: a.scheduledChecks ? { minutes: a.scheduledChecks.minutes } : null,
  };
}

/**
 * CloudWatch alarms for the data tier: every documented threshold at warning and
 * critical for every replica, node group and partition pair, plus baseline health
 * alarms, each notifying the SNS topic of its severity (ALARM and OK); a KMS-encrypted
 * topic per severity with the stack's subscriptions; and a dashboard with the alarm
 * levels drawn on the graphs. The alarm list is `alarmPlan` (catalogue.ts), so the
 * smoke suite and the offline review see the same catalogue.
 */
export class DataTierAlarms extends pulumi.ComponentResource {
  /** Stack-output contract part for alarms. */
  public readonly contract: pulumi.Output<AlarmOutputs>;
  /** The catalogue the alarms were made from, with resolved dimension values. */
  public readonly specs: pulumi.Output<AlarmSpec[]>;
  /** Names of every alarm created. */
  public readonly alarmNames: string[];
  /** Names of the critical alarms (the switchover flag's monitor watches them). */
  public readonly criticalAlarmNames: string[];
  /** Warning topic ARN. */
  public readonly warningTopicArn: pulumi.Output<string>;
  /** Critical topic ARN. */
  public readonly criticalTopicArn: pulumi.Output<string>;
  /** Dashboard name; undefined when settings.dashboard is false. */
  public readonly dashboardName: pulumi.Output<string> | undefined;

  constructor(name: string, args: DataTierAlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = { namePrefix: name, redis: null, postgres: null, pgbouncer: null, partitionTables: [], scheduledChecks: null, tags: {}, ...args };

    const planInput: AlarmPlanInput<pulumi.Input<string>> = {
      namePrefix: a.namePrefix,
      environment: a.environment,
      settings: a.settings,
      thresholds: a.thresholds,
      postgresMaxConnections: a.postgresMaxConnections,
      topology: plainTopology(a),
    };
    // The plan's shape (names, count, levels) is known now; only dimension values wait on ids.
    // Computed before registering anything, so an impossible plan leaves no half-made component.
    const plan = alarmPlan(planInput);
    super("datatier:alarms:DataTierAlarms", name, {}, opts);
    const child = { parent: this };

    const topics = createTopics(this, name, { namePrefix: a.namePrefix, kmsKeyArn: a.settings.kmsKeyArn, notifications: a.settings.notifications, tags: a.tags });

    for (const s of plan) {
      const topicArn = topics[s.severity].arn;
      const source = s.metric
        ? { namespace: s.metric.namespace, metricName: s.metric.metricName, dimensions: s.metric.dimensions, statistic: s.metric.stat, period: s.period }
        : {
            metricQueries: s.metricQueries.map((q) => ({
              id: q.id,
              returnData: q.returnData,
              ...(q.label ? { label: q.label } : {}),
              ...(q.expression ? { expression: q.expression } : {}),
              ...(q.metric ? { metric: { namespace: q.metric.namespace, metricName: q.metric.metricName, dimensions: q.metric.dimensions, stat: q.metric.stat, period: s.period } } : {}),
            })),
          };
      new aws.cloudwatch.MetricAlarm(
        `${name}-${s.id}`,
        {
          name: s.name,
          alarmDescription: s.description,
          comparisonOperator: s.comparisonOperator,
          threshold: s.threshold,
          evaluationPeriods: s.evaluationPeriods,
          datapointsToAlarm: s.datapointsToAlarm,
          treatMissingData: s.treatMissingData,
          // No `unit`: an alarm with a unit ignores datapoints published in another unit and
          // sits in INSUFFICIENT_DATA; the spec's unit documents the threshold instead.
          ...source,
          actionsEnabled: true,
          alarmActions: [topicArn],
          okActions: [topicArn],
          tags: { ...a.tags, Severity: s.severity, AlarmKind: s.kind, Unit: s.unit, RunbookAnchor: s.runbookAnchor },
        },
        child,
      );
    }

    this.specs = pulumi.output(planInput.topology).apply((topology) => alarmPlan({ ...planInput, topology: topology as AlarmTopology }));

    if (a.settings.dashboard) {
      const dashboard = new aws.cloudwatch.Dashboard(
        `${name}-dashboard`,
        {
          dashboardName: `${a.namePrefix}-data-tier`,
          dashboardBody: pulumi.output(planInput.topology).apply((topology) => {
            const resolved = { ...planInput, topology: topology as AlarmTopology };
            return JSON.stringify(dashboardBody(resolved, alarmPlan(resolved), a.region));
          }),
        },
        child,
      );
      this.dashboardName = dashboard.dashboardName;
    }

    this.alarmNames = plan.map((s) => s.name);
    this.criticalAlarmNames = plan.filter((s) => s.severity === "critical").map((s) => s.name);
    this.warningTopicArn = topics.warning.arn;
    this.criticalTopicArn = topics.critical.arn;
    this.contract = pulumi.all([topics.warning.arn, topics.critical.arn]).apply(([warningTopicArn, criticalTopicArn]) => ({
      customMetricNamespace: a.settings.customMetricNamespace,
      warningTopicArn,
      criticalTopicArn,
      alarmNames: this.alarmNames,
    }));
    this.registerOutputs({
      contract: this.contract,
      specs: this.specs,
      warningTopicArn: this.warningTopicArn,
      criticalTopicArn: this.criticalTopicArn,
      dashboardName: this.dashboardName,
    });
  }
}
