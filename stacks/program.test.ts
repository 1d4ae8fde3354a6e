import { describe, expect, it } from "vitest";
import { parseStackOutputs, secretValues } from "../components/contract/outputs";
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
    { stack: "staging", platform: "aws", components: ["datatier:network:DataTierNetwork", "datatier:redis:RedisCluster", "datatier:postgres:PostgresCluster", "datatier:pgbouncer:PgBouncer", "datatier:alarms:DataTierAlarms"] },
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

    it("exports credentials and applicationCredentials as the only secret outputs, and no password in a plain one", () => {
      expect(run.secretOutputs.sort()).toEqual(["applicationCredentials", "credentials"]);
      const plain = JSON.stringify(Object.fromEntries(Object.entries(run.outputs).filter(([k]) => !run.secretOutputs.includes(k))));
      const passwords = [...generatedPasswords(run), ...secretValues(parseStackOutputs(run.outputs, stack))];
      expect(passwords.length).toBeGreaterThan(5);
      for (const pw of passwords) expect(plain).not.toContain(pw);
    });

    it("keeps the operator's passwords out of the application's secret, and the application's out of the operator's", () => {
      const o = parseStackOutputs(run.outputs, stack);
      const app = JSON.stringify(o.applicationCredentials);
      for (const pw of Object.values(o.credentials)) expect(app).not.toContain(pw);
      const operator = JSON.stringify(o.credentials);
      for (const pw of [o.applicationCredentials.readWrite.password, o.applicationCredentials.readOnly.password, o.applicationCredentials.redisPassword]) expect(operator).not.toContain(pw);
      // Applications connect through PgBouncer's pools as their own roles.
      expect(o.applicationCredentials.readWrite).toMatchObject({ engine: "postgres", host: o.pgbouncer.endpoint.host, port: o.pgbouncer.endpoint.port, dbname: o.pgbouncer.readWriteDatabase, username: "app" });
      expect(o.applicationCredentials.readOnly).toMatchObject({ dbname: o.pgbouncer.readOnlyDatabase, username: "app_readonly" });
      expect(o.application.readWrite).toMatchObject({ host: o.pgbouncer.endpoint.host, database: o.pgbouncer.readWriteDatabase, user: "app" });
      expect(o.application.aws === null).toBe(platform !== "aws");
    });

    it("parents every resource to a component (no stray top-level resources but the components)", () => {
      const stray = run.resources.filter((r) => !r.parent && r.custom && !r.type.startsWith("pulumi:providers:") && r.type !== "docker:index/network:Network");
      expect(stray.map((r) => `${r.type} ${r.name}`)).toEqual([]);
    });
  });
});
