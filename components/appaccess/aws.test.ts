/** The prod stack's application access (secrets per role, the read policy), resource by resource, under Pulumi mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { parseStackOutputs, type StackOutputs } from "../contract/outputs";
import { applicationReadPolicy } from "./policy";

const T = { secret: "aws:secretsmanager/secret:Secret", version: "aws:secretsmanager/secretVersion:SecretVersion", policy: "aws:iam/policy:Policy" };
const KEY = "arn:aws:kms:us-east-1:123456789012:key/1111aaaa-22bb-33cc-44dd-555555eeeeee";
const REDIS_KEY = "arn:aws:kms:us-east-1:123456789012:key/9999ffff-88ee-77dd-66cc-444444bbbbbb";

let run: ProgramRun;
let children: RecordedResource[];
let outputs: StackOutputs;
const mine = (type: string, suffix: string) => {
  const found = children.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
};

beforeAll(async () => {
  run = await runProgram({ stack: "prod" });
  children = run.resources.filter((r) => r.parent === single(run, "datatier:appaccess:ApplicationAccess").urn);
  outputs = parseStackOutputs(run.outputs, "prod");
});

describe("prod: application secrets", () => {
  it.each([
    ["readwrite", "readWrite", "app", "app"],
    ["readonly", "readOnly", "app_ro", "app_readonly"],
  ] as const)("%s: a protected secret holding RDS-style JSON for the PgBouncer pool and the role's own password", (slug, role, pool, user) => {
    const secret = mine(T.secret, `-${slug}`);
    expect(secret.inputs.name).toBe(`data-tier-prod/app/${slug}`);
    expect(secret.protect).toBe(true);
    expect(secret.inputs.recoveryWindowInDays).toBe(30);
    const version = mine(T.version, `-${slug}`);
    expect(version.secretInputs).toContain("secretString");
    const value = JSON.parse(version.inputs.secretString);
    expect(value).toEqual({ engine: "postgres", host: outputs.pgbouncer.endpoint.host, port: outputs.pgbouncer.endpoint.port, dbname: pool, username: user, password: outputs.applicationCredentials[role].password });
    // The role's own generated password, not the master's or an operator's.
    expect(Object.values(outputs.credentials)).not.toContain(value.password);
    expect(value.password).not.toBe("mock-rds-managed-master-password");
  });

  it("exports the ARNs and the policy in the plain application output", () => {
    const arnOf = (slug: string) => mine(T.secret, `-${slug}`).state.arn;
    expect(outputs.application.aws).toEqual({
      readWriteSecretArn: arnOf("readwrite"),
      readOnlySecretArn: arnOf("readonly"),
      // prod runs Redis 7: RBAC, so the application user's secret, not an AUTH token.
      redisSecretArn: outputs.redis.aws!.userSecretArns!.application,
      readPolicyArn: mine(T.policy, "-read").state.arn,
    });
  });
});

describe("prod: the read policy", () => {
  it("grants GetSecretValue on exactly the two role secrets and the Redis AUTH token, nothing else", () => {
    const doc = JSON.parse(mine(T.policy, "-read").inputs.policy);
    const a = outputs.application.aws!;
    expect(doc.Statement).toEqual([{ Sid: "ReadApplicationSecrets", Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [a.readWriteSecretArn, a.readOnlySecretArn, a.redisSecretArn] }]);
    // Not the master secret, not PgBouncer's configuration secrets.
    expect(JSON.stringify(doc)).not.toContain(outputs.postgres.aws!.masterSecretArn);
  });

  it("adds kms:Decrypt per customer managed key, only through Secrets Manager for those secrets", async () => {
    const kmsRun = await runProgram({ stack: "prod", overrides: { postgres: { kmsKeyArn: KEY }, redis: { kmsKeyArn: REDIS_KEY } } });
    const c = kmsRun.resources.filter((r) => r.parent === single(kmsRun, "datatier:appaccess:ApplicationAccess").urn);
    const o = parseStackOutputs(kmsRun.outputs, "prod+kms");
    const a = o.application.aws!;
    for (const slug of ["readwrite", "readonly"]) expect(c.find((r) => r.type === T.secret && r.name.endsWith(`-${slug}`))!.inputs.kmsKeyId).toBe(KEY);
    const doc = JSON.parse(c.find((r) => r.type === T.policy)!.inputs.policy);
    expect(doc.Statement.slice(1)).toEqual([
      { Sid: "DecryptThroughSecretsManager0", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY], Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": [a.readWriteSecretArn, a.readOnlySecretArn] } } },
      { Sid: "DecryptThroughSecretsManager1", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [REDIS_KEY], Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": [a.redisSecretArn] } } },
    ]);
  });
});

describe("applicationReadPolicy", () => {
  it("refuses an empty list rather than writing a policy over nothing", () => {
    expect(() => applicationReadPolicy([], "us-east-1")).toThrow(/no secrets given/);
  });

  it("merges secrets under one key into one statement", () => {
    const doc = applicationReadPolicy([{ arn: "a", kmsKeyArn: KEY }, { arn: "b", kmsKeyArn: KEY }, { arn: "c" }], "eu-west-1");
    expect(doc.Statement).toHaveLength(2);
    expect(doc.Statement[0].Resource).toEqual(["a", "b", "c"]);
    expect(doc.Statement[1].Condition!.StringEquals["kms:EncryptionContext:SecretARN"]).toEqual(["a", "b"]);
    expect(doc.Statement[1].Condition!.StringEquals["kms:ViaService"]).toBe("secretsmanager.eu-west-1.amazonaws.com");
  });
});

describe("dev (docker)", () => {
  it("creates no AWS access resources and exports application.aws as null", async () => {
    const dev = await runProgram({ stack: "dev" });
    expect(dev.resources.some((r) => r.type === "datatier:appaccess:ApplicationAccess")).toBe(false);
    expect(parseStackOutputs(dev.outputs, "dev").application.aws).toBeNull();
  });
});

