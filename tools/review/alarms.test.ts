import { CloudWatchClient, DescribeAlarmsCommand, type DescribeAlarmsCommandInput, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alarmChecksWith } from "../../checks/alarms";
import { expectedAlarms } from "../../checks/alarms/expected";
import { accountFromRun, outputsFromRun } from "../../checks/testing/fakeAccount";
import { runSuite } from "../../checks/suite";
import { parseSettings } from "../../components/settings";
import { readStackFile } from "../../components/settings/stackFile";
import { runProgram, stackConfig, type ProgramRun } from "../../testing/harness";
import { alarmsReviewSection } from "./alarms";
import type { ReviewSection } from "./section";

const cw = mockClient(CloudWatchClient);
afterAll(() => cw.restore());

/** Settings exactly as the review would parse them, with the same overrides the run got. */
function settingsFor(stack: string, overrides: Record<string, unknown> = {}) {
  const sf = readStackFile(stack);
  const merged = stackConfig(sf, overrides);
  const alarms = merged[`${sf.project}:alarms`];
  return parseSettings({ ...sf.raw, values: { ...sf.raw.values, ...(alarms ? { alarms: JSON.parse(alarms) } : {}) } });
}

async function review(stack: string, overrides: Record<string, unknown> = {}): Promise<{ run: ProgramRun; section: ReviewSection }> {
  const run = await runProgram({ stack, overrides });
  const section = await alarmsReviewSection({ stack, settings: settingsFor(stack, overrides), run });
  return { run, section };
}

const lagRows = (s: ReviewSection) => s.text.split("\n").filter((l) => /ReplicaLag|ReplicationLag/.test(l));

describe("offline review: alarm catalogue", () => {
  let prod: { run: ProgramRun; section: ReviewSection };
  beforeAll(async () => {
    prod = await review("prod");
  });

  it("prints one row per registered alarm, in catalogue order, and passes", () => {
    const { run, section } = prod;
    expect(section.failed).toBe(false);
    const alarms = run.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm");
    const json = section.json as { alarms: { name: string }[] };
    expect(json.alarms.map((a) => a.name)).toEqual(run.outputs.alarms.alarmNames);
    expect(json.alarms).toHaveLength(alarms.length);
    expect(section.text).toMatch(/RDS read replica 2\s+ReplicaLag\s+Maximum\s+60 s\s+>\s+30 Seconds\s+critical\s+SNS data-tier-prod-alarms-critical/);
    expect(section.text).toMatch(/MAX\(GetTypeCmdsLatency\) over 3 nodes\s+Average\s+60 s\s+>\s+100000 Microseconds\s+critical/);
  });

  it("fails when a registered alarm is not exported or a documented level has no alarm", async () => {
    const dropped = { ...prod.run, resources: prod.run.resources.filter((r) => r.inputs?.name !== "data-tier-prod-cache-invalidation-failure-rate-critical") };
    const s = await alarmsReviewSection({ stack: "prod", settings: settingsFor("prod"), run: dropped });
    expect(s.failed).toBe(true);
    expect(s.text).toContain("PROBLEM: in outputs.alarms.alarmNames but not registered: data-tier-prod-cache-invalidation-failure-rate-critical");
    expect(s.text).toContain('PROBLEM: no critical alarm for the documented threshold "invalidationFailureRate"');
  });

  it("on docker lists the thresholds the smoke suite holds instead", async () => {
    const { section } = await review("dev");
    expect(section.failed).toBe(false);
    expect(section.text).toContain("no alarms: platform docker has no CloudWatch");
    expect(section.text).toContain("replica lag: warning > 10 s, critical > 30 s");
  });

  it("one threshold changed in one place moves the alarms, the checks' expectations and the catalogue together", async () => {
    const overrides = { alarms: { thresholds: { replicaLag: { warning: 5, critical: 20 } } } };
    const { run, section } = await review("prod", overrides);

    // 1. The alarms the program registers.
    const lagAlarms = run.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.inputs.tags.AlarmKind === "replicaLag");
    expect(lagAlarms).toHaveLength(6);
    for (const a of lagAlarms) expect(a.inputs.threshold).toBe(a.inputs.tags.Severity === "warning" ? 5 : 20);

    // 2. The checks' expectations, recomputed from the outputs: the new account passes, the old one drifts.
    const outputs = outputsFromRun(run);
    expect(expectedAlarms(outputs).specs.filter((s) => s.kind === "replicaLag").map((s) => s.threshold)).toEqual([5, 20, 5, 20, 5, 20]);
    let account: MetricAlarm[] = accountFromRun(run);
    cw.on(DescribeAlarmsCommand).callsFake((input: DescribeAlarmsCommandInput) => ({ MetricAlarms: account.filter((a) => input.AlarmNames!.includes(a.AlarmName!)) }));
    const check = async () => (await runSuite(outputs, { factories: [alarmChecksWith({ attempts: 1, baseDelayMs: 1 })], hooks: [], only: "alarms.match-catalogue" })).results[0];
    expect((await check()).status).toBe("PASS");
    account = accountFromRun(prod.run);
    const stale = await check();
    expect(stale.status).toBe("FAIL");
    expect(stale.message).toContain("threshold is 10 Seconds, the catalogue says 5 Seconds");

    // 3. The catalogue the review prints.
    expect(lagRows(section).map((l) => /(\d+) Seconds/.exec(l)![1])).toEqual(["5", "20", "5", "20", "5", "20"]);
    expect(lagRows(prod.section).map((l) => /(\d+) Seconds/.exec(l)![1])).toEqual(["10", "30", "10", "30", "10", "30"]);
  });
});
