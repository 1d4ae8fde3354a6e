/**
 * PgBouncer on ECS Fargate behind an NLB: no public IPs, enough tasks in production,
 * deployments that roll back on failure, container logs, an internal load balancer,
 * and no secret in a container's plain environment.
 */
import * as aws from "@pulumi/aws";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";
import { configOf, productionSchema, requireProduction, setting } from "./common";

export const ecsNoPublicIp: ResourceValidationPolicy = {
  name: "ecs-no-public-ip",
  description: "ECS services (the PgBouncer tasks) get no public IP address.",
  severity: "critical",
  validateResource: validateResourceOfType(aws.ecs.Service, (svc, _args, reportViolation) => {
    if (svc.networkConfiguration?.assignPublicIp === true) {
      reportViolation("Set networkConfiguration.assignPublicIp to false on the ECS service; PgBouncer is reached through the internal load balancer.");
    }
  }),
};

export interface EcsMinTasksConfig {
  production: boolean;
  minTasks: number;
}

const tasksSchema = productionSchema({
  minTasks: { type: "integer", minimum: 2, default: 2, description: "Fewest tasks a production ECS service runs." },
});

export const ecsMinTasksInProd: ResourceValidationPolicy = {
  name: "ecs-min-tasks-in-prod",
  description: "In production, ECS services run at least minTasks (default 2) tasks, so one task can fail or be replaced.",
  severity: "high",
  configSchema: tasksSchema,
  validateResource: validateResourceOfType(aws.ecs.Service, (svc, args, reportViolation) => {
    const config = configOf<EcsMinTasksConfig>(tasksSchema, args);
    requireProduction(config, args);
    if ((svc.desiredCount ?? 1) < config.minTasks) {
      reportViolation(`Set ${setting("pgbouncer.desiredCount")} (and ${setting("pgbouncer.minCount")}) to at least ${config.minTasks} (it is ${svc.desiredCount ?? 1}).`);
    }
  }),
};

export const ecsDeploymentCircuitBreaker: ResourceValidationPolicy = {
  name: "ecs-deployment-circuit-breaker",
  description: "ECS services stop a failing deployment and roll back to the last healthy one.",
  severity: "medium",
  validateResource: validateResourceOfType(aws.ecs.Service, (svc, _args, reportViolation) => {
    const cb = svc.deploymentCircuitBreaker;
    if (cb?.enable !== true || cb?.rollback !== true) {
      reportViolation("Set deploymentCircuitBreaker to { enable: true, rollback: true } on the ECS service.");
    }
  }),
};

interface ContainerDefinition {
  name?: string;
  logConfiguration?: { logDriver?: string };
  environment?: { name?: string; value?: string }[];
}

/** containerDefinitions is a JSON string input; an unparsable one is reported, not thrown. */
export function containerDefinitions(value: unknown): ContainerDefinition[] | string {
  if (Array.isArray(value)) return value as ContainerDefinition[];
  if (typeof value !== "string") return "containerDefinitions is not a JSON string";
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? (parsed as ContainerDefinition[]) : "containerDefinitions is not a JSON array";
  } catch {
    return "containerDefinitions is not valid JSON";
  }
}

export const ecsContainerLogging: ResourceValidationPolicy = {
  name: "ecs-container-logging",
  description: "Every container of an ECS task definition sends its logs somewhere (logConfiguration with a log driver).",
  severity: "medium",
  validateResource: validateResourceOfType(aws.ecs.TaskDefinition, (td, _args, reportViolation) => {
    const defs = containerDefinitions(td.containerDefinitions);
    if (typeof defs === "string") {
      reportViolation(`Set containerDefinitions on the ECS task definition to a JSON array of containers (${defs}).`);
      return;
    }
    for (const c of defs) {
      if (!c.logConfiguration?.logDriver) {
        reportViolation(`Set logConfiguration (logDriver "awslogs" with a CloudWatch log group) on container ${c.name ?? "(unnamed)"} of the ECS task definition.`);
      }
    }
  }),
};

/** Environment variable names that hold credentials. */
export const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|VERIFIER)/i;

export const ecsNoPlainSecretEnv: ResourceValidationPolicy = {
  name: "ecs-no-plain-secret-env",
  description: "Credentials reach ECS containers through `secrets` (Secrets Manager), never as plain `environment` values, which anyone who can describe the task definition reads.",
  severity: "critical",
  validateResource: validateResourceOfType(aws.ecs.TaskDefinition, (td, _args, reportViolation) => {
    const defs = containerDefinitions(td.containerDefinitions);
    if (typeof defs === "string") return; // ecs-container-logging reports an unreadable definition.
    for (const c of defs) {
      for (const env of c.environment ?? []) {
        if (env.name && SECRET_NAME.test(env.name) && env.value) {
          reportViolation(`Set ${env.name} of container ${c.name ?? "(unnamed)"} through secrets (valueFrom a Secrets Manager ARN) instead of environment.`);
        }
      }
    }
  }),
};

export const lbInternal: ResourceValidationPolicy = {
  name: "lb-internal",
  description: "Load balancers in front of the data tier (PgBouncer's NLB) are internal.",
  severity: "critical",
  validateResource: validateResourceOfType(aws.lb.LoadBalancer, (lb, _args, reportViolation) => {
    if (lb.internal !== true) reportViolation("Set internal to true on the load balancer; PgBouncer must not be reachable from the internet.");
  }),
};

export const PGBOUNCER_POLICIES = [ecsNoPublicIp, ecsMinTasksInProd, ecsDeploymentCircuitBreaker, ecsContainerLogging, ecsNoPlainSecretEnv, lbInternal];
