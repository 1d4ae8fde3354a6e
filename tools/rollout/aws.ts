/**
 * AWS stacks: the flag is the AppConfig feature-flag profile (application.flags.appconfig in
 * the contract). Advancing creates a hosted configuration version and starts a deployment
 * with the phase's strategy; AppConfig watches the environment's monitor (any critical alarm)
 * while it deploys and bakes, and rolls back by itself. A rollback stops a deployment in
 * flight (AppConfig reverts it) and deploys both flags off with the rollback strategy.
 * The alarms' evidence comes from CloudWatch: states now and history since the phase began.
 */
import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
  type DeploymentSummary,
} from "@aws-sdk/client-appconfig";
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import type { FlagsOutputs } from "../../components/contract/outputs";
import { FlagDocumentError, flagDocumentText, parseFlagDocument } from "../../components/flags/document";
import type { FlagBackend } from "./backend";
import { RolloutInputError } from "./errors";

const IN_FLIGHT = new Set(["DEPLOYING", "BAKING", "VALIDATING"]);
const REVERTED = new Set(["ROLLED_BACK", "ROLLING_BACK", "REVERTED"]);
/** Bound on alarm-history pages read per gate (100 items each). */
const MAX_HISTORY_PAGES = 20;

export interface AwsBackendOptions {
  region: string;
  appconfig: NonNullable<FlagsOutputs["appconfig"]>;
  /** The stack's alarm names (outputs.alarms.alarmNames): "-critical" ones gate and soak, "-warning" ones hold. */
  alarmNames: string[];
  /** Injected in tests (aws-sdk-client-mock works on the classes too). */
  appConfigClient?: AppConfigClient;
  cloudWatchClient?: CloudWatchClient;
}

/** An SDK failure as the command's error: missing credentials is an input problem (exit 2), named as such. */
export function awsError(what: string, e: unknown): Error {
  const err = e as { name?: string; message?: string };
  if (err?.name === "CredentialsProviderError" || /credential/i.test(err?.message ?? "")) {
    return new RolloutInputError(`${what}: no AWS credentials (${err.name}); run with the deploy role (AWS_PROFILE, or the CI job's assumed role)`);
  }
  if (err?.name === "AccessDeniedException" || err?.name === "AccessDenied") return new RolloutInputError(`${what}: access denied (${err.message ?? err.name}); the role needs appconfig:* on the switchover application and cloudwatch:DescribeAlarms/DescribeAlarmHistory`);
  return new Error(`${what} failed: ${err?.name ?? "Error"}: ${err?.message ?? String(e)}`);
}

async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw awsError(what, e);
  }
}

