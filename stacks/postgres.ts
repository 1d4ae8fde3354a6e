import { PostgresCluster } from "../components/postgres";
import type { StackContext } from "./context";

/** The Postgres slice: RDS primary + read replicas on aws, containers with streaming replicas on docker. */
export function realizePostgres(ctx: StackContext): PostgresCluster {
  const s = ctx.settings;
  const placement = ctx.aws
    ? {
        aws: {
          subnetIds: s.network.privateSubnets.map((n) => n.id),
          availabilityZones: s.network.privateSubnets.map((n) => n.availabilityZone),
          securityGroupIds: [ctx.aws.network.postgresSecurityGroupId],
        },
      }
    : { docker: { networkName: ctx.docker!.network.name } };
  // The component reads its own section and three facts around it, not the whole stack.
  const settings = { postgres: s.postgres, production: s.production, platform: s.platform, logKmsKeyArn: s.alarms.kmsKeyArn };
  return new PostgresCluster(`${ctx.prefix}-postgres`, { settings, prefix: ctx.prefix, tags: ctx.tags, ...placement });
}
