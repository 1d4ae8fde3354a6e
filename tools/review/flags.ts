/**
 * The offline review's switchover-flag section: on aws, the AppConfig environment and its
 * monitors (the composite alarm, how many critical alarms its rule covers, the role
 * AppConfig assumes), the feature-flag profile and the phases' deployment strategies;
 * locally, the file the application reads. Read from the program's run under mocks.
 */
import { flagsOutputs } from "../../components/contract/outputs";
import { alarmsInRule } from "../../policies/appconfig";
import type { ReviewSection, SectionBuilder } from "./section";

const T = {
  env: "aws:appconfig/environment:Environment",
  profile: "aws:appconfig/configurationProfile:ConfigurationProfile",
  strategy: "aws:appconfig/deploymentStrategy:DeploymentStrategy",
  composite: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
};

export const flagsReviewSection: SectionBuilder = ({ settings, run }): ReviewSection => {
  const problems: string[] = [];
  const lines: string[] = [];
  const app = (run.outputs.application ?? {}) as { flags?: unknown };
  const contract = flagsOutputs.safeParse(app.flags);
  if (!contract.success) problems.push("application.flags does not match the contract");
  const json: Record<string, unknown> = {};
  if (settings.platform === "aws") {
    const envs = run.resources.filter((r) => r.type === T.env);
    const criticalNames = run.resources.filter((r) => r.type === T.alarm && (r.inputs.tags as Record<string, string> | undefined)?.Severity === "critical").map((r) => String(r.inputs.name));
    if (settings.alarms.enabled && envs.length !== 1) problems.push(`expected one AppConfig environment, found ${envs.length}`);
    json.environments = envs.map((e) => {
      const monitors = (e.inputs.monitors ?? []) as { alarmArn?: string; alarmRoleArn?: string }[];
      lines.push(`AppConfig environment ${e.inputs.name}: ${monitors.length} monitor(s)`);
      const shown = monitors.map((m) => {
        const composite = run.resources.find((r) => r.type === T.composite && r.state.arn === m.alarmArn);
        const covered = composite ? alarmsInRule(String(composite.inputs.alarmRule)) : [];
        const missing = criticalNames.filter((n) => !covered.includes(n));
        lines.push(`  monitor ${composite ? `composite alarm ${composite.inputs.alarmName}` : m.alarmArn}: any of ${covered.length} critical alarm(s)${missing.length ? `, MISSING ${missing.join(", ")}` : ", every critical alarm of the stack"}; role ${m.alarmRoleArn ?? "NONE"}`);
        if (missing.length) problems.push(`the monitor misses critical alarm(s) ${missing.join(", ")}`);
        if (!m.alarmRoleArn) problems.push("a monitor has no alarmRoleArn: AppConfig cannot read the alarm");
        return { alarm: composite?.inputs.alarmName ?? m.alarmArn ?? null, roleArn: m.alarmRoleArn ?? null, covers: covered.length, missing };
      });
      if (monitors.length === 0) problems.push(`AppConfig environment ${e.inputs.name} has no monitor: no automatic rollback`);
      return { name: e.inputs.name, monitors: shown };
    });
    for (const p of run.resources.filter((r) => r.type === T.profile)) lines.push(`feature-flag profile ${p.inputs.name}: type ${p.inputs.type}, ${p.inputs.locationUri}`);
    const strategies = run.resources.filter((r) => r.type === T.strategy).map((r) => r.inputs);
    for (const s of strategies) lines.push(`strategy ${s.name}: ${s.growthType} ${s.growthFactor}% over ${s.deploymentDurationInMinutes} min, bake ${s.finalBakeTimeInMinutes} min`);
    json.strategies = strategies.map((s) => s.name);
  } else if (contract.success) {
    lines.push(`flag document file: ${contract.data.file} (written by npm run rollout; the same AppConfig feature-flag JSON)`);
    json.file = contract.data.file;
  }
  for (const p of problems) lines.push(`PROBLEM: ${p}`);
  return { title: "Switchover flag", text: lines.join("\n"), json: { ...json, problems }, failed: problems.length > 0 };
};
