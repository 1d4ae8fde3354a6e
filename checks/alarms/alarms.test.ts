/** The alarm checks against a mocked CloudWatch holding exactly what the prod program creates. */
import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../components/contract/outputs";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { runProgram } from "../../testing/harness";
import { runSuite, type SuiteReport } from "../suite";
import { accountFromRun, outputsFromRun } from "../testing/fakeAccount";
import { arnSuffix, expectedAlarms, inferPrefix } from "./expected";
import { alarmChecksWith } from "./index";

const cw = mockClient(CloudWatchClient);
afterAll(() => cw.restore());

let outputs: StackOutputs;
let pristine: MetricAlarm[];
let account: MetricAlarm[];

function serve() {
  cw.reset();
  cw.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => ({ MetricAlarms: account.filter((a) => input.AlarmNames!.includes(a.AlarmName!)) }));
}

beforeAll(async () => {
  const run = await runProgram({ stack: "prod" });
  outputs = outputsFromRun(run);
  pristine = accountFromRun(run);
});
beforeEach(() => {
  account = structuredClone(pristine);
  serve();
});

const fastRetry = { attempts: 3, baseDelayMs: 5 };
const check = (o = outputs): Promise<SuiteReport> => runSuite(o, { factories: [alarmChecksWith(fastRetry)], hooks: [] });
const result = (r: SuiteReport, id: string) => r.results.find((x) => x.id === id)!;
const alarm = (suffix: string) => account.find((a) => a.AlarmName === `data-tier-prod-${suffix}`)!;

describe("alarm checks (aws)", () => {
  it("pass when the account holds exactly what the program creates", async () => {
    const r = await check();
    expect(r.results.map((x) => `${x.id}:${x.status}`)).toEqual(["alarms.exist:PASS", "alarms.match-catalogue:PASS", "alarms.none-critical:PASS"]);
    expect(result(r, "alarms.match-catalogue").message).toMatch(new RegExp(`^${pristine.length} alarms match the catalogue`));
  });

  it("catch a threshold edited in the console (drift between code and account)", async () => {
    alarm("postgres-replica-2-replica-lag-critical").Threshold = 60;
    const r = await check();
    expect(result(r, "alarms.match-catalogue").status).toBe("FAIL");
    expect(result(r, "alarms.match-catalogue").message).toContain("data-tier-prod-postgres-replica-2-replica-lag-critical: threshold is 60 Seconds, the catalogue says 30 Seconds");
    expect(result(r, "alarms.exist").status).toBe("PASS");
  });

  it("catch a GET-latency alarm left in milliseconds (the metric is in microseconds)", async () => {
    alarm("redis-get-latency-warning").Threshold = 50;
    const r = await check();
    expect(result(r, "alarms.match-catalogue").message).toContain("threshold is 50 Microseconds, the catalogue says 50000 Microseconds");
  });

  it("catch actions to the wrong topic, a changed missing-data policy and a node dropped from the math", async () => {
    const lag = alarm("redis-replication-lag-critical");
    lag.AlarmActions = [outputs.alarms.warningTopicArn!];
    lag.TreatMissingData = "notBreaching";
    lag.Metrics = lag.Metrics!.filter((m) => m.Id !== "n2");
    const msg = result(await check(), "alarms.match-catalogue").message;
    expect(msg).toContain("ALARM does not notify the critical topic");
    expect(msg).toContain("missing data is treated as notBreaching, expected breaching");
    expect(msg).toMatch(/watches .*expected .*n2:AWS\/ElastiCache\/ReplicationLag/);
  });

  it("fail clearly when an alarm is missing", async () => {
    account = account.filter((a) => a.AlarmName !== "data-tier-prod-partition-row-delta-expense-transactions-critical");
    const r = await check();
    expect(result(r, "alarms.exist")).toMatchObject({ status: "FAIL", message: expect.stringContaining(`1 of ${pristine.length} alarms are missing from CloudWatch in us-east-1: data-tier-prod-partition-row-delta-expense-transactions-critical`) });
    expect(result(r, "alarms.match-catalogue").message).toContain("data-tier-prod-partition-row-delta-expense-transactions-critical is missing");
  });

  it("FAIL on a critical alarm in ALARM, WARN on a warning one", async () => {
    alarm("cache-invalidation-failure-rate-warning").StateValue = "ALARM";
    let r = await check();
    expect(result(r, "alarms.none-critical")).toMatchObject({ status: "WARN", message: expect.stringContaining("data-tier-prod-cache-invalidation-failure-rate-warning") });
    expect(r.overall).toBe("degraded");
    alarm("postgres-primary-free-storage-critical").StateValue = "ALARM";
    r = await check();
    expect(result(r, "alarms.none-critical")).toMatchObject({ status: "FAIL", message: expect.stringMatching(/^1 critical alarm is in ALARM: data-tier-prod-postgres-primary-free-storage-critical \(Threshold Crossed/) });
    expect(r.overall).toBe("unhealthy");
  });

  it("retry a throttled DescribeAlarms, then FAIL clearly when throttling persists", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
    cw.reset();
    cw.on(DescribeAlarmsCommand).rejectsOnce(throttled).callsFake((input: DescribeAlarmsCommandInput) => ({ MetricAlarms: account.filter((a) => input.AlarmNames!.includes(a.AlarmName!)) }));
    const ok = await runSuite(outputs, { factories: [alarmChecksWith(fastRetry)], hooks: [], only: "alarms.exist" });
    expect(result(ok, "alarms.exist").status).toBe("PASS");
    expect(cw.commandCalls(DescribeAlarmsCommand)).toHaveLength(2);

    cw.reset();
    cw.on(DescribeAlarmsCommand).rejects(throttled);
    const bad = await check();
    for (const x of bad.results) {
      expect(x.status).toBe("FAIL");
      expect(x.message).toMatch(/CloudWatch DescribeAlarms \(\d+ names\) was throttled by AWS on all 3 attempts \(Throttling: Rate exceeded\)/);
    }
  });

  it("fail when the stack exported no alarms on aws; build no checks elsewhere", async () => {
    const none = structuredClone(outputs);
    none.alarms.alarmNames = [];
    expect(result(await check(none), "alarms.exist")).toMatchObject({ status: "FAIL", message: expect.stringContaining("alarmNames is empty") });
    expect(alarmChecksWith()(sampleOutputs())).toEqual([]);
  });
});

describe("expected alarms from the outputs", () => {
  it("recomputes the program's alarm names from the outputs alone", () => {
    const { prefix, specs } = expectedAlarms(outputs);
    expect(prefix).toBe("data-tier-prod");
    expect(specs.map((s) => s.name).sort()).toEqual([...outputs.alarms.alarmNames].sort());
  });

  it("infers the prefix by majority and turns ARNs into CloudWatch's dimension values", () => {
    expect(inferPrefix(["acme-qa-x-warning", "acme-qa-y-critical", "other-x-warning"], ["x-warning", "y-critical"])).toBe("acme-qa");
    expect(inferPrefix(["unrelated"], ["x-warning"])).toBeUndefined();
    expect(arnSuffix("arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/pgb/50dc6c495c0c9188")).toBe("net/pgb/50dc6c495c0c9188");
    expect(arnSuffix("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/pgb/73e2d6bc24d8a067")).toBe("targetgroup/pgb/73e2d6bc24d8a067");
  });
});
