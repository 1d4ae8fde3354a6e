import { describe, expect, it } from "vitest";
import { checkPlainOutputs, knownSecretValues } from "./secrets";

const SECRET = "mock-redis-password-xxxxxxxx";

describe("checkPlainOutputs", () => {
  it("passes the contract's shape: credentials secret, ARNs and flags plain", () => {
    const outputs = {
      redis: { primary: { host: "h", port: 6379 }, authRequired: true, aws: { authTokenSecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:x" } },
      postgres: { masterSecretArn: "arn:aws:secretsmanager:us-east-1:1:secret:y", passwordLength: 32 },
      credentials: { redisPassword: SECRET },
    };
    expect(checkPlainOutputs(outputs, ["credentials"], [SECRET])).toEqual([]);
  });

  it("flags a credential-named plain output, nested or in an array", () => {
    const found = checkPlainOutputs({ redis: { authToken: "abc123456789" }, pgbouncer: { users: [{ name: "admin", password: "p4ssw0rd-long" }] } }, []);
    expect(found.map((f) => f.path)).toEqual(["redis.authToken", "pgbouncer.users[0].password"]);
    expect(found[0]).toEqual({
      policy: "no-secret-in-plain-output",
      path: "redis.authToken",
      message: "Set output redis.authToken as a Pulumi secret (move it under credentials, exported with pulumi.secret): its name says it holds a credential.",
    });
  });

  it("flags a known secret value under an innocent name, without echoing it", () => {
    const found = checkPlainOutputs({ redis: { connection: `redis://default:${SECRET}@host:6379` } }, [], [SECRET]);
    expect(found.map((f) => f.path)).toEqual(["redis.connection"]);
    expect(JSON.stringify(found)).not.toContain(SECRET);
  });

  it("flags the contract's secret output exported plain, and skips outputs exported secret", () => {
    expect(checkPlainOutputs({ credentials: { redisPassword: SECRET } }, []).map((f) => f.message)).toEqual([
      "Set output credentials as a Pulumi secret (move it under credentials, exported with pulumi.secret): the output contract exports it only as a secret.",
    ]);
    expect(checkPlainOutputs({ extra: { token: "t0k3n-value-123" } }, ["extra"])).toEqual([]);
  });
});

describe("knownSecretValues", () => {
  it("collects secret inputs and generated passwords, ignoring short values", () => {
    const values = knownSecretValues([
      { type: "aws:elasticache/replicationGroup:ReplicationGroup", inputs: { authToken: SECRET, port: 6379 }, secretInputs: ["authToken"], state: {} },
      { type: "random:index/randomPassword:RandomPassword", inputs: { length: 32 }, secretInputs: [], state: { result: "generated-password-0001" } },
      { type: "x:y:Z", inputs: { pin: "1234" }, secretInputs: ["pin"], state: {} },
    ]);
    expect(values.sort()).toEqual(["generated-password-0001", SECRET].sort());
  });
});
