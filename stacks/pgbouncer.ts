import * as pulumi from "@pulumi/pulumi";
import { PgBouncer } from "../components/pgbouncer";
import type { PostgresCluster } from "../components/postgres";
import { DIR_CONFIG_KEY, DIR_CONFIG_NAMESPACE, readRouterStateDir, stackDir } from "../devstack/dir";
import type { StackContext } from "./context";

/** Docker: each server's in-network "host:port" (as the pools name it) -> its published endpoint on the host. */
function serverNatMap(postgres: PostgresCluster): pulumi.Output<Record<string, { host: string; port: number }>> {
  return pulumi.all([postgres.primaryAddress, pulumi.all(postgres.replicaAddresses), postgres.port, postgres.contract]).apply(([primary, replicas, port, c]) => ({
    [`${primary}:${port}`]: c.primary,
    ...Object.fromEntries(replicas.map((host, i) => [`${host}:${port}`, { host: c.replicas[i].host, port: c.replicas[i].port }])),
  }));
}

/**
 * The PgBouncer slice: Fargate tasks behind an internal NLB on aws, a container on
 * docker, pooling the application, read-only and monitoring roles of the Postgres slice.
 */
export function realizePgBouncer(ctx: StackContext, postgres: PostgresCluster): PgBouncer {
  const s = ctx.settings;
  const placement = ctx.aws
    ? {
        aws: {
          region: s.region!,
          vpcId: s.network.vpcId!,
          subnetIds: s.network.privateSubnets.map((n) => n.id),
          securityGroupId: ctx.aws.network.pgbouncerSecurityGroupId,
        },
      }
    : { docker: { networkName: ctx.docker!.network.name, containerName: `${ctx.prefix}-pgbouncer` } };
  return new PgBouncer(`${ctx.prefix}-pgbouncer`, {
    settings: s.pgbouncer,
    production: s.production,
    primaryHost: postgres.primaryAddress,
    replicaHosts: postgres.replicaAddresses,
    port: postgres.port,
    database: postgres.databaseName,
    users: [
      // Each role on its pool only (PgBouncer's hba); monitoring on both for the smoke suite.
      // Docker: each pool logs in to Postgres with the role's server password, which applications never get (issue 20).
      { name: postgres.appUser, password: postgres.appPassword, pools: "read-write", ...(postgres.appServerPassword ? { serverPassword: postgres.appServerPassword } : {}) },
      { name: postgres.readonlyUser, password: postgres.readonlyPassword, pools: "read-only", ...(postgres.readonlyServerPassword ? { serverPassword: postgres.readonlyServerPassword } : {}) },
      { name: postgres.monitoringUser, password: postgres.monitoringPassword, pools: "both" },
    ],
    tags: ctx.tags,
    // The read router (AWS sidecar, docker container) when enabled and there are replicas to route between.
    ...(s.readRouting.enabled && s.postgres.replicas > 0
      ? {
          readRouting: {
            settings: s.readRouting,
            monitoring: { name: postgres.monitoringUser, password: postgres.monitoringPassword },
            lag: { warning: ctx.thresholds.replicaLag.warning, critical: ctx.thresholds.replicaLag.critical },
            tls: postgres.tls,
            metricNamespace: s.alarms.customMetricNamespace,
            environment: s.environment,
            ...(ctx.docker ? { stateDir: readRouterStateDir(stackDir(pulumi.getStack(), new pulumi.Config(DIR_CONFIG_NAMESPACE).get(DIR_CONFIG_KEY))), startAfter: postgres.replicaContainers, natMap: serverNatMap(postgres) } : {}),
          },
        }
      : {}),
    ...placement,
  });
}
