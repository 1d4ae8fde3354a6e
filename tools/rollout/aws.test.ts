/**
 * The AppConfig + CloudWatch backend under aws-sdk-client-mock: advancing creates a hosted
 * version and deploys it with the phase's strategy; rollback stops a deployment in flight
 * first and deploys off with the rollback strategy; the effective state skips deployments
 * AppConfig rolled back; alarm evidence comes from states and history; missing credentials
 * are exit 2 with a sentence, through the command line too.
 */
import { AppConfigClient, CreateHostedConfigurationVersionCommand, GetHostedConfigurationVersionCommand, ListDeploymentsCommand, StartDeploymentCommand, StopDeploymentCommand } from "@aws-sdk/client-appconfig";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../components/contract/outputs";
import { flagDocumentText } from "../../components/flags/document";
import { PHASES, stateOf } from "../../components/flags/phases";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { testTempDir } from "../../testing/tempDir";
import { awsBackend } from "./aws";
import { backendFor, main } from "./cli";
import { RolloutInputError } from "./errors";
import { suiteReport } from "./testkit";

const ac = mockClient(AppConfigClient);
const cw = mockClient(CloudWatchClient);
const appconfig = { applicationId: "abc1234", environmentId: "env5678", configurationProfileId: "prof901", deploymentStrategyIds: { ...Object.fromEntries(PHASES.slice(1).map((p) => [p.name, `strat-${p.name}`])), rollback: "strat-rollback" }, monitorAlarmName: "data-tier-prod-switchover-critical-any" };
const backend = () => awsBackend({ region: "us-east-1", appconfig, alarmNames: ["a-warning", "a-critical", "b-critical"] });
// The SDK types Content as its blob adapter (a Uint8Array subclass); the bytes are what matter.
const content = (p: number) => new TextEncoder().encode(flagDocumentText(stateOf(PHASES[p]))) as never;

// Test files share worker processes: the mocked clients must not outlive this file.
afterAll(() => {
  ac.restore();
  cw.restore();
});

beforeEach(() => {
  ac.reset();
  cw.reset();
});

describe("awsBackend", () => {
  it("reads the newest deployment AppConfig did not roll back, and says when it rolled one back", async () => {
    ac.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 3, State: "ROLLED_BACK", ConfigurationVersion: "3" }, { DeploymentNumber: 2, State: "COMPLETE", ConfigurationVersion: "2", PercentageComplete: 100 }] });
    ac.on(GetHostedConfigurationVersionCommand, { VersionNumber: 2 }).resolves({ Content: content(2) });
    const r = await backend().read();
    expect(r.state).toEqual({ partitionedReads: 5, partitionedWrites: 5 });
    expect(r.detail).toBe("AppConfig deployment 2 COMPLETE (100% of hosts)");
    expect(r.rolledBackByAppConfig).toMatch(/rolled back deployment 3/);
    expect(r.inFlight).toBeUndefined();
  });

  it("a deployment still baking is in flight (the gate waits for it)", async () => {
    ac.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 4, State: "BAKING", ConfigurationVersion: "4", PercentageComplete: 100 }] });
    ac.on(GetHostedConfigurationVersionCommand).resolves({ Content: content(3) });
    const r = await backend().read();
    expect(r.state.partitionedReads).toBe(10);
    expect(r.inFlight).toBe("AppConfig deployment 4 is BAKING (100% of hosts)");
  });

  it("no deployment yet reads as off", async () => {
    ac.on(ListDeploymentsCommand).resolves({ Items: [] });
    expect((await backend().read()).state).toEqual({ partitionedReads: 0, partitionedWrites: 0 });
  });

  it("advance: a hosted version with the phase's document, deployed with the phase's strategy", async () => {
    ac.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 7 });
    ac.on(StartDeploymentCommand).resolves({ DeploymentNumber: 4, State: "DEPLOYING" });
    const target = await backend().write(stateOf(PHASES[4]), PHASES[4], "advance");
    expect(target).toBe("AppConfig version 7, deployment 4 (DEPLOYING, strategy phase-25)");
    const created = ac.commandCalls(CreateHostedConfigurationVersionCommand)[0].args[0].input;
    expect(created).toMatchObject({ ApplicationId: "abc1234", ConfigurationProfileId: "prof901", ContentType: "application/json" });
    expect(JSON.parse(new TextDecoder().decode(created.Content as Uint8Array)).values.partitionedReads).toEqual({ enabled: true, percentage: 25 });
    expect(ac.commandCalls(StartDeploymentCommand)[0].args[0].input).toMatchObject({ EnvironmentId: "env5678", DeploymentStrategyId: "strat-phase-25", ConfigurationVersion: "7" });
    expect(ac.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it("rollback: stops the deployment in flight, then deploys off with the rollback strategy", async () => {
    ac.on(ListDeploymentsCommand).resolves({ Items: [{ DeploymentNumber: 5, State: "BAKING", ConfigurationVersion: "8" }, { DeploymentNumber: 4, State: "COMPLETE", ConfigurationVersion: "7" }] });
    ac.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 9 });
    ac.on(StartDeploymentCommand).resolves({ DeploymentNumber: 6, State: "DEPLOYING" });
    await backend().write(stateOf(PHASES[0]), PHASES[0], "rollback");
    expect(ac.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input.DeploymentNumber)).toEqual([5]);
    expect(ac.commandCalls(StartDeploymentCommand)[0].args[0].input.DeploymentStrategyId).toBe("strat-rollback");
    expect(JSON.parse(new TextDecoder().decode(ac.commandCalls(CreateHostedConfigurationVersionCommand)[0].args[0].input.Content as Uint8Array)).values.partitionedWrites).toEqual({ enabled: false, percentage: 0 });
  });

  it("alarm evidence: critical alarms in ALARM now, and those that went to ALARM since the phase began (paged)", async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: "a-warning", StateValue: "ALARM" }, { AlarmName: "a-critical", StateValue: "OK" }, { AlarmName: "b-critical", StateValue: "ALARM" }] });
    cw.on(DescribeAlarmHistoryCommand)
      .resolvesOnce({ AlarmHistoryItems: [{ AlarmName: "a-critical", HistorySummary: "Alarm updated from OK to ALARM" }, { AlarmName: "x-warning", HistorySummary: "Alarm updated from OK to ALARM" }], NextToken: "n" })
      .resolvesOnce({ AlarmHistoryItems: [{ AlarmName: "b-critical", HistorySummary: "Alarm updated from ALARM to OK" }] });
    const since = new Date("2026-12-01T00:00:00Z");
    const e = await backend().alarms(since);
    expect(e).toEqual({ source: "cloudwatch", available: true, inAlarm: ["b-critical"], warningsInAlarm: ["a-warning"], alarmedSince: ["a-critical"] });
    expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input.AlarmNames).toEqual(["a-warning", "a-critical", "b-critical"]);
    expect(cw.commandCalls(DescribeAlarmHistoryCommand)[0].args[0].input).toMatchObject({ HistoryItemType: "StateUpdate", StartDate: since });
    expect(cw.commandCalls(DescribeAlarmHistoryCommand)).toHaveLength(2);
  });

  it("missing credentials and access denied are input errors naming what to do", async () => {
    ac.on(ListDeploymentsCommand).rejects(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));
    await expect(backend().read()).rejects.toThrow(RolloutInputError);
    await expect(backend().read()).rejects.toThrow(/AppConfig ListDeployments: no AWS credentials \(CredentialsProviderError\); run with the deploy role/);
    cw.on(DescribeAlarmsCommand).rejects(Object.assign(new Error("not allowed"), { name: "AccessDeniedException" }));
    await expect(backend().alarms(null)).rejects.toThrow(/access denied .*cloudwatch:DescribeAlarms/);
  });
});

