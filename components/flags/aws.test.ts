/**
 * The switchover flags on AWS under mocks (prod and staging), and locally (dev): the
 * AppConfig resources, the environment's monitor covering every critical alarm through a
 * role AppConfig can assume, and the application contract's `flags` part.
 */
import { describe, expect, it } from "vitest";
import { parseStackOutputs } from "../contract/outputs";
import { alarmsInRule } from "../../policies/appconfig";
import { runProgram } from "../../testing/harness";
import { flagsReviewSection } from "../../tools/review/flags";
import { loadStackSettings } from "../settings/stackFile";
import { parseFlagDocument } from "./document";
import { PHASES } from "./phases";

const of = (run: Awaited<ReturnType<typeof runProgram>>, type: string) => run.resources.filter((r) => r.type === `aws:${type}`);

describe.each(["prod", "staging"])("stack %s", (stack) => {
  it("registers the application, the stack's environment monitored by a composite of every critical alarm, the profile, the off version and a strategy per phase", async () => {
    const run = await runProgram({ stack });
    const [app] = of(run, "appconfig/application:Application");
    expect(app.inputs.name).toBe(`data-tier-${stack}-switchover`);
    const [env] = of(run, "appconfig/environment:Environment");
    expect(env.inputs).toMatchObject({ name: stack });
    const [composite] = of(run, "cloudwatch/compositeAlarm:CompositeAlarm");
    const [role] = of(run, "iam/role:Role").filter((r) => r.name.endsWith("-flags-monitor-role"));
    expect(env.inputs.monitors).toEqual([{ alarmArn: composite.state.arn, alarmRoleArn: role.state.arn }]);
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal).toEqual({ Service: "appconfig.amazonaws.com" });
    const critical = of(run, "cloudwatch/metricAlarm:MetricAlarm").filter((a) => (a.inputs.tags as Record<string, string>).Severity === "critical").map((a) => String(a.inputs.name));
    expect(critical.length).toBeGreaterThan(5);
    expect(alarmsInRule(String(composite.inputs.alarmRule)).sort()).toEqual(critical.sort());
    // The composite is created after the alarms it names.
    expect(composite.dependencies.length).toBeGreaterThan(0);
    const [profile] = of(run, "appconfig/configurationProfile:ConfigurationProfile");
    expect(profile.inputs).toMatchObject({ type: "AWS.AppConfig.FeatureFlags", locationUri: "hosted" });
    const [version] = of(run, "appconfig/hostedConfigurationVersion:HostedConfigurationVersion");
    expect(parseFlagDocument(JSON.parse(String(version.inputs.content)), "hosted version")).toEqual({ partitionedReads: 0, partitionedWrites: 0 });
    expect(of(run, "appconfig/deploymentStrategy:DeploymentStrategy").map((s) => s.inputs.name)).toEqual([...PHASES.slice(1).map((p) => `data-tier-${stack}-switchover-${p.name}`), `data-tier-${stack}-switchover-rollback`]);

    const o = parseStackOutputs(run.outputs, stack);
    expect(o.application.flags).toMatchObject({ profileType: "AWS.AppConfig.FeatureFlags", file: null, appconfig: { monitorAlarmName: `data-tier-${stack}-switchover-critical-any` } });
    expect(Object.keys(o.application.flags!.appconfig!.deploymentStrategyIds)).toEqual([...PHASES.slice(1).map((p) => p.name), "rollback"]);

    const section = await flagsReviewSection({ stack, settings: loadStackSettings(stack), run });
    expect(section.failed).toBe(false);
    expect(section.text).toContain(`every critical alarm of the stack; role ${role.state.arn}`);
  });
});

describe("dev (docker)", () => {
  it("has no AppConfig resource; the contract names the flag document's file in the stack folder", async () => {
    const run = await runProgram({ stack: "dev" });
    expect(run.resources.filter((r) => r.type.startsWith("aws:appconfig"))).toEqual([]);
    const o = parseStackOutputs(run.outputs, "dev");
    expect(o.application.flags).toEqual({ profileType: "AWS.AppConfig.FeatureFlags", file: expect.stringMatching(/\/flags\/flags\.json$/), appconfig: null });
  });
});

describe("the review section", () => {
  it("fails when the monitor misses a critical alarm or has no role", async () => {
    const run = await runProgram({ stack: "staging" });
    const composite = run.resources.find((r) => r.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm")!;
    const env = run.resources.find((r) => r.type === "aws:appconfig/environment:Environment")!;
    const first = alarmsInRule(String(composite.inputs.alarmRule))[0];
    composite.inputs.alarmRule = `ALARM("${first}")`;
    (env.inputs.monitors as { alarmRoleArn?: string }[])[0].alarmRoleArn = undefined;
    const section = await flagsReviewSection({ stack: "staging", settings: loadStackSettings("staging"), run });
    expect(section.failed).toBe(true);
    expect(section.text).toMatch(/PROBLEM: the monitor misses critical alarm\(s\) /);
    expect(section.text).toContain("role NONE");
    expect(section.text).toContain("PROBLEM: a monitor has no alarmRoleArn");
  });
});
