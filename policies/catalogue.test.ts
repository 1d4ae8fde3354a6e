/**
 * The bad-fixture catalogue: each fixture is the good stack with ONE property of one
 * resource changed, and must produce exactly its expected violation and no other.
 */
import { describe, expect, it } from "vitest";
import { ALL_POLICIES, hasMandatory, runPolicies } from "./policies";
import { loadPolicyConfig } from "./enforcement";
import { CONTAINERS_OK, DELETE, MEMBERS, SWITCHOVER_MONITOR_ARN, TAGS, goodStack, mutate } from "./testing/fixtures";

const PROD = loadPolicyConfig("prod").config;

interface Fixture {
  policy: string;
  resource: string;
  path: string;
  value: unknown;
  /** Substring of the one violation's message: the setting to change. */
  message: string;
}

const withContainers = (patch: Record<string, unknown>) => JSON.stringify(JSON.parse(CONTAINERS_OK).map((c: Record<string, unknown>) => ({ ...c, ...patch })));
const { logConfiguration: _dropped, ...containerWithoutLogs } = JSON.parse(CONTAINERS_OK)[0];

export const CATALOGUE: Fixture[] = [
  { policy: "rds-storage-encrypted", resource: "postgres-primary", path: "storageEncrypted", value: false, message: "Set storageEncrypted to true" },
  { policy: "rds-no-public-access", resource: "postgres-replica-1", path: "publiclyAccessible", value: true, message: "Set publiclyAccessible to false" },
  { policy: "rds-backup-retention", resource: "postgres-primary", path: "backupRetentionPeriod", value: 3, message: "Set data-tier:postgres.backupRetentionDays to at least 7 (it is 3)." },
  { policy: "rds-deletion-protection-in-prod", resource: "postgres-primary", path: "deletionProtection", value: false, message: "Set data-tier:postgres.deletionProtection to true." },
  { policy: "rds-multi-az-in-prod", resource: "postgres-primary", path: "multiAz", value: false, message: "Set data-tier:postgres.multiAz to true." },
  { policy: "rds-performance-insights", resource: "postgres-replica-1", path: "performanceInsightsEnabled", value: false, message: "Set data-tier:postgres.performanceInsights.enabled to true." },
  { policy: "rds-force-ssl", resource: "postgres-params", path: "parameters", value: [{ name: "rds.force_ssl", value: "0", applyMethod: "immediate" }], message: "Set rds.force_ssl to 1 in RDS parameter group postgres-params, used by postgres-primary, postgres-replica-1 (remove" },
  { policy: "rds-force-ssl", resource: "postgres-primary", path: "parameterGroupName", value: "default.postgres15", message: "Set parameterGroupName on RDS instance postgres-primary to the stack's own RDS parameter group (an AWS default group cannot force TLS)." },
  { policy: "rds-read-replicas-in-prod", resource: "postgres-replica-1", path: "replicateSourceDb", value: "some-other-db", message: "Set data-tier:postgres.replicas to at least 1 (RDS primary postgres-primary has 0)." },
  { policy: "elasticache-encryption-at-rest", resource: "redis-group", path: "atRestEncryptionEnabled", value: false, message: "Set data-tier:redis.atRestEncryption to true." },
  { policy: "elasticache-encryption-in-transit", resource: "redis-group", path: "transitEncryptionEnabled", value: false, message: "Set data-tier:redis.transitEncryption to true." },
  { policy: "elasticache-auth-required", resource: "redis-group", path: "authToken", value: DELETE, message: "Set authToken (the component's generated AUTH token) or userGroupIds" },
  { policy: "elasticache-automatic-failover-in-prod", resource: "redis-group", path: "automaticFailoverEnabled", value: false, message: "Set data-tier:redis.automaticFailover to true." },
  { policy: "elasticache-multi-az-in-prod", resource: "redis-group", path: "multiAzEnabled", value: false, message: "Set data-tier:redis.multiAz to true." },
  { policy: "elasticache-min-nodes", resource: "redis-group", path: "replicasPerNodeGroup", value: 0, message: "Set data-tier:redis.replicas to at least 1 (the group has 1 node(s), fewer than 2)." },
  { policy: "elasticache-snapshot-retention-in-prod", resource: "redis-group", path: "snapshotRetentionLimit", value: 0, message: "Set data-tier:redis.snapshotRetentionDays to at least 1 (it is 0)." },
  { policy: "elasticache-engine-version", resource: "redis-group", path: "engineVersion", value: "6.2", message: "Set data-tier:redis.engineVersion to one of 7.0, 7.1 (it is 6.2)." },
  { policy: "ecs-no-public-ip", resource: "pgbouncer-service", path: "networkConfiguration.assignPublicIp", value: true, message: "Set networkConfiguration.assignPublicIp to false" },
  { policy: "ecs-min-tasks-in-prod", resource: "pgbouncer-service", path: "desiredCount", value: 1, message: "Set data-tier:pgbouncer.desiredCount (and data-tier:pgbouncer.minCount) to at least 2 (it is 1)." },
  { policy: "ecs-deployment-circuit-breaker", resource: "pgbouncer-service", path: "deploymentCircuitBreaker.rollback", value: false, message: "Set deploymentCircuitBreaker to { enable: true, rollback: true }" },
  { policy: "ecs-container-logging", resource: "pgbouncer-task", path: "containerDefinitions", value: JSON.stringify([containerWithoutLogs]), message: "Set logConfiguration (logDriver \"awslogs\" with a CloudWatch log group) on container pgbouncer" },
  { policy: "ecs-no-plain-secret-env", resource: "pgbouncer-task", path: "containerDefinitions", value: withContainers({ environment: [{ name: "PGBOUNCER_ADMIN_PASSWORD", value: "hunter2hunter2" }] }), message: "Set PGBOUNCER_ADMIN_PASSWORD of container pgbouncer through secrets" },
  { policy: "lb-internal", resource: "pgbouncer-nlb", path: "internal", value: false, message: "Set internal to true on the load balancer" },
  { policy: "no-public-ingress-to-data-ports", resource: "redis-app-in", path: "cidrIpv6", value: "::/0", message: "Set the source of the ingress rule on port 6379 to a security group or private CIDR instead of ::/0; it exposes data-tier port(s) 6379." },
  { policy: "no-public-ingress-to-data-ports", resource: "postgres-admin-rule", path: "cidrBlocks", value: ["0.0.0.0/0"], message: "Set the source of the ingress rule on port 5432 to a security group or private CIDR instead of 0.0.0.0/0" },
  { policy: "no-public-ingress-to-data-ports", resource: "postgres-sg", path: "ingress", value: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }], message: "Set the source of the inline ingress rule on port 22 of data-tier security group postgres-sg" },
  { policy: "no-public-ingress-to-data-tier-groups", resource: "pgbouncer-health-in", path: "cidrIpv4", value: "0.0.0.0/0", message: "Set the source of ingress rule pgbouncer-health-in (port 8080) on data-tier security group pgbouncer-sg to a security group instead of 0.0.0.0/0." },
  { policy: "rds-replica-lag-alarms", resource: "replica-1-lag-warning", path: "threshold", value: 12, message: "Set data-tier:alarms.thresholds.replicaLag.warning to 10 (alarm replica-1-lag-warning on ReplicaLag" },
  { policy: "rds-replica-lag-alarms", resource: "replica-1-lag-critical", path: "alarmActions", value: [], message: "Set alarmActions on the critical ReplicaLag alarm replica-1-lag-critical" },
  { policy: "rds-replica-lag-alarms", resource: "replica-1-lag-critical", path: "dimensions", value: { DBInstanceIdentifier: "data-tier-prod-postgres" }, message: "Set data-tier:alarms.enabled to true so RDS read replica data-tier-prod-postgres-replica-1 gets a critical ReplicaLag alarm (> 30 s)" },
  { policy: "elasticache-replication-lag-alarms", resource: "redis-lag-warning", path: "threshold", value: 5, message: "Set data-tier:alarms.thresholds.replicaLag.warning to 10 (alarm redis-lag-warning" },
  {
    policy: "elasticache-replication-lag-alarms",
    resource: "redis-lag-critical",
    path: "metricQueries",
    value: [
      { id: "n0", returnData: false, metric: { namespace: "AWS/ElastiCache", metricName: "ReplicationLag", dimensions: { CacheClusterId: MEMBERS[1] }, stat: "Maximum", period: 60 } },
      { id: "e", expression: "MAX([n0])", returnData: true },
    ],
    message: `Set the metric math of alarm redis-lag-critical to read ReplicationLag of every member node of ElastiCache replication group data-tier-prod-redis (it misses ${MEMBERS[0]}).`,
  },
  { policy: "required-tags", resource: "redis-sg", path: "tags", value: { Project: "data-tier", Environment: "prod", ManagedBy: "pulumi", DataTier: "redis" }, message: "Set tags Owner on security group redis-sg" },
  { policy: "required-tags", resource: "pgbouncer-logs", path: "tags.Environment", value: "", message: "Set tags Environment on aws:cloudwatch/logGroup:LogGroup pgbouncer-logs" },
  { policy: "appconfig-monitors-in-prod", resource: "switchover-env", path: "monitors", value: [], message: "Set monitors on AppConfig environment switchover-env to the tier's critical alarms" },
  { policy: "appconfig-monitors-in-prod", resource: "switchover-env", path: "monitors", value: [{ alarmArn: SWITCHOVER_MONITOR_ARN }], message: "Set alarmRoleArn on monitor 1 of AppConfig environment switchover-env" },
  { policy: "appconfig-monitors-in-prod", resource: "switchover-critical-any", path: "alarmRule", value: 'ALARM("replica-1-lag-critical")', message: "Set the monitors of AppConfig environment switchover-env to cover critical alarm redis-lag-critical" },
  { policy: "protect-stateful-in-prod", resource: "redis-auth-token", path: "opts.protect", value: false, message: "Set the resource option protect to true on Secrets Manager secret redis-auth-token" },
  { policy: "protect-stateful-in-prod", resource: "postgres-params", path: "opts.protect", value: false, message: "Set the resource option protect to true on RDS parameter group postgres-params" },
];