export function awsBackend(o: AwsBackendOptions): FlagBackend {
  const ac = o.appConfigClient ?? new AppConfigClient({ region: o.region });
  const cw = o.cloudWatchClient ?? new CloudWatchClient({ region: o.region });
  const { applicationId: ApplicationId, environmentId: EnvironmentId, configurationProfileId: ConfigurationProfileId } = o.appconfig;

  const deployments = async (): Promise<DeploymentSummary[]> => {
    const r = await call("AppConfig ListDeployments", () => ac.send(new ListDeploymentsCommand({ ApplicationId, EnvironmentId, MaxResults: 50 })));
    return [...(r.Items ?? [])].sort((a, b) => (b.DeploymentNumber ?? 0) - (a.DeploymentNumber ?? 0));
  };

  return {
    describe: () => `AppConfig application ${ApplicationId}, environment ${EnvironmentId}, profile ${ConfigurationProfileId} (${o.region})`,
    async read() {
      const all = await deployments();
      const newest = all[0];
      const effective = all.find((d) => !REVERTED.has(d.State ?? ""));
      const rolledBack = newest && REVERTED.has(newest.State ?? "") ? `AppConfig ${newest.State === "ROLLING_BACK" ? "is rolling back" : "rolled back"} deployment ${newest.DeploymentNumber} (a monitor alarmed or it was stopped)` : undefined;
      if (!effective) return { state: { partitionedReads: 0, partitionedWrites: 0 }, detail: "no deployment yet: applications read both flags off", rolledBackByAppConfig: rolledBack };
      const v = await call("AppConfig GetHostedConfigurationVersion", () => ac.send(new GetHostedConfigurationVersionCommand({ ApplicationId, ConfigurationProfileId, VersionNumber: Number(effective.ConfigurationVersion) })));
      let state;
      try {
        state = parseFlagDocument(JSON.parse(new TextDecoder().decode(v.Content ?? new Uint8Array())), `hosted version ${effective.ConfigurationVersion}`);
      } catch (e) {
        if (e instanceof FlagDocumentError) throw new RolloutInputError(`${e.message}\n\`npm run rollout -- rollback\` deploys both flags off`);
        throw new RolloutInputError(`hosted version ${effective.ConfigurationVersion} is not JSON; \`npm run rollout -- rollback\` deploys both flags off`);
      }
      const inFlight = IN_FLIGHT.has(effective.State ?? "") ? `AppConfig deployment ${effective.DeploymentNumber} is ${effective.State} (${effective.PercentageComplete ?? 0}% of hosts)` : undefined;
      return { state, detail: `AppConfig deployment ${effective.DeploymentNumber} ${effective.State} (${effective.PercentageComplete ?? 0}% of hosts)`, rolledBackByAppConfig: rolledBack, ...(inFlight ? { inFlight } : {}) };
    },
    async write(state, phase, kind) {
      const key = kind === "rollback" ? "rollback" : phase.name;
      const DeploymentStrategyId = o.appconfig.deploymentStrategyIds[key];
      if (!DeploymentStrategyId) throw new RolloutInputError(`the outputs name no deployment strategy "${key}" (application.flags.appconfig.deploymentStrategyIds has ${Object.keys(o.appconfig.deploymentStrategyIds).join(", ")}); run pulumi up first`);
      if (kind === "rollback") {
        // One deployment at a time per environment: stop what is in flight (AppConfig reverts it) first.
        for (const d of (await deployments()).filter((x) => IN_FLIGHT.has(x.State ?? ""))) {
          await call("AppConfig StopDeployment", () => ac.send(new StopDeploymentCommand({ ApplicationId, EnvironmentId, DeploymentNumber: d.DeploymentNumber })));
        }
      }
      const v = await call("AppConfig CreateHostedConfigurationVersion", () =>
        ac.send(new CreateHostedConfigurationVersionCommand({ ApplicationId, ConfigurationProfileId, Content: new TextEncoder().encode(flagDocumentText(state)), ContentType: "application/json", Description: `${kind} to ${phase.name}` })),
      );
      const d = await call("AppConfig StartDeployment", () =>
        ac.send(new StartDeploymentCommand({ ApplicationId, EnvironmentId, ConfigurationProfileId, DeploymentStrategyId, ConfigurationVersion: String(v.VersionNumber), Description: `${kind} to ${phase.name} (npm run rollout)` })),
      );
      return `AppConfig version ${v.VersionNumber}, deployment ${d.DeploymentNumber} (${d.State}, strategy ${key})`;
    },
    async alarms(since) {
      const all = o.alarmNames;
      const names = all.filter((n) => n.endsWith("-critical"));
      const inAlarm: string[] = [];
      const warningsInAlarm: string[] = [];
      for (let i = 0; i < all.length; i += 100) {
        const r = await call("CloudWatch DescribeAlarms", () => cw.send(new DescribeAlarmsCommand({ AlarmNames: all.slice(i, i + 100), AlarmTypes: ["MetricAlarm"] })));
        for (const a of r.MetricAlarms ?? []) {
          if (a.StateValue !== "ALARM" || !a.AlarmName) continue;
          if (a.AlarmName.endsWith("-critical")) inAlarm.push(a.AlarmName);
          else warningsInAlarm.push(a.AlarmName);
        }
      }
      const alarmedSince = new Set<string>();
      if (since) {
        const wanted = new Set(names);
        let NextToken: string | undefined;
        for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
          const r = await call("CloudWatch DescribeAlarmHistory", () => cw.send(new DescribeAlarmHistoryCommand({ HistoryItemType: "StateUpdate", StartDate: since, EndDate: new Date(), MaxRecords: 100, NextToken })));
          for (const h of r.AlarmHistoryItems ?? []) if (h.AlarmName && wanted.has(h.AlarmName) && /to ALARM/.test(h.HistorySummary ?? "")) alarmedSince.add(h.AlarmName);
          NextToken = r.NextToken;
          if (!NextToken) break;
        }
      }
      return { source: "cloudwatch", available: true, inAlarm: inAlarm.sort(), warningsInAlarm: warningsInAlarm.sort(), alarmedSince: [...alarmedSince].sort() };
    },
  };
}
