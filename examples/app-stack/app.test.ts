/**
 * The application example evaluated under Pulumi mocks against the prod stack's own
 * outputs (the program run under mocks too): the StackReference's outputs are what the tier
 * exports; the example must wire exactly the tier's ARNs and policy, and must refuse a tier
 * of another contract version or with a field missing, naming it.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { ContractError, parseStackOutputs, type StackOutputs } from "../../components/contract/outputs";
import { runProgram } from "../../testing/harness";
import { appStack } from "./app";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
}

let prod: StackOutputs;
let prodRaw: Record<string, unknown>;

/** Runs the example with the StackReference answering `tierOutputs`; resolves to what it registered, or rejects with the program's error. */
async function evaluate(tierOutputs: Record<string, unknown>, seen: (r: Registered[]) => void = () => undefined): Promise<{ resources: Registered[]; taskDefinitionArn: string }> {
  const resources: Registered[] = [];
  seen(resources);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({ type: args.type, name: args.name, inputs: args.inputs });
        if (args.type === "pulumi:pulumi:StackReference") return { id: String(args.inputs.name), state: { name: args.inputs.name, outputs: tierOutputs, secretOutputNames: ["credentials", "applicationCredentials"] } };
        return { id: `${args.name}-id`, state: { ...args.inputs, arn: `arn:aws:iam::123456789012:role/${args.name}`, name: args.inputs.name ?? args.name } };
      },
      call: (args) => (args.token === "aws:index/getPartition:getPartition" ? { partition: "aws", dnsSuffix: "amazonaws.com" } : {}),
    },
    "data-tier-app-example",
    "prod",
    false,
  );
  let failure: unknown;
  let arn = "";
  await pulumi.runtime
    .runInPulumiStack(async () => {
      try {
        const out = await appStack({ dataTierStack: "acme/data-tier/prod", image: "registry.example/app:1.0.0" });
        arn = await new Promise<string>((resolve) => out.taskDefinitionArn.apply(resolve));
      } catch (e) {
        failure = e;
      }
      return undefined;
    })
    .catch((e: unknown) => {
      failure ??= e;
    });
  await pulumi.runtime.disconnect();
  if (failure) throw failure;
  return { resources, taskDefinitionArn: arn };
}

beforeAll(async () => {
  const run = await runProgram({ stack: "prod" });
  prodRaw = run.outputs;
  prod = parseStackOutputs(run.outputs, "prod");
}, 120_000);

describe("examples/app-stack against the prod outputs", () => {
  it("wires the task's secrets from exactly the tier's ARNs and attaches the tier's read policy", async () => {
    const { resources } = await evaluate(prodRaw);
    const a = prod.application.aws!;
    const task = resources.find((r) => r.type === "aws:ecs/taskDefinition:TaskDefinition")!;
    const [c] = JSON.parse(task.inputs.containerDefinitions);
    expect(c.secrets).toEqual([
      { name: "PGPASSWORD", valueFrom: `${a.readWriteSecretArn}:password::` },
      { name: "PGPASSWORD_READONLY", valueFrom: `${a.readOnlySecretArn}:password::` },
      // RBAC (prod runs Redis 7): the application user's JSON secret, its password key.
      { name: "REDIS_AUTH", valueFrom: `${a.redisSecretArn}:password::` },
    ]);
    expect(a.redisSecretArn).toBe(prod.redis.aws!.userSecretArns!.application);
    const env = Object.fromEntries(c.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ PGHOST: prod.pgbouncer.endpoint.host, PGPORT: String(prod.pgbouncer.endpoint.port), PGDATABASE: prod.pgbouncer.readWriteDatabase, PGUSER: "app", PGDATABASE_READONLY: prod.pgbouncer.readOnlyDatabase, PGUSER_READONLY: "app_readonly", REDIS_HOST: prod.redis.primary.host, REDIS_USER: "app" });
    // No password reaches the task definition, which is plain.
    for (const pw of [prod.applicationCredentials.readWrite.password, prod.applicationCredentials.readOnly.password, prod.applicationCredentials.redisPassword]) expect(task.inputs.containerDefinitions).not.toContain(pw);
    const attachments = resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((r) => r.inputs.policyArn);
    expect(attachments).toContain(a.readPolicyArn);
    expect(attachments).toHaveLength(2);
  });

  it("fails with one clear problem against an outputs document of contract version 1", async () => {
    let registered: Registered[] = [];
    const err = await evaluate({ ...prodRaw, contractVersion: 1 }, (r) => (registered = r)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    // Nothing planned on top of a mismatched tier but the reference itself.
    expect(registered.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference"]);
    expect((err as ContractError).message).toBe(
      'Stack outputs from stack acme/data-tier/prod do not match the contract (1 problem):\n  - contractVersion: is version 1; this code reads contract version 3 (README, "The stack-output contract", lists what changed)',
    );
  });

  it("names a missing field", async () => {
    const application = JSON.parse(JSON.stringify(prodRaw.application));
    delete application.readWrite.user;
    const err = await evaluate({ ...prodRaw, application }).then(() => undefined, (e: unknown) => e);
    expect((err as ContractError).problems).toEqual([{ field: "application.readWrite.user", message: "is missing (expected string)" }]);
  });

  it("says why a docker tier cannot serve an ECS application", async () => {
    const err = await evaluate({ ...prodRaw, platform: "docker", application: { ...prod.application, aws: null } }).then(() => undefined, (e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/the data tier is platform docker: application.aws is null/);
  });
});
