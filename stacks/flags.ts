import * as pulumi from "@pulumi/pulumi";
import type { FlagsOutputs } from "../components/contract/outputs";
import { FEATURE_FLAGS_PROFILE_TYPE, localFlagFile, SwitchoverFlags } from "../components/flags";
import { DIR_CONFIG_KEY, DIR_CONFIG_NAMESPACE, stackDir } from "../devstack/dir";
import type { RealizedAlarms } from "./alarms";
import type { StackContext } from "./context";

/**
 * The switchover flags slice: AWS AppConfig (application, the stack's environment monitored by
 * the critical alarms, the feature-flag profile, a strategy per phase) on aws; elsewhere the
 * same document in a file the application reads, written by `npm run rollout`.
 */
export function realizeFlags(ctx: StackContext, alarms: RealizedAlarms): { contract: pulumi.Output<FlagsOutputs>; flags?: SwitchoverFlags } {
  const s = ctx.settings;
  if (!ctx.aws) {
    const dir = stackDir(pulumi.getStack(), new pulumi.Config(DIR_CONFIG_NAMESPACE).get(DIR_CONFIG_KEY));
    return { contract: pulumi.output({ profileType: FEATURE_FLAGS_PROFILE_TYPE, file: localFlagFile(dir), appconfig: null }) };
  }
  // No alarms, nothing to monitor: no AppConfig flag (the policy pack refuses that in production).
  if (!alarms.alarms) return { contract: pulumi.output({ profileType: FEATURE_FLAGS_PROFILE_TYPE, file: null, appconfig: null }) };
  const flags = new SwitchoverFlags(`${ctx.prefix}-flags`, {
    namePrefix: ctx.prefix,
    environment: s.environment,
    criticalAlarmNames: alarms.alarms.criticalAlarmNames,
    alarmsDependOn: [alarms.alarms],
    tags: ctx.tags,
  });
  return { contract: flags.contract, flags };
}
