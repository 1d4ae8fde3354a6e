import { describe, expect, it } from "vitest";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { ContractError, CONTRACT_VERSION, parseStackOutputs, secretValues } from "./outputs";

function errorOf(value: unknown): ContractError {
  try {
    parseStackOutputs(value, "outputs.json");
  } catch (e) {
    if (e instanceof ContractError) return e;
    throw e;
  }
  throw new Error("expected a ContractError");
}

describe("the stack-output contract", () => {
  it("accepts a complete document", () => {
    expect(parseStackOutputs(sampleOutputs(), "outputs.json").redis.primary.port).toBe(16379);
  });

  it("names a missing field", () => {
    const o = sampleOutputs() as any;
    delete o.postgres.primary;
    const e = errorOf(o);
    expect(e.problems).toEqual([{ field: "postgres.primary", message: "is missing (expected object)" }]);
    expect(e.message).toContain("Stack outputs from outputs.json do not match the contract");
  });

  it("names a malformed field inside a list", () => {
    const o = sampleOutputs() as any;
    o.postgres.replicas[0].port = "5433";
    expect(errorOf(o).problems[0].field).toBe("postgres.replicas[0].port");
  });

  it("refuses masked secrets with the command that shows them", () => {
    const o = { ...sampleOutputs(), credentials: "[secret]" };
    expect(errorOf(o).message).toMatch(/credentials: is masked as "\[secret\]"; read outputs with `pulumi stack output --json --show-secrets`/);
    const both = { ...sampleOutputs(), credentials: "[secret]", applicationCredentials: "[secret]" };
    expect(errorOf(both).problems.map((p) => p.field)).toEqual(["credentials", "applicationCredentials"]);
  });

  it("holds no operator password in the application's secret (version 2 split)", () => {
    const o = sampleOutputs() as any;
    o.applicationCredentials.pgbouncerAdminPassword = "x".repeat(12);
    o.credentials.redisPassword = "y".repeat(12);
    expect(errorOf(o).problems.map((p) => p.field).sort()).toEqual(["applicationCredentials", "credentials"]);
  });

  it("lists every password for redaction, but no host or user name", () => {
    const v = secretValues(sampleOutputs());
    expect(v).toHaveLength(8);
    expect(v).toEqual(expect.arrayContaining(["fixture-redis-password-4f1c", "fixture-redis-monitor-password-61b2", "fixture-redis-operator-password-0c9f", "fixture-app-password-c81d", "fixture-readonly-password-5e07", "fixture-admin-password-77d0"]));
    expect(v).not.toContain("127.0.0.1");
    expect(v).not.toContain("app");
    expect(v).not.toContain("monitor");
  });

  it("never echoes a credential value in its message", () => {
    const o = sampleOutputs() as any;
    o.applicationCredentials.redisPassword = 12345678;
    o.credentials.extra = "leak-me-please";
    const e = errorOf(o);
    expect(e.problems.map((p) => p.field)).toEqual(expect.arrayContaining(["applicationCredentials.redisPassword", "credentials"]));
    expect(e.message).not.toContain("12345678");
    expect(e.message).not.toContain("leak-me-please");
  });

  it("rejects another contract version with one problem that names both versions", () => {
    const { application: _a, applicationCredentials: _c, ...v1 } = { ...sampleOutputs(), contractVersion: 1 };
    expect(errorOf(v1).problems).toEqual([{ field: "contractVersion", message: `is version 1; this code reads contract version ${CONTRACT_VERSION} (README, "The stack-output contract", lists what changed)` }]);
    expect(errorOf({ ...sampleOutputs(), contractVersion: "2" }).problems[0].message).toMatch(new RegExp(`^is a string; this code reads contract version ${CONTRACT_VERSION}`));
  });
});
