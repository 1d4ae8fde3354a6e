/**
 * Vocabulary shared by every policy of the pack: resource type tokens, the names of
 * the stack settings violation messages point at, the per-stack `production` flag,
 * and reading a policy's config with its schema defaults applied.
 */
import type { PolicyConfigSchema, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";

/** Pulumi project name: the namespace of every stack setting a message names. */
export const PROJECT = "data-tier";

/** `data-tier:postgres.backupRetentionDays`: a stack setting as written in Pulumi.<stack>.yaml. */
export function setting(path: string): string {
  return `${PROJECT}:${path}`;
}

export const TYPES = {
  rdsInstance: "aws:rds/instance:Instance",
  rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
  elasticacheParameterGroup: "aws:elasticache/parameterGroup:ParameterGroup",
  secret: "aws:secretsmanager/secret:Secret",
  ecsService: "aws:ecs/service:Service",
  ecsTaskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
} as const;

/**
 * The pack cannot see the stack's settings, so production rules are switched on by the
 * stack's policy config: every policy whose schema has `production` reads it, and
 * policies/config/prod.json sets it to true for each of them.
 */
export const PRODUCTION_PROPERTY = {
  production: {
    type: "boolean",
    default: false,
    description: "Apply the production rule (set to true in the production stack's policy config).",
  },
} as const;

export function productionSchema(extra: PolicyConfigSchema["properties"] = {}): PolicyConfigSchema {
  return { properties: { ...PRODUCTION_PROPERTY, ...extra } };
}

/**
 * A policy's config with its schema defaults filled in. The engine hands policies only
 * what the config file says; the schema's defaults are applied here, once, so a policy
 * run without any config file behaves as documented.
 */
export function configOf<T extends object>(schema: PolicyConfigSchema | undefined, args: Pick<ResourceValidationArgs | StackValidationArgs, "getConfig">): T {
  const defaults: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(schema?.properties ?? {})) {
    if (p && typeof p === "object" && "default" in p) defaults[k] = (p as { default: unknown }).default;
  }
  return { ...defaults, ...args.getConfig<Record<string, unknown>>() } as T;
}

/** Stops a production-only policy on a stack whose policy config does not say production. */
export function requireProduction(config: { production?: boolean }, args: Pick<ResourceValidationArgs, "notApplicable">): void {
  if (config.production !== true) args.notApplicable("production rule: the stack's policy config does not set production: true");
}

/** Read replicas carry `replicateSourceDb`; they inherit backups, encryption and the engine from the source. */
export function isReadReplica(props: { replicateSourceDb?: unknown }): boolean {
  return "replicateSourceDb" in props && props.replicateSourceDb !== undefined && props.replicateSourceDb !== "";
}

/** A resource's display name for messages: "aws:rds/instance:Instance" -> "RDS instance". */
export function label(type: string): string {
  const known: Record<string, string> = {
    [TYPES.rdsInstance]: "RDS instance",
    [TYPES.rdsParameterGroup]: "RDS parameter group",
    [TYPES.replicationGroup]: "ElastiCache replication group",
    [TYPES.elasticacheParameterGroup]: "ElastiCache parameter group",
    [TYPES.secret]: "Secrets Manager secret",
    [TYPES.ecsService]: "ECS service",
    [TYPES.ecsTaskDefinition]: "ECS task definition",
    [TYPES.loadBalancer]: "load balancer",
    [TYPES.securityGroup]: "security group",
  };
  return known[type] ?? type;
}