describe("the good stack", () => {
  it("passes every policy under the prod policy config", async () => {
    const { violations, notApplicable } = await runPolicies({ resources: goodStack(), stack: "prod", config: PROD });
    expect(violations).toEqual([]);
    // Only the output check (run by the review instead) is not applicable in production.
    expect(notApplicable.map((n) => n.policy)).toEqual(["no-secret-in-plain-output"]);
  });

  it("tags carry every required key", () => {
    expect(Object.keys(TAGS).sort()).toEqual(["Environment", "ManagedBy", "Owner", "Project"]);
  });
});

describe("bad fixtures: one property changed, exactly one violation", () => {
  it.each(CATALOGUE.map((f) => [`${f.policy}: ${f.resource}.${f.path}`, f] as const))("%s", async (_title, f) => {
    const resources = mutate(goodStack(), f.resource, f.path, f.value);
    const { violations } = await runPolicies({ resources, stack: "prod", config: PROD });
    expect(violations.map((v) => `${v.policy}: ${v.message}`)).toEqual([expect.stringContaining(`${f.policy}: ${f.message}`)]);
    expect(violations[0].enforcementLevel).toBe("mandatory");
    // Every message is one imperative sentence that starts by naming what to set.
    expect(violations[0].message).toMatch(/^Set .+\.$/);
    expect(hasMandatory(violations)).toBe(true);
  });

  it("covers every policy of the pack (the output check has its own tests)", () => {
    const covered = new Set([...CATALOGUE.map((f) => f.policy), "no-secret-in-plain-output"]);
    expect(ALL_POLICIES.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
  });

  it("never flags an untaggable resource (a SecretVersion accepts no tags)", async () => {
    const resources = goodStack();
    expect(resources.find((r) => r.name === "redis-auth-token-v")?.inputs.tags).toBeUndefined();
    const { violations } = await runPolicies({ resources, stack: "prod", config: PROD });
    expect(violations.filter((v) => v.policy === "required-tags")).toEqual([]);
  });
});
