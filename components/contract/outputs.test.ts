import { describe, expect, it } from "vitest";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { ContractError, parseStackOutputs } from "./outputs";

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
  });

  it("never echoes a credential value in its message", () => {
    const o = sampleOutputs() as any;
    o.credentials.redisPassword = 12345678;
    o.credentials.extra = "leak-me-please";
    const e = errorOf(o);
    expect(e.problems.map((p) => p.field)).toEqual(expect.arrayContaining(["credentials.redisPassword", "credentials"]));
    expect(e.message).not.toContain("12345678");
    expect(e.message).not.toContain("leak-me-please");
  });

  it("rejects an unknown contract version", () => {
    expect(errorOf({ ...sampleOutputs(), contractVersion: 2 }).problems[0].field).toBe("contractVersion");
  });
});
