/**
 * Every outputs document the contract accepts gives a report, never a crash (issue 15
 * class: a sandbox without a part crashed the suite with a TypeError). The variants
 * (testing/fuzz/contractVariants.ts) remove, null or empty each optional part of the
 * contract, alone and in seeded combinations, on every platform; the real checks run
 * against dead loopback ports, so each run ends at the connect deadline or sooner.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseStackOutputs, stackOutputs, type StackOutputs } from "../components/contract/outputs";
import { absentChanges, applyChanges, variants } from "../testing/fuzz/contractVariants";
import { UsageError } from "./errors";
import { EXIT } from "./runner";
import { runSuite } from "./suite";
import { deadOutputs, freePort } from "./testing/fakes";
import { formatConsoleReport } from "./report/console";

const SEED = 20261201;
/** What a crash looks like in a result line: a JavaScript error's text instead of a finding. */
const CRASH = /TypeError|ReferenceError|RangeError|Cannot read propert|Cannot destructure|is not a function|is not iterable|undefined is not|null is not|\n\s+at /;
const STATUSES = ["PASS", "WARN", "FAIL", "SKIP"];
const EXITS: number[] = Object.values(EXIT);

/** The dead outputs with every optional part present, so each can be taken away. */
async function everyPartPresent(): Promise<StackOutputs> {
  const o = await deadOutputs();
  const arn = (what: string) => `arn:aws:service:us-east-1:123456789012:${what}`;
  o.region = "us-east-1";
  o.redis.natMap = { "172.20.0.2:6379": o.redis.primary };
  o.redis.aws = { replicationGroupId: "dt-redis", authTokenSecretArn: null, userGroupId: "dt-redis-users", userSecretArns: { application: arn("secret:redis-app"), monitoring: arn("secret:redis-monitor"), operator: arn("secret:redis-operator") } };
  o.application.redis.natMap = { "172.20.0.2:6379": o.redis.primary };
  o.postgres.partitionChecks = { windowSeconds: 60, reconcileMaxAgeSeconds: 3600 };
  o.postgres.aws = { primaryInstanceId: "dt-pg", replicaInstanceIds: ["dt-pg-r1"], masterSecretArn: arn("secret:pg") };
  o.pgbouncer.readRouting = { intervalMs: 1000, stateFile: "/nonexistent/read-routing.json", metricNamespace: "DataTier/ReadRouting", natMap: { "172.20.0.3:5432": o.postgres.primary } };
  o.pgbouncer.aws = { clusterName: "dt", serviceName: "pgbouncer", targetGroupArn: arn("tg"), loadBalancerArn: arn("lb"), desiredCount: 2 };
  o.alarms = { ...o.alarms, warningTopicArn: arn("warn"), criticalTopicArn: arn("crit"), alarmNames: ["dt-redis-cpu"] };
  o.application.aws = { readWriteSecretArn: arn("rw"), readOnlySecretArn: arn("ro"), redisSecretArn: arn("secret:redis-app"), readPolicyArn: arn("policy") };
  o.checks.aws = { clusterName: "dt", taskDefinitionArn: arn("td"), containerName: "checks", subnetIds: ["subnet-1"], securityGroupId: "sg-1", logGroupName: "/dt/checks", logStreamPrefix: "checks", scheduleName: "dt-checks", scheduleMinutes: 5 };
  return parseStackOutputs(o, "every part present");
}

let dead: StackOutputs;
beforeAll(async () => {
  dead = await everyPartPresent();
  // platform aws: the SDK talks to a dead loopback port with fake keys, never to AWS.
  vi.stubEnv("AWS_ENDPOINT_URL", `http://127.0.0.1:${await freePort()}`);
  vi.stubEnv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "fake-secret-for-a-dead-port");
});
afterAll(() => vi.unstubAllEnvs());

async function expectReport(doc: StackOutputs, name: string) {
  const outputs = parseStackOutputs(doc, name);
  const r = await runSuite(outputs, { hooks: [], timeoutMs: 3_000, deadlineMs: 8_000 });
  expect(EXITS, name).toContain(r.exitCode);
  expect(r.results.length, name).toBeGreaterThan(0);
  for (const x of r.results) {
    expect(STATUSES, `${name}: ${x.id}`).toContain(x.status);
    expect(x.message, `${name}: ${x.id}`).not.toMatch(CRASH);
  }
  expect(() => formatConsoleReport(r, false), name).not.toThrow();
  return r;
}

describe("the generator", () => {
  it("finds the contract's optional parts, and every variant it makes is schema-valid", () => {
    const paths = absentChanges(stackOutputs, dead).map((c) => `${c.op} ${c.path.join(".")}`);
    for (const p of ["null redis.aws", "empty redis.readers", "empty redis.sentinels", "null redis.sentinelMasterName", "empty postgres.replicas", "remove pgbouncer.readRouting", "null pgbouncer.readRouting", "null checks.aws", "null region", "empty application.redis.readers"]) {
      expect(paths).toContain(p);
    }
    for (const v of variants(stackOutputs, dead, SEED, 10)) expect(() => parseStackOutputs(v.doc, v.name), v.name).not.toThrow();
  });
});

describe("every schema-valid outputs document gives a report (dead endpoints)", () => {
  it.each(["sandbox", "docker", "aws"] as const)("on platform %s: each optional part removed, nulled or emptied alone, and 12 seeded combinations", async (platform) => {
    for (const v of variants(stackOutputs, { ...dead, platform }, SEED, 12)) await expectReport(v.doc, `${platform}: ${v.name}`);
  });

  it.each(["sandbox", "docker", "aws"] as const)("everything optional absent at once on platform %s", async (platform) => {
    const all = applyChanges({ ...dead, platform }, absentChanges(stackOutputs, { ...dead, platform }));
    const r = await expectReport(all, `all absent, ${platform}`);
    // The parts that are gone say so, naming the output field, rather than leaving a shorter report.
    const said = Object.fromEntries(r.results.filter((x) => x.status === "SKIP").map((x) => [x.id, x.message]));
    for (const [id, field] of [["redis.nodes", "redis.nodes"], ["redis.readers", "redis.readers"], ["redis.sentinels", "redis.sentinels"], ["postgres.replicas", "postgres.replicas"], ["partition.pairs", "postgres.partitionPairs"]]) {
      expect(said[id], id).toMatch(new RegExp(`^outputs\\.${field.replace(".", "\\.")} is empty[ :(]`));
    }
  });
});

describe("what the contract refuses is refused before any check runs", () => {
  it("null outputs (a sandbox started without some part) is a usage error naming why, not a TypeError", async () => {
    const r = runSuite(null as unknown as StackOutputs, { hooks: [] });
    await expect(r).rejects.toBeInstanceOf(UsageError);
    await expect(r).rejects.toThrow(/given no stack outputs \(null\).*only some of its parts/);
  });

  it.each(["redis", "postgres", "pgbouncer", "alarms", "checks", "application"])("outputs with %s null: a contract error naming it", async (part) => {
    const doc = { ...dead, [part]: null } as unknown as StackOutputs;
    await expect(runSuite(doc, { hooks: [] })).rejects.toThrow(new RegExp(`^Stack outputs from the outputs given to runSuite do not match the contract[^]*- ${part}: `));
  });
});
