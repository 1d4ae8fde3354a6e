import { describe, expect, it } from "vitest";
import { runProgram } from "../../testing/harness";
import { loadStackSettings } from "../../components/settings/stackFile";
import { postgresReviewSection } from "./postgres";
import { MOCK_MASTER_PASSWORD, PASSWORD, pgOfType } from "../../components/postgres/testkit";

describe("offline review: PostgreSQL section", () => {
  it("summarises the prod primary, replicas and parameters, without any password", async () => {
    const run = await runProgram({ stack: "prod" });
    const settings = loadStackSettings("prod");
    const s = await postgresReviewSection({ stack: "prod", settings, run });
    expect(s.failed).toBe(false);
    expect(s.text).toContain("+ 2 read replica(s) in us-east-1a, us-east-1b");
    expect(s.text).toContain("Multi-AZ on");
    expect(s.text).toContain("rds.force_ssl=1");
    expect(s.text).toContain("max_connections=1000 (reboot)");
    const text = `${s.text}${JSON.stringify(s.json)}`;
    for (const pw of [MOCK_MASTER_PASSWORD, ...pgOfType(run, PASSWORD).map((r) => String(r.state.result))]) expect(text.includes(pw)).toBe(false);
  });

  it("counts the dev containers and flags a run that does not match the settings", async () => {
    const run = await runProgram({ stack: "dev" });
    const settings = loadStackSettings("dev");
    const ok = await postgresReviewSection({ stack: "dev", settings, run });
    expect(ok.failed).toBe(false);
    expect(ok.text).toContain("1 primary + 1 streaming replica(s)");
    const claimed = { ...settings, postgres: { ...settings.postgres, replicas: 3 } };
    const bad = await postgresReviewSection({ stack: "dev", settings: claimed, run });
    expect(bad.failed).toBe(true);
    expect(bad.text).toContain("PROBLEM: expected 3 replica container(s), found 1");
  });
});
