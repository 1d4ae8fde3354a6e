/**
 * In production, the switchover flag rolls itself back: the stack has an AWS AppConfig
 * environment (components/flags), each environment has monitors, each monitor names a role
 * AppConfig can assume to read the alarm (alarmRoleArn), and every critical CloudWatch alarm
 * of the stack is watched, directly or through a monitored composite alarm's rule.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { TYPES, configOf, productionSchema } from "./common";

export const APPCONFIG_TYPES = {
  environment: "aws:appconfig/environment:Environment",
  compositeAlarm: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
} as const;

interface Monitor {
  alarmArn?: string;
  alarmRoleArn?: string;
}

/** Alarm names an alarm rule refers to: ALARM("name"), ALARM(name) or an alarm ARN. */
export function alarmsInRule(rule: string): string[] {
  return [...rule.matchAll(/ALARM\(\s*"?([^")]+?)"?\s*\)/g)].map((m) => m[1].split(":alarm:").pop()!.trim());
}

const alarmName = (r: PolicyResource) => String(r.props.name ?? r.props.alarmName ?? r.name);

/** The alarm a monitor's ARN points at: by ARN, or by the name the ARN ends with. */
function alarmOf(arn: string, alarms: PolicyResource[]): PolicyResource | undefined {
  return alarms.find((a) => a.props.arn === arn) ?? alarms.find((a) => arn.endsWith(`:alarm:${alarmName(a)}`));
}

const schema = productionSchema();

export const appconfigMonitorsInProd: StackValidationPolicy = {
  name: "appconfig-monitors-in-prod",
  description: "In production, the switchover flag's AppConfig environment has monitors with an alarmRoleArn, covering every critical alarm, so AppConfig rolls a deployment back by itself.",
  severity: "high",
  configSchema: schema,
  validateStack: (args, reportViolation) => {
    const config = configOf<{ production: boolean }>(schema, args);
    if (!config.production) args.notApplicable("production rule: the stack's policy config does not set production: true");
    const envs = args.resources.filter((r) => r.type === APPCONFIG_TYPES.environment);
    const alarms = args.resources.filter((r) => r.type === TYPES.metricAlarm || r.type === APPCONFIG_TYPES.compositeAlarm);
    if (envs.length === 0) {
      if (args.resources.some((r) => r.type === TYPES.rdsInstance)) {
        reportViolation("Set up the switchover flag's AppConfig environment with monitors (components/flags; the program creates it on platform aws): without it a rollout in production has no automatic rollback.");
      }
      return;
    }
    const critical = args.resources.filter((r) => r.type === TYPES.metricAlarm && (r.props.tags as Record<string, string> | undefined)?.Severity === "critical");
    for (const env of envs) {
      const monitors = (Array.isArray(env.props.monitors) ? env.props.monitors : []) as Monitor[];
      if (monitors.length === 0) {
        reportViolation(`Set monitors on AppConfig environment ${env.name} to the tier's critical alarms (one composite alarm over them) with an alarmRoleArn, so a deployment rolls back when one fires.`, env.urn);
        continue;
      }
      monitors.forEach((m, i) => {
        if (!m.alarmRoleArn) reportViolation(`Set alarmRoleArn on monitor ${i + 1} of AppConfig environment ${env.name}: AppConfig reads a CloudWatch alarm only through a role it can assume.`, env.urn);
      });
      const watched = new Set<string>();
      for (const m of monitors) {
        const a = m.alarmArn ? alarmOf(m.alarmArn, alarms) : undefined;
        if (!a) continue;
        watched.add(alarmName(a));
        if (a.type === APPCONFIG_TYPES.compositeAlarm) for (const n of alarmsInRule(String(a.props.alarmRule ?? ""))) watched.add(n);
      }
      for (const c of critical) {
        if (!watched.has(alarmName(c))) reportViolation(`Set the monitors of AppConfig environment ${env.name} to cover critical alarm ${alarmName(c)} (directly or in the monitored composite alarm's rule).`, env.urn);
      }
    }
  },
};

export const APPCONFIG_POLICIES = [appconfigMonitorsInProd];
