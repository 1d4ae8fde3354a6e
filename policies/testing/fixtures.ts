/**
 * A small, good production stack as the runner sees it (recorded resources), and
 * `mutate` to derive a bad fixture by changing ONE property of one resource: the
 * pattern of AWSGuard's tests (a happy-path factory, one prop mutated per case),
 * extended to stack policies. Independent of the program, so a fixture's expected
 * violation cannot drift when components change.
 */
import type { PolicyInputResource } from "../runner";

const TAGS = { Project: "data-tier", Environment: "prod", ManagedBy: "pulumi", Owner: "platform-data" };

type Props = Record<string, unknown>;

function urnOf(type: string, name: string): string {
  return `urn:pulumi:prod::data-tier::${type}::${name}`;
}

interface Extra {
  state?: Props;
  protect?: boolean;
  /** input name -> names of resources it depends on */
  deps?: Record<string, string[]>;
}

/** A recorded resource as the harness returns it (secretInputs included). */
export type FixtureResource = PolicyInputResource & { secretInputs: string[] };

function res(type: string, name: string, inputs: Props, extra: Extra = {}): FixtureResource {
  // Dependencies name resources defined earlier in goodStack().
  const propertyDependencies = Object.fromEntries(
    Object.entries(extra.deps ?? {}).map(([k, names]) => [
      k,
      names.map((n) => {
        if (!TYPE_OF[n]) throw new Error(`fixture: ${name} depends on ${n}, which is not defined before it`);
        return urnOf(TYPE_OF[n], n);
      }),
    ]),
  );
  TYPE_OF[name] = type;
  return {
    type,
    name,
    urn: urnOf(type, name),
    custom: true,
    inputs,
    state: { ...inputs, ...(extra.state ?? {}) },
    id: `${name}-id`,
    secretInputs: ["authToken", "secretString", "password"].filter((k) => k in inputs),
    protect: extra.protect ?? false,
    ignoreChanges: [],
    additionalSecretOutputs: [],
    dependencies: Object.values(propertyDependencies).flat(),
    propertyDependencies,
  };
}

/** Resource name -> type, for property dependencies by name. */
const TYPE_OF: Record<string, string> = {};

const T = {
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  sgRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  pg: "aws:rds/parameterGroup:ParameterGroup",
  db: "aws:rds/instance:Instance",
  ecPg: "aws:elasticache/parameterGroup:ParameterGroup",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  rg: "aws:elasticache/replicationGroup:ReplicationGroup",
  svc: "aws:ecs/service:Service",
  td: "aws:ecs/taskDefinition:TaskDefinition",
  lb: "aws:lb/loadBalancer:LoadBalancer",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  composite: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  appconfigEnv: "aws:appconfig/environment:Environment",
} as const;

export const SWITCHOVER_MONITOR_ARN = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:switchover-critical-any";

export const CONTAINERS_OK = JSON.stringify([
  {
    name: "pgbouncer",
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/pgbouncer:1.23",
    environment: [{ name: "PGBOUNCER_AUTH_TYPE", value: "scram-sha-256" }],
    secrets: [{ name: "PGBOUNCER_INI", valueFrom: "arn:aws:secretsmanager:us-east-1:123456789012:secret:ini" }],
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/pgbouncer" } },
  },
]);

const MEMBERS = ["data-tier-prod-redis-001", "data-tier-prod-redis-002"];

function lagAlarm(name: string, severity: "warning" | "critical", threshold: number, source: Props): FixtureResource {
  return res(T.alarm, name, {
    name,
    comparisonOperator: "GreaterThanThreshold",
    threshold,
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
    alarmActions: [`arn:aws:sns:us-east-1:123456789012:data-tier-prod-${severity}`],
    okActions: [`arn:aws:sns:us-east-1:123456789012:data-tier-prod-${severity}`],
    tags: { ...TAGS, Severity: severity },
    ...source,
  });
}

