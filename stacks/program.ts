/**
 * The program: settings -> context -> one slice per concern -> the output contract.
 * Every setting is validated (all problems at once) before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONTRACT_VERSION, thresholdsForOutputs } from "../components/contract/outputs";
import { realizeAlarms } from "./alarms";
import { realizeApplicationAccess } from "./appaccess";
import { realizeChecks } from "./checks";
import { createContext } from "./context";
import { realizeFlags } from "./flags";
import { realizePgBouncer } from "./pgbouncer";
import { realizePostgres } from "./postgres";
import { realizeRedis } from "./redis";
import { settingsFromPulumiConfig } from "./settings";

export async function main(): Promise<Record<string, unknown>> {
  const settings = settingsFromPulumiConfig();
  const ctx = createContext(settings);

  const outputs: Record<string, unknown> = {
    contractVersion: CONTRACT_VERSION,
    environment: settings.environment,
    production: settings.production,
    platform: settings.platform,
    region: settings.region ?? null,
    thresholds: thresholdsForOutputs(ctx.thresholds),
  };
  const secrets: Record<string, pulumi.Input<string>> = {};

  // One slice per concern (stacks/<slice>.ts); each adds its part of the contract.
  const redis = realizeRedis(ctx);
  outputs.redis = redis.contract;
  const postgres = realizePostgres(ctx);
  outputs.postgres = postgres.contract;
  secrets.postgresMonitoringPassword = postgres.monitoringPassword;
  const pgbouncer = realizePgBouncer(ctx, postgres);
  outputs.pgbouncer = pgbouncer.contract;
  secrets.pgbouncerAdminPassword = pgbouncer.adminPassword;
  secrets.pgbouncerStatsPassword = pgbouncer.statsPassword;
  const alarms = realizeAlarms(ctx, { redis, postgres, pgbouncer });
  outputs.alarms = alarms.contract;
  const app = realizeApplicationAccess(ctx, { redis, postgres, pgbouncer });
  // Where applications read the switchover flags: AppConfig on aws, a file locally.
  const flags = realizeFlags(ctx, alarms);
  outputs.application = pulumi.all([app.contract, flags.contract]).apply(([a, f]) => ({ ...a, flags: f }));

  // Two secret outputs: the operator's passwords (the smoke suite's), and the application's.
  outputs.credentials = pulumi.secret(pulumi.output(secrets));
  outputs.applicationCredentials = pulumi.secret(app.credentials);

  // Last: the checks task carries the finished document (its own `checks` part added inside).
  outputs.checks = realizeChecks(ctx, pgbouncer, { ...outputs }).contract;
  return outputs;
}
