/**
 * A stack file with ten different problems, shape and cross-field mixed, reports all ten
 * in one `npm run review`; and the settings that used to crash the review (exit 4 with a
 * stack trace) end in exit 2 naming the key.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT, review } from "../../tools/review/cli";

const dir = mkdtempSync(join(tmpdir(), "every-problem-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function reviewFile(name: string, lines: string[]): Promise<{ code: number; out: string }> {
  const file = join(dir, `Pulumi.${name}.yaml`);
  writeFileSync(file, lines.join("\n") + "\n");
  const out: string[] = [];
  const code = await review({ stack: name, file, print: (l) => out.push(l) });
  return { code, out: out.join("\n") };
}

const PROD_NETWORK = [
  "  aws:region: us-east-1",
  "  data-tier:platform: aws",
  "  data-tier:network:",
  "    vpcId: vpc-0a1b2c3d4e5f60718",
  "    privateSubnets:",
  "      - {id: subnet-0a11111111111111a, availabilityZone: us-east-1a}",
  "      - {id: subnet-0b22222222222222b, availabilityZone: us-east-1b}",
  "    appSecurityGroupIds: [sg-0a1b2c3d4e5f60718]",
];

describe("every problem at once", () => {
  it("reports ten problems, shape and cross-field together, in one run", async () => {
    const { code, out } = await reviewFile("ten", [
      "config:",
      ...PROD_NETWORK,
      "  data-tier:redis:",
      "    replica: 2", // 1 shape: unknown key
      "    maxmemoryMb: 17592186044417", // 2 shape: bound
      "    kmsKeyArn: arn:aws:kms:us-east-1:123456789012:alias/data", // 3 shape: alias ARN
      "    snapshotWindow: '05:30-06:00'", // 4 rule: 30 min, overlaps maintenance
      "  data-tier:postgres:",
      "    port: 1100", // 5 rule: RDS port
      "    parameters: {max_conections: '500'}", // 6 rule: unknown parameter
      "  data-tier:pgbouncer: {cpu: 256, memoryMb: 4096, adminUser: app}", // 7 + 8 rules: Fargate, role
      "  data-tier:alarms: {periodSeconds: 900, evaluationPeriods: 100}", // 9 rule: look-back
      "  data-tier:tags: {Owner: team, 'aws:x': y}", // 10 rule: reserved prefix
    ]);
    expect(code).toBe(EXIT.invalidSettings);
    const keys = [
      "data-tier:redis",
      "data-tier:redis.maxmemoryMb",
      "data-tier:redis.kmsKeyArn",
      "data-tier:redis.snapshotWindow",
      "data-tier:postgres.port",
      "data-tier:postgres.parameters.max_conections",
      "data-tier:pgbouncer.memoryMb",
      "data-tier:pgbouncer.adminUser",
      "data-tier:alarms.evaluationPeriods",
      "data-tier:tags.aws:x",
    ];
    for (const key of keys) expect(out, key).toMatch(new RegExp(`^  - ${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}( =|:)`, "m"));
    expect(out).toMatch(/unknown setting "replica"/);
    expect(out).not.toContain("== Plan");
  });
});

describe("settings that used to crash the review", () => {
  const DEV = ["config:", "  data-tier:platform: docker", "  data-tier:tags: {Owner: team}"];
  const CASES: { name: string; lines: string[]; key: string }[] = [
    { name: "proto", lines: [...DEV, "  data-tier:alarms:", "    __proto__: {enabled: false}"], key: "data-tier:alarms.__proto__" },
    { name: "nul", lines: [...DEV, '  data-tier:postgres: {parameters: {work_mem: "4MB\\0"}}'], key: "data-tier:postgres.parameters.work_mem" },
    { name: "newline", lines: [...DEV, "  data-tier:postgres: {parameters: {work_mem: \"4MB\\nhba_file = '/tmp/x'\"}}"], key: "data-tier:postgres.parameters.work_mem" },
    { name: "prodondocker", lines: [...DEV, "  data-tier:production: true"], key: "data-tier:production" },
    { name: "tlsondocker", lines: [...DEV, "  data-tier:pgbouncer: {tls: {client: require}}"], key: "data-tier:pgbouncer.tls.client" },
  ];
  it.each(CASES)("$name: exit 2 naming $key, no stack trace", async ({ name, lines, key }) => {
    const { code, out } = await reviewFile(name, lines);
    expect(out).toContain(`- ${key}`);
    expect(out).not.toContain("hba_file");
    expect(out).not.toMatch(/\n\s+at [\w.<>]+ \(/);
    expect(code).toBe(EXIT.invalidSettings);
  });
});
