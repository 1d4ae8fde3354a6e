import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { FlagsOutputs } from "../contract/outputs";
import { FEATURE_FLAGS_PROFILE_TYPE, flagDocumentText } from "./document";
import { PHASES, stateOf, type Phase } from "./phases";
import { anyAlarmRule, strategyProblems, strategySpecs } from "./strategies";

export * from "./document";
export * from "./phases";
export * from "./strategies";

/** Arguments of {@link SwitchoverFlags}. */
export interface SwitchoverFlagsArgs {
  /** Prefix of every name, "<project>-<environment>". */
  namePrefix: string;
  /** The AppConfig environment's name: the stack's environment. */
  environment: string;
  /** Names of the tier's critical CloudWatch alarms (DataTierAlarms.criticalAlarmNames): the composite monitor watches them. */
  criticalAlarmNames: string[];
  /** The resources the critical alarms are (a composite alarm refuses a rule naming an alarm that does not exist yet). @default [] */
  alarmsDependOn?: pulumi.Resource[];
  /** The phase table. @default PHASES */
  phases?: readonly Phase[];
  /** Tags for every taggable resource. @default {} */
  tags?: Record<string, string>;
}

/**
 * The switchover flag as infrastructure, on AWS AppConfig: an application; one environment
 * (the stack's) whose monitor is a composite alarm over every critical alarm of the tier,
 * read through a role AppConfig assumes, so AppConfig rolls a deployment back by itself when
 * one fires; a feature-flag profile (`partitionedReads`, `partitionedWrites`, each with a
 * percentage) whose first hosted version has both flags off; one deployment strategy per
 * phase and a rollback strategy. The rollout command (tools/rollout) deploys the phases.
 */
export class SwitchoverFlags extends pulumi.ComponentResource {
  /** The application contract's `flags` part. */
  public readonly contract: pulumi.Output<FlagsOutputs>;
  /** ARN of the composite alarm the environment monitors. */
  public readonly monitorAlarmArn: pulumi.Output<string>;
  /** The AppConfig environment id. */
  public readonly environmentId: pulumi.Output<string>;

  constructor(name: string, args: SwitchoverFlagsArgs, opts?: pulumi.ComponentResourceOptions) {
    const a = { alarmsDependOn: [] as pulumi.Resource[], phases: PHASES, tags: {}, ...args };
    // Everything that can be refused is refused before the component registers.
    const rule = anyAlarmRule(a.criticalAlarmNames);
    const specs = strategySpecs(a.namePrefix, a.phases);
    const problems = specs.flatMap(strategyProblems);
    if (problems.length > 0) throw new Error(`switchover flags: deployment strategies break AppConfig's limits:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    super("datatier:flags:SwitchoverFlags", name, {}, opts);
    const child = { parent: this };
    const tags = a.tags;

    const app = new aws.appconfig.Application(`${name}-app`, { name: `${a.namePrefix}-switchover`, description: "The partitioned-tables switchover flags of the data tier", tags }, child);

    const monitor = new aws.cloudwatch.CompositeAlarm(
      `${name}-critical-any`,
      {
        alarmName: `${a.namePrefix}-switchover-critical-any`,
        alarmDescription: "Any critical alarm of the data tier: the AppConfig switchover environment's monitor (a deployment rolls back when this is in ALARM). The member alarms notify on their own.",
        alarmRule: rule,
        // The member alarms already page; this one only feeds AppConfig.
        actionsEnabled: false,
        tags,
      },
      { parent: this, dependsOn: a.alarmsDependOn },
    );

    // AppConfig reads the alarm's state through a role it assumes (alarmRoleArn).
    const role = new aws.iam.Role(
      `${name}-monitor-role`,
      {
        name: `${a.namePrefix}-appconfig-monitor`,
        description: "Lets AWS AppConfig read the switchover monitor's alarm state",
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "appconfig.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        tags,
      },
      child,
    );
    new aws.iam.RolePolicy(
      `${name}-monitor-read`,
      {
        role: role.id,
        // DescribeAlarms takes no resource-level condition on the names it returns.
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["cloudwatch:DescribeAlarms"], Resource: "*" }] }),
      },
      child,
    );

    const env = new aws.appconfig.Environment(
      `${name}-env`,
      { applicationId: app.id, name: a.environment, description: `The ${a.environment} stack's applications`, monitors: [{ alarmArn: monitor.arn, alarmRoleArn: role.arn }], tags },
      child,
    );

    const profile = new aws.appconfig.ConfigurationProfile(
      `${name}-profile`,
      { applicationId: app.id, name: "switchover", description: "partitionedReads / partitionedWrites with their percentage", locationUri: "hosted", type: FEATURE_FLAGS_PROFILE_TYPE, tags },
      child,
    );

    // The first version: both flags off. The rollout adds versions; this one never changes.
    new aws.appconfig.HostedConfigurationVersion(
      `${name}-off`,
      { applicationId: app.id, configurationProfileId: profile.configurationProfileId, contentType: "application/json", content: flagDocumentText(stateOf(a.phases[0])), description: "both flags off" },
      child,
    );

    const strategyIds: Record<string, pulumi.Output<string>> = {};
    for (const s of specs) {
      const strategy = new aws.appconfig.DeploymentStrategy(
        `${name}-strategy-${s.key}`,
        {
          name: s.name,
          description: s.description,
          deploymentDurationInMinutes: s.deploymentDurationInMinutes,
          growthFactor: s.growthFactor,
          growthType: s.growthType,
          finalBakeTimeInMinutes: s.finalBakeTimeInMinutes,
          replicateTo: s.replicateTo,
          tags,
        },
        child,
      );
      strategyIds[s.key] = strategy.id;
    }

    this.monitorAlarmArn = monitor.arn;
    this.environmentId = env.environmentId;
    this.contract = pulumi.all([app.id, env.environmentId, profile.configurationProfileId, pulumi.all(strategyIds), monitor.alarmName]).apply(([applicationId, environmentId, configurationProfileId, deploymentStrategyIds, monitorAlarmName]): FlagsOutputs => ({
      profileType: FEATURE_FLAGS_PROFILE_TYPE,
      file: null,
      appconfig: { applicationId, environmentId, configurationProfileId, deploymentStrategyIds, monitorAlarmName },
    }));
    this.registerOutputs({ contract: this.contract, monitorAlarmArn: this.monitorAlarmArn, environmentId: this.environmentId });
  }
}
