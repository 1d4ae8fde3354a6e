/**
 * The sandbox's stack outputs, in the contract's shape (components/contract/outputs.ts),
 * built from its state and validated before <dir>/outputs.json (mode 0600) is written.
 */
import { FEATURE_FLAGS_PROFILE_TYPE, localFlagFile } from "../components/flags/document";
import { applicationCredentialsFor, applicationOutputsFor } from "../components/contract/application";
import { CONTRACT_VERSION, parseStackOutputs, thresholdsForOutputs, type StackOutputs } from "../components/contract/outputs";
import { readOnlyDatabaseName, readWriteDatabaseName } from "../components/pgbouncer/render";
import { resolveThresholds } from "../components/thresholds/thresholds";
import { PGBOUNCER_NAME } from "./pgbouncer";
import { PRIMARY_NAME } from "./postgres";
import { routerStateFile, routerWanted } from "./readrouter";
import { SANDBOX_ROLES } from "./schema";
import { outputsFile, PARTS, writePrivateFile, type SandboxState } from "./state";

const ep = (p: { host: string; port: number }) => ({ host: p.host, port: p.port });

/** Outputs of a sandbox with every part; null when a part was left out (the contract needs all). */
export function buildOutputs(state: SandboxState): StackOutputs | null {
  if (!PARTS.every((p) => state.parts.includes(p))) return null;
  const s = state.settings;
  const byName = (n: string) => {
    const p = state.processes.find((x) => x.name === n);
    if (!p) throw new Error(`sandbox state has no process "${n}"`);
    return p;
  };
  const nodes = state.processes.filter((p) => p.kind === "redis");
  const master = byName(state.redis!.master);
  const pb = byName(PGBOUNCER_NAME);
  const outputs: Omit<StackOutputs, "application" | "applicationCredentials" | "checks"> = {
    contractVersion: CONTRACT_VERSION,
    environment: s.environment,
    production: s.production,
    platform: "sandbox",
    region: null,
    thresholds: thresholdsForOutputs(resolveThresholds(s.alarms.thresholds)),
    redis: {
      primary: ep(master),
      readers: nodes.filter((n) => n.name !== master.name).map(ep),
      nodes: nodes.map((n) => ({ name: n.name, ...ep(n) })),
      sentinels: state.processes.filter((p) => p.kind === "sentinel").map(ep),
      sentinelMasterName: s.redis.sentinel.masterName,
      expectedReplicas: s.redis.replicas,
      // Loopback processes: no TLS material of their own.
      tls: false,
      authRequired: true,
      aws: null,
    },
    postgres: {
      primary: ep(byName(PRIMARY_NAME)),
      replicas: (state.postgres?.replicas ?? []).map((r) => ({ id: r.id, ...ep(byName(r.name)) })),
      database: s.postgres.databaseName,
      monitoringUser: SANDBOX_ROLES.monitoring,
      tls: false,
      partitionPairs: s.postgres.partitionPairs.map((p) => ({ legacy: p.legacy, partitioned: p.partitioned, timestampColumn: p.timestampColumn })),
      partitionChecks: { windowSeconds: s.postgres.partitionChecks.windowSeconds, reconcileMaxAgeSeconds: s.postgres.partitionChecks.reconcileMaxAgeSeconds },
      aws: null,
    },
    pgbouncer: {
      endpoint: ep(pb),
      readWriteDatabase: readWriteDatabaseName(s.postgres.databaseName),
      readOnlyDatabase: readOnlyDatabaseName(s.postgres.databaseName),
      adminUser: s.pgbouncer.adminUser,
      statsUser: s.pgbouncer.statsUser,
      poolMode: s.pgbouncer.poolMode,
      maxClientConn: s.pgbouncer.maxClientConn,
      defaultPoolSize: s.pgbouncer.defaultPoolSize,
      maxWaitingClients: s.pgbouncer.maxWaitingClients,
      readRouting: routerWanted(state) ? { intervalMs: s.readRouting.intervalMs, stateFile: routerStateFile(state.dir), metricNamespace: null } : null,
      aws: null,
    },
    alarms: { customMetricNamespace: s.alarms.customMetricNamespace, warningTopicArn: null, criticalTopicArn: null, alarmNames: [] },
    credentials: {
      postgresMonitoringPassword: state.secrets.monitoring,
      pgbouncerAdminPassword: state.secrets.pgbouncerAdmin,
      pgbouncerStatsPassword: state.secrets.pgbouncerStats,
    },
  };
  const application = applicationOutputsFor({
    pgbouncer: outputs.pgbouncer,
    // The sandbox's PgBouncer listens on loopback without TLS.
    pgbouncerClientTls: false,
    users: { readWrite: SANDBOX_ROLES.app, readOnly: SANDBOX_ROLES.readonly },
    redis: outputs.redis,
    aws: null,
    // The switchover flag document, in the sandbox's folder (npm run rollout writes it).
    flags: { profileType: FEATURE_FLAGS_PROFILE_TYPE, file: localFlagFile(state.dir), appconfig: null },
  });
  const applicationCredentials = applicationCredentialsFor(application, { readWrite: state.secrets.app, readOnly: state.secrets.readonly, redis: state.secrets.redisPassword });
  // The checks run on the operator's machine here: no task to start.
  return parseStackOutputs({ ...outputs, application, applicationCredentials, checks: { aws: null } }, "the sandbox's outputs");
}

/** Writes <dir>/outputs.json (0600); returns its path, or null for a partial sandbox. */
export function writeOutputs(state: SandboxState): string | null {
  const outputs = buildOutputs(state);
  if (!outputs) return null;
  const path = outputsFile(state.dir);
  writePrivateFile(path, `${JSON.stringify(outputs, null, 2)}\n`);
  return path;
}
