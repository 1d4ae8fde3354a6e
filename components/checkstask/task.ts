/**
 * The checks task's pure parts: its container definition and its task role's policy,
 * so tests can hold them to what the suite needs and nothing more.
 */

export const CHECKS_CONTAINER_NAME = "checks";
/** awslogs stream prefix: streams are `<prefix>/<container>/<task id>` (ECS awslogs driver). */
export const LOG_STREAM_PREFIX = "checks";
/** The env variable ECS fills from the outputs secret (read by checks/invpc/entry.ts). */
export const OUTPUTS_ENV = "DATATIER_OUTPUTS";

export function containerDefinition(o: { image: string; outputsSecretArn: string; logGroup: string; region: string }): Record<string, unknown> {
  return {
    name: CHECKS_CONTAINER_NAME,
    image: o.image,
    essential: true,
    readonlyRootFilesystem: false,
    // The entrypoint writes the outputs to a 0600 file in the task's own /tmp; no secret in the environment of anything it starts.
    secrets: [{ name: OUTPUTS_ENV, valueFrom: o.outputsSecretArn }],
    environment: [{ name: "NO_COLOR", value: "1" }],
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": o.logGroup, "awslogs-region": o.region, "awslogs-stream-prefix": LOG_STREAM_PREFIX } },
  };
}

/**
 * The task role: the describe calls of the AWS control-plane checks (checks/aws, checks/alarms),
 * which take no resource-level permissions, and PutMetricData only into the stack's namespace
 * (the `cloudwatch:namespace` condition key, IAM service authorization reference for CloudWatch).
 */
export function checksTaskPolicy(namespace: string): { Version: "2012-10-17"; Statement: Record<string, unknown>[] } {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeTheDataTier",
        Effect: "Allow",
        Action: ["elasticache:DescribeReplicationGroups", "rds:DescribeDBInstances", "ecs:DescribeServices", "elasticloadbalancing:DescribeTargetHealth", "cloudwatch:DescribeAlarms"],
        Resource: "*",
      },
      { Sid: "PublishSuiteMetrics", Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": namespace } } },
    ],
  };
}
