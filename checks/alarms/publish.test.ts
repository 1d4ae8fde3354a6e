import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { CUSTOM_METRICS } from "../../components/alarms/catalogue";
import type { StackOutputs } from "../../components/contract/outputs";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { runSuite } from "../suite";
import { fakeCheck } from "../testing/fakes";
import type { MeasuredMetric } from "../types";
import { publishMetrics, publishMetricsHook } from "./publish";

const cw = mockClient(CloudWatchClient);
afterAll(() => cw.restore());
beforeEach(() => {
  cw.reset();
  cw.on(PutMetricDataCommand).resolves({});
});

const measured: MeasuredMetric[] = [
  { name: "PartitionRowDelta", dimensions: { Table: "revenue_transactions" }, value: 3, unit: "Count" },
  { name: "CacheGetTimeP99", dimensions: {}, value: 1.25, unit: "Milliseconds" },
];
function awsOutputs(): StackOutputs {
  const o = sampleOutputs();
  o.platform = "aws";
  o.region = "eu-west-1";
  o.environment = "prod";
  o.alarms.customMetricNamespace = "Acme/DataTier";
  return o;
}
const fastRetry = { attempts: 3, baseDelayMs: 5 };
const at = new Date("2026-01-02T03:04:05Z");

describe("publishMetrics", () => {
  it("publishes to the stack's namespace with the Environment dimension the alarms select on", async () => {
    const r = await publishMetrics(measured, awsOutputs(), { dryRun: false, client: new CloudWatchClient({ region: "eu-west-1" }), now: () => at });
    expect(r).toMatchObject({ namespace: "Acme/DataTier", published: 3, dryRun: false });
    const calls = cw.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      Namespace: "Acme/DataTier",
      MetricData: [
        { MetricName: "PartitionRowDelta", Dimensions: [{ Name: "Environment", Value: "prod" }, { Name: "Table", Value: "revenue_transactions" }], Value: 3, Unit: "Count", Timestamp: at },
        { MetricName: "CacheGetTimeP99", Dimensions: [{ Name: "Environment", Value: "prod" }], Value: 1.25, Unit: "Milliseconds", Timestamp: at },
        // The heartbeat of every run: what the monitor alarm watches.
        { MetricName: "SmokeSuiteRuns", Dimensions: [{ Name: "Environment", Value: "prod" }], Value: 1, Unit: "Count", Timestamp: at },
      ],
    });
    // The names and units the alarms watch (catalogue.ts), so a rename on either side fails here.
    expect(calls[0].args[0].input.MetricData!.map((d) => `${d.MetricName}:${d.Unit}`)).toEqual([
      `${CUSTOM_METRICS.partitionRowDelta.metricName}:${CUSTOM_METRICS.partitionRowDelta.unit}`,
      `${CUSTOM_METRICS.cacheGetTimeP99.metricName}:${CUSTOM_METRICS.cacheGetTimeP99.unit}`,
      `${CUSTOM_METRICS.suiteRuns.metricName}:${CUSTOM_METRICS.suiteRuns.unit}`,
    ]);
  });

  it("splits large batches and retries a throttled call", async () => {
    cw.reset();
    cw.on(PutMetricDataCommand).rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "Throttling" })).resolves({});
    const many = Array.from({ length: 320 }, (_, i): MeasuredMetric => ({ name: "PartitionRowDelta", dimensions: { Table: `t${i}` }, value: i, unit: "Count" }));
    const r = await publishMetrics(many, awsOutputs(), { dryRun: false, client: new CloudWatchClient({ region: "eu-west-1" }), retry: fastRetry });
    expect(r.published).toBe(321);
    expect(cw.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData!.length)).toEqual([150, 150, 150, 21]);
  });

  it("fails clearly when throttling persists, and refuses non-numeric values before any call", async () => {
    cw.reset();
    cw.on(PutMetricDataCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "Throttling" }));
    await expect(publishMetrics(measured, awsOutputs(), { dryRun: false, client: new CloudWatchClient({ region: "eu-west-1" }), retry: fastRetry })).rejects.toThrow(/PutMetricData \(3 metrics to Acme\/DataTier\) was throttled by AWS on all 3 attempts/);
    cw.reset();
    await expect(publishMetrics([{ ...measured[0], value: NaN }], awsOutputs(), { dryRun: false, client: new CloudWatchClient({ region: "eu-west-1" }) })).rejects.toThrow(/non-numeric values for PartitionRowDelta/);
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  it("in a dry run lists what it would publish and calls nothing", async () => {
    const r = await publishMetrics(measured, sampleOutputs(), { dryRun: true });
    expect(r.lines).toEqual(["PartitionRowDelta{Environment=dev,Table=revenue_transactions} = 3 Count", "CacheGetTimeP99{Environment=dev} = 1.25 Milliseconds", "SmokeSuiteRuns{Environment=dev} = 1 Count"]);
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });
});

describe("--publish-metrics hook", () => {
  const metricCheck = fakeCheck("partition.row-count.x", { status: "PASS", message: "equal", metrics: measured });

  it("on the sandbox reports what it would publish", async () => {
    const hook = publishMetricsHook();
    const r = await runSuite(sampleOutputs(), { factories: [() => [metricCheck]], hooks: [hook], enabledHooks: ["publish-metrics"] });
    expect(r.hooks).toHaveLength(1);
    expect(r.hooks[0]).toMatchObject({ name: "publish-metrics", ok: true });
    expect(r.hooks[0].message).toBe("dry run (platform sandbox has no CloudWatch): would publish 3 metric(s) to DataTier: PartitionRowDelta{Environment=dev,Table=revenue_transactions} = 3 Count; CacheGetTimeP99{Environment=dev} = 1.25 Milliseconds; SmokeSuiteRuns{Environment=dev} = 1 Count");
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });

  it("on aws publishes, and does not run unless its flag was given", async () => {
    const hook = publishMetricsHook({ client: new CloudWatchClient({ region: "eu-west-1" }) });
    const off = await runSuite(awsOutputs(), { factories: [() => [metricCheck]], hooks: [hook] });
    expect(off.hooks).toEqual([]);
    const on = await runSuite(awsOutputs(), { factories: [() => [metricCheck]], hooks: [hook], enabledHooks: ["publish-metrics"] });
    expect(on.hooks[0].message).toMatch(/^published 3 metric\(s\) to Acme\/DataTier/);
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(1);
    expect(hook.flag!.flags).toBe("--publish-metrics");
  });
});
