import { describe, expect, it } from "vitest";
import { parseStackOutputs } from "../components/contract/outputs";
import { SettingsError } from "../components/settings";
import { registeredBefore, runProgram, type ProgramRun } from "../testing/harness";

describe("the program", () => {
  it("validates every setting before registering anything", async () => {
    const err = await runProgram({ stack: "prod", overrides: { redis: { replicas: 0 }, postgres: { backupRetentionDays: 1 } } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as SettingsError).problems.map((p) => p.key)).toEqual(
      expect.arrayContaining(["data-tier:redis.replicas", "data-tier:postgres.backupRetentionDays"]),
    );
    expect(registeredBefore(err)).toEqual([]);
  });

  /** Every string a generated password resolved to in this run. */
  const generatedPasswords = (run: ProgramRun) =>
    run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => String(r.state.result));

  describe.each([
    { stack: "prod", platform: "aws", components: ["datatier:network:DataTierNetwork", "datatier:redis:RedisCluster", "datatier:postgres:PostgresCluster", "datatier:pgbouncer:PgBouncer", "datatier:alarms:DataTierAlarms"] },
    { stack: "dev", platform: "docker", components: ["datatier:redis:RedisCluster", "datatier:postgres:PostgresCluster", "datatier:pgbouncer:PgBouncer"] },
  ])("stack $stack", ({ stack, platform, components }) => {
    let run: ProgramRun;
    it("evaluates under mocks and registers every slice", async () => {
      run = await runProgram({ stack });
      const types = new Set(run.resources.map((r) => r.type));
      for (const c of components) expect(types, c).toContain(c);
    });

    it("exports outputs that satisfy the contract", () => {
      const o = parseStackOutputs(run.outputs, `stack ${stack}`);
      expect(o.platform).toBe(platform);
      expect(o.environment).toBe(stack);
    });

    it("exports credentials as the only secret output, and no password in a plain one", () => {
      expect(run.secretOutputs).toEqual(["credentials"]);
      const plain = JSON.stringify(Object.fromEntries(Object.entries(run.outputs).filter(([k]) => k !== "credentials")));
      const passwords = [...generatedPasswords(run), ...Object.values(run.outputs.credentials as Record<string, string>)];
      expect(passwords.length).toBeGreaterThan(3);
      for (const pw of passwords) expect(plain).not.toContain(pw);
    });

    it("parents every resource to a component (no stray top-level resources but the components)", () => {
      const stray = run.resources.filter((r) => !r.parent && r.custom && !r.type.startsWith("pulumi:providers:") && r.type !== "docker:index/network:Network");
      expect(stray.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    });
  });
});
