import { describe, expect, it } from "vitest";
import { SettingsError } from "../components/settings";
import { registeredBefore, runProgram } from "../testing/harness";

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
});
