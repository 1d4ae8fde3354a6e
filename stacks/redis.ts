import { RedisCluster } from "../components/redis";
import { replicationGroupId } from "../components/settings/rules";
import type { StackContext } from "./context";

/** The Redis slice: ElastiCache on aws, containers with Sentinel on docker. */
export function realizeRedis(ctx: StackContext): RedisCluster {
  const s = ctx.settings;
  const placement = ctx.aws
    ? { aws: { subnetIds: s.network.privateSubnets.map((n) => n.id), securityGroupIds: [ctx.aws.network.redisSecurityGroupId] } }
    : { docker: { networkName: ctx.docker!.network.name } };
  return new RedisCluster(`${ctx.prefix}-redis`, {
    settings: s.redis,
    production: s.production,
    replicationGroupId: replicationGroupId(s),
    tags: ctx.tags,
    ...placement,
  });
}