const rdsLag = { namespace: "AWS/RDS", metricName: "ReplicaLag", dimensions: { DBInstanceIdentifier: "data-tier-prod-postgres-replica-1" }, statistic: "Maximum", period: 60 };
const redisLag = {
  metricQueries: [
    ...MEMBERS.map((m, i) => ({ id: `n${i}`, returnData: false, metric: { namespace: "AWS/ElastiCache", metricName: "ReplicationLag", dimensions: { CacheClusterId: m }, stat: "Maximum", period: 60 } })),
    { id: "e", expression: "MAX([n0, n1])", label: "MAX(ReplicationLag) over 2 nodes", returnData: true },
  ],
};

/** Every resource of the good stack, passing every policy under policies/config/prod.json. */
export function goodStack(): FixtureResource[] {
  return [
    res(T.sg, "redis-sg", { vpcId: "vpc-1", description: "Redis", tags: { ...TAGS, DataTier: "redis" } }),
    res(T.sg, "postgres-sg", {
      vpcId: "vpc-1",
      description: "PostgreSQL",
      ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["10.20.0.0/16"], description: "VPN" }],
      tags: { ...TAGS, DataTier: "postgres" },
    }),
    res(T.sg, "pgbouncer-sg", { vpcId: "vpc-1", description: "PgBouncer", tags: { ...TAGS, DataTier: "pgbouncer" } }),
    res(T.ingress, "redis-app-in", { securityGroupId: "redis-sg-id", referencedSecurityGroupId: "sg-0a1b2c3d4e5f60718", ipProtocol: "tcp", fromPort: 6379, toPort: 6379, tags: TAGS }, { deps: { securityGroupId: ["redis-sg"] } }),
    res(T.ingress, "pgbouncer-health-in", { securityGroupId: "pgbouncer-sg-id", cidrIpv4: "10.0.0.0/16", ipProtocol: "tcp", fromPort: 8080, toPort: 8080, tags: TAGS }, { deps: { securityGroupId: ["pgbouncer-sg"] } }),
    res(T.sgRule, "postgres-admin-rule", { type: "ingress", securityGroupId: "postgres-sg-id", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["10.30.0.0/16"] }, { deps: { securityGroupId: ["postgres-sg"] } }),
    res(T.pg, "postgres-params", { family: "postgres15", name: "data-tier-prod-postgres15", parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }, { name: "max_connections", value: "500", applyMethod: "pending-reboot" }], tags: TAGS }, { protect: true }),
    res(
      T.db,
      "postgres-primary",
      {
        identifier: "data-tier-prod-postgres",
        engine: "postgres",
        engineVersion: "15",
        instanceClass: "db.r6g.xlarge",
        storageEncrypted: true,
        publiclyAccessible: false,
        backupRetentionPeriod: 14,
        deletionProtection: true,
        multiAz: true,
        performanceInsightsEnabled: true,
        parameterGroupName: "data-tier-prod-postgres15",
        tags: TAGS,
      },
      { protect: true, deps: { parameterGroupName: ["postgres-params"] } },
    ),
    res(
      T.db,
      "postgres-replica-1",
      {
        identifier: "data-tier-prod-postgres-replica-1",
        replicateSourceDb: "data-tier-prod-postgres",
        instanceClass: "db.r6g.xlarge",
        storageEncrypted: true,
        publiclyAccessible: false,
        deletionProtection: true,
        performanceInsightsEnabled: true,
        parameterGroupName: "data-tier-prod-postgres15",
        tags: { ...TAGS, Role: "read-replica" },
      },
      { protect: true, deps: { parameterGroupName: ["postgres-params"], replicateSourceDb: ["postgres-primary"] } },
    ),
    res(T.ecPg, "redis-params", { family: "redis7", name: "data-tier-prod-redis7", parameters: [{ name: "maxmemory-policy", value: "allkeys-lru" }], tags: TAGS }, { protect: true }),
    res(T.secret, "redis-auth-token", { description: "AUTH token", tags: TAGS }, { protect: true }),
    res(T.secretVersion, "redis-auth-token-v", { secretId: "redis-auth-token-id", secretString: "s3cr3t-token-value-000" }),
    res(
      T.rg,
      "redis-group",
      {
        replicationGroupId: "data-tier-prod-redis",
        engine: "redis",
        engineVersion: "7.1",
        nodeType: "cache.r7g.xlarge",
        numNodeGroups: 1,
        replicasPerNodeGroup: 1,
        automaticFailoverEnabled: true,
        multiAzEnabled: true,
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        authToken: "s3cr3t-token-value-000",
        snapshotRetentionLimit: 7,
        parameterGroupName: "data-tier-prod-redis7",
        tags: TAGS,
      },
      { protect: true, state: { memberClusters: MEMBERS } },
    ),
    res(T.lb, "pgbouncer-nlb", { loadBalancerType: "network", internal: true, subnets: ["subnet-1", "subnet-2"], tags: TAGS }),
    res(T.td, "pgbouncer-task", { family: "pgbouncer", containerDefinitions: CONTAINERS_OK, cpu: "512", memory: "1024", tags: TAGS }),
    res(T.svc, "pgbouncer-service", {
      desiredCount: 2,
      launchType: "FARGATE",
      networkConfiguration: { subnets: ["subnet-1", "subnet-2"], securityGroups: ["pgbouncer-sg-id"], assignPublicIp: false },
      deploymentCircuitBreaker: { enable: true, rollback: true },
      tags: TAGS,
    }),
    res(T.logGroup, "pgbouncer-logs", { name: "/ecs/pgbouncer", retentionInDays: 30, tags: TAGS }),
    lagAlarm("replica-1-lag-warning", "warning", 10, rdsLag),
    lagAlarm("replica-1-lag-critical", "critical", 30, rdsLag),
    lagAlarm("redis-lag-warning", "warning", 10, redisLag),
    lagAlarm("redis-lag-critical", "critical", 30, redisLag),
    // The switchover flag (components/flags): a composite over the critical alarms, monitored by the AppConfig environment.
    res(T.composite, "switchover-critical-any", { alarmName: "switchover-critical-any", alarmRule: 'ALARM("replica-1-lag-critical") OR ALARM("redis-lag-critical")', actionsEnabled: false, tags: TAGS }, { state: { arn: SWITCHOVER_MONITOR_ARN } }),
    res(T.appconfigEnv, "switchover-env", { applicationId: "abc1234", name: "prod", monitors: [{ alarmArn: SWITCHOVER_MONITOR_ARN, alarmRoleArn: "arn:aws:iam::123456789012:role/data-tier-prod-appconfig-monitor" }], tags: TAGS }),
  ];
}

export const DELETE = Symbol("delete");

/**
 * A copy of `stack` with ONE property of resource `name` changed, in its inputs and its
 * state alike (`path` may be dotted: "networkConfiguration.assignPublicIp"); "opts.protect"
 * changes the option. A literal replacing a value drops that input's dependency, as it
 * would in a program.
 */
export function mutate(stack: FixtureResource[], name: string, path: string, value: unknown): FixtureResource[] {
  const found = stack.some((r) => r.name === name);
  if (!found) throw new Error(`fixture: no resource named ${name}`);
  return stack.map((r) => {
    if (r.name !== name) return r;
    const copy: FixtureResource = structuredClone(r);
    if (path === "opts.protect") return { ...copy, protect: value as boolean };
    const keys = path.split(".");
    for (const bag of [copy.inputs, copy.state]) {
      let o = bag as Record<string, unknown>;
      for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
      const last = keys[keys.length - 1];
      if (value === DELETE) delete o[last];
      else o[last] = value;
    }
    if (copy.propertyDependencies && keys[0] in copy.propertyDependencies) {
      delete copy.propertyDependencies[keys[0]];
      copy.dependencies = Object.values(copy.propertyDependencies).flat();
    }
    return copy;
  });
}

export { TAGS, MEMBERS };
