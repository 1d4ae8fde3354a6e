/**
 * A minimal application on ECS Fargate that uses the data tier: an execution role with the
 * tier's read policy attached (and nothing else of the tier's), and a task definition whose
 * container gets the connection details as plain environment and the passwords from the
 * tier's secrets by ARN (ECS `secrets`, read by the agent with the execution role).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsAccess, dataTierOutputs } from "./tier";

export interface AppStackArgs {
  /** The data tier's stack, "<org>/data-tier/<stack>". */
  dataTierStack: string;
  image: string;
}

export async function appStack(a: AppStackArgs): Promise<{ taskDefinitionArn: pulumi.Output<string>; executionRoleArn: pulumi.Output<string> }> {
  const ref = new pulumi.StackReference("data-tier", { name: a.dataTierStack });
  // Validated before anything else is registered: a mismatched tier leaves nothing half-planned.
  const tier = await dataTierOutputs(ref, a.dataTierStack);
  const access = awsAccess(tier);

  const executionRole = new aws.iam.Role("app-execution", {
    assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
    description: "Pulls the application image, writes its logs, reads the data tier's application secrets",
  });
  const partition = aws.getPartitionOutput();
  new aws.iam.RolePolicyAttachment("app-execution-ecs", { role: executionRole.name, policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy` });
  new aws.iam.RolePolicyAttachment("app-data-tier-secrets", { role: executionRole.name, policyArn: access.readPolicyArn });

  const containerDefinitions = (() => {
    const [t, x] = [tier, access];
    const rw = t.application.readWrite;
    const ro = t.application.readOnly;
    const env = {
      PGHOST: rw.host,
      PGPORT: String(rw.port),
      PGDATABASE: rw.database,
      PGUSER: rw.user,
      PGSSLMODE: rw.tls ? "require" : "disable",
      PGDATABASE_READONLY: ro.database,
      PGUSER_READONLY: ro.user,
      REDIS_HOST: t.application.redis.primary.host,
      REDIS_PORT: String(t.application.redis.primary.port),
      REDIS_READER_HOST: t.application.redis.readers[0]?.host ?? t.application.redis.primary.host,
      REDIS_TLS: String(t.application.redis.tls),
      // The application's ACL user (RBAC on ElastiCache); empty where a single AUTH token is used.
      REDIS_USER: t.application.redis.user ?? "",
      // Off AWS a client follows Sentinel, not the deploy-time primary (READONLY after a failover).
      REDIS_SENTINELS: t.application.redis.sentinels.map((e) => `${e.host}:${e.port}`).join(","),
      REDIS_SENTINEL_MASTER: t.application.redis.sentinelMasterName ?? "",
    };
    return JSON.stringify([
      {
        name: "app",
        image: a.image,
        essential: true,
        environment: Object.entries(env).map(([name, value]) => ({ name, value })),
        // A JSON key of an RDS-style secret: "<arn>:<key>::" (ECS "Pass sensitive data to a container").
        secrets: [
          { name: "PGPASSWORD", valueFrom: `${x.readWriteSecretArn}:password::` },
          { name: "PGPASSWORD_READONLY", valueFrom: `${x.readOnlySecretArn}:password::` },
          // Under RBAC the secret is JSON {username, password}; the AUTH token secret holds the token itself.
          ...(t.application.redis.authRequired ? [{ name: "REDIS_AUTH", valueFrom: t.application.redis.user ? `${x.redisSecretArn}:password::` : x.redisSecretArn }] : []),
        ],
      },
    ]);
  })();

  const task = new aws.ecs.TaskDefinition("app", {
    family: "data-tier-app-example",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
    executionRoleArn: executionRole.arn,
    containerDefinitions,
  });
  return { taskDefinitionArn: task.arn, executionRoleArn: executionRole.arn };
}
