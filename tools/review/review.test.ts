import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../../testing/tempDir";
import { EXIT, review } from "./cli";

async function captured(opts: Parameters<typeof review>[0]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const code = await review({ ...opts, print: (l) => lines.push(l) });
  return { code, out: lines.join("\n") };
}

describe("npm run review", () => {
  it("prints the prod plan offline", async () => {
    const { code, out } = await captured({ stack: "prod" });
    expect(out).toContain('Offline review of stack "prod" (platform aws, production): settings valid');
    expect(out).toMatch(/== Plan\n/);
    // Redis, PostgreSQL, PgBouncer and the in-VPC checks task.
    expect(out).toMatch(/aws:ec2\/securityGroup:SecurityGroup \(4\)/);
    expect(out).not.toMatch(/mock-[a-z-]+-x{4,}/); // generated passwords never printed
    expect(code === EXIT.ok || code === EXIT.failed).toBe(true);
  });

  it("exits 2 on a bad stack file, listing every problem", async () => {
    const dir = testTempDir("review-");
    const file = join(dir, "Pulumi.broken.yaml");
    writeFileSync(
      file,
      [
        "config:",
        "  aws:region: us-east-1",
        "  data-tier:platform: aws",
        "  data-tier:production: true",
        "  data-tier:redis:",
        "    replicas: 0",
        "    replicationGroupId: THIS_IS_NOT_VALID_AND_IS_MUCH_TOO_LONG_FOR_AWS",
        "  data-tier:postgres:",
        "    backupRetentionDays: 1",
        "  data-tier:tags:",
        "    Owner: team",
      ].join("\n"),
    );
    const { code, out } = await captured({ stack: "broken", file });
    expect(code).toBe(EXIT.invalidSettings);
    for (const key of ["data-tier:redis.replicas", "data-tier:redis.replicationGroupId", "data-tier:postgres.backupRetentionDays", "data-tier:network.vpcId", "data-tier:network.privateSubnets", "data-tier:network.appSecurityGroupIds"]) {
      expect(out).toContain(`- ${key}`);
    }
    expect(out).not.toContain("== Plan");
  });

  it("exits 2 naming the file when the stack file does not exist", async () => {
    const { code, out } = await captured({ stack: "nope" });
    expect(code).toBe(EXIT.invalidSettings);
    expect(out).toMatch(/Pulumi\.nope\.yaml: no such stack file/);
  });

  it("--json carries every resource's full inputs, each secret as [secret]", async () => {
    const { out } = await captured({ stack: "prod", json: true });
    const plan = JSON.parse(out).sections.Plan as { type: string; inputs: Record<string, unknown> }[];
    expect(plan.length).toBeGreaterThan(50);
    for (const p of plan) expect(typeof p.inputs, p.type).toBe("object");
    const group = plan.find((p) => p.type === "aws:elasticache/replicationGroup:ReplicationGroup")!;
    // RBAC (prod runs Redis 7): a user group instead of an AUTH token; each user's passwords are secret.
    expect(group.inputs).toMatchObject({ port: 6379, engine: "redis" });
    expect(group.inputs.authToken).toBeUndefined();
    expect((group.inputs.userGroupIds as unknown[]).length).toBe(1);
    const users = plan.filter((p) => p.type === "aws:elasticache/user:User");
    expect(users.map((u) => u.inputs.userName).sort()).toEqual(["app", "default", "monitor", "operator"]);
    for (const u of users) expect(u.inputs.passwords, String(u.inputs.userName)).toBe("[secret]");
    const versions = plan.filter((p) => p.type === "aws:secretsmanager/secretVersion:SecretVersion").map((p) => p.inputs.secretString);
    expect(versions.length).toBeGreaterThanOrEqual(3);
    for (const v of versions) expect(v).toBe("[secret]");
    expect(out).not.toMatch(/mock-[a-z-]+-x{4,}/); // generated passwords never printed
    expect(out).not.toContain("mock-rds-managed-master-password");
  });

  it("prints one JSON document with --json", async () => {
    const { out } = await captured({ stack: "dev", json: true });
    const doc = JSON.parse(out);
    expect(doc).toMatchObject({ stack: "dev", platform: "docker", production: false });
    expect(Array.isArray(doc.sections.Plan)).toBe(true);
  });
});