function awsOutputs(): StackOutputs {
  const o = sampleOutputs();
  return { ...o, environment: "staging", platform: "aws", region: "us-east-1", alarms: { ...o.alarms, alarmNames: ["s-replica-lag-warning", "s-replica-lag-critical"] }, application: { ...o.application, flags: { profileType: "AWS.AppConfig.FeatureFlags", file: null, appconfig } } };
}

describe("the command line on an AppConfig stack", () => {
  const run = async (args: string[], outputs: StackOutputs) => {
    const dir = testTempDir("rollout-aws-");
    const f = join(dir, "outputs.json");
    writeFileSync(f, JSON.stringify(outputs));
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["--stack", outputs.environment, "--outputs", f, "--history", join(dir, "h.json"), ...args], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {} }, { suite: async () => suiteReport() });
    return { code, out: out.join(""), err: err.join("") };
  };

  it("picks the AppConfig backend", () => {
    expect(backendFor(awsOutputs()).describe()).toBe("AppConfig application abc1234, environment env5678, profile prof901 (us-east-1)");
  });

  it("no credentials: exit 2 with a sentence, no stack trace", async () => {
    ac.on(ListDeploymentsCommand).rejects(Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }));
    const r = await run(["status"], awsOutputs());
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: AppConfig ListDeployments: no AWS credentials/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("advance on staging from off: deploys pilot-1 with its strategy after a healthy suite and clean alarms", async () => {
    ac.on(ListDeploymentsCommand).resolves({ Items: [] });
    ac.on(CreateHostedConfigurationVersionCommand).resolves({ VersionNumber: 2 });
    ac.on(StartDeploymentCommand).resolves({ DeploymentNumber: 1, State: "DEPLOYING" });
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: "s-replica-lag-critical", StateValue: "OK" }] });
    const r = await run(["advance"], awsOutputs());
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("ok   alarms.none-critical: no critical alarm in ALARM");
    expect(r.out).toContain("advanced to pilot-1 (1%): AppConfig version 2, deployment 1 (DEPLOYING, strategy pilot-1)");
    expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input.AlarmNames).toEqual(["s-replica-lag-warning", "s-replica-lag-critical"]);
    expect(r.out).toContain("ok   alarms.none-warning: no warning alarm in ALARM");
  });
});
