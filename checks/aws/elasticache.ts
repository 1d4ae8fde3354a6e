/** ElastiCache: the replication group fails over automatically, across AZs, with every member. */
import { DescribeReplicationGroupsCommand, ElastiCacheClient, type ReplicationGroup } from "@aws-sdk/client-elasticache";
import type { StackOutputs } from "../../components/contract/outputs";
import { awsCall, clientConfig, type RetryPolicy } from "../lib/aws";
import type { Check, CheckContext } from "../types";

async function describeGroup(ctx: CheckContext, outputs: StackOutputs, id: string, retry?: RetryPolicy): Promise<ReplicationGroup> {
  const client = new ElastiCacheClient(clientConfig(outputs, ctx));
  try {
    const r = await awsCall(ctx, `ElastiCache DescribeReplicationGroups(${id})`, (abortSignal) => client.send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: id }), { abortSignal }), retry);
    const g = r.ReplicationGroups?.[0];
    if (!g) throw new Error(`replication group ${id} was not found in ${outputs.region}`);
    return g;
  } finally {
    client.destroy();
  }
}

export function elasticacheChecks(outputs: StackOutputs, retry?: RetryPolicy): Check[] {
  const aws = outputs.redis.aws;
  const id = aws?.replicationGroupId ?? "(none)";
  const expectedMembers = 1 + outputs.redis.expectedReplicas;
  const missing = async () => ({ status: "FAIL" as const, message: "outputs.redis.aws is null on platform aws: the replication group id is unknown" });
  return [
    {
      id: "elasticache.failover",
      group: "cache",
      title: `Replication group ${id}: automatic failover and Multi-AZ enabled`,
      platforms: ["aws"],
      async run(ctx) {
        if (!aws) return missing();
        const g = await describeGroup(ctx, outputs, aws.replicationGroupId, retry);
        const problems = [g.AutomaticFailover !== "enabled" && `automatic failover is ${g.AutomaticFailover ?? "unknown"}`, g.MultiAZ !== "enabled" && `Multi-AZ is ${g.MultiAZ ?? "unknown"}`].filter(Boolean);
        if (problems.length > 0) return { status: "FAIL", message: `${aws.replicationGroupId}: ${problems.join(", ")}; a primary failure would not promote a replica in another AZ` };
        return { status: "PASS", message: `${aws.replicationGroupId}: automatic failover enabled, Multi-AZ enabled` };
      },
    },
    {
      id: "elasticache.replication-group",
      group: "cache",
      title: `Replication group ${id} available with ${expectedMembers} member(s) per shard`,
      platforms: ["aws"],
      async run(ctx) {
        if (!aws) return missing();
        const g = await describeGroup(ctx, outputs, aws.replicationGroupId, retry);
        const problems: string[] = [];
        if (g.Status !== "available") problems.push(`status is ${g.Status ?? "unknown"}, not available`);
        const shards = g.NodeGroups ?? [];
        for (const s of shards) {
          const n = s.NodeGroupMembers?.length ?? 0;
          if (n !== expectedMembers) problems.push(`shard ${s.NodeGroupId ?? "?"} has ${n} member(s), expected ${expectedMembers} (1 primary + ${outputs.redis.expectedReplicas} replicas)`);
        }
        const members = g.MemberClusters?.length ?? 0;
        if (shards.length === 0 && members !== expectedMembers) problems.push(`${members} member cluster(s), expected ${expectedMembers}`);
        if (problems.length > 0) return { status: "FAIL", measured: { value: members, unit: "count" }, message: `${aws.replicationGroupId}: ${problems.join("; ")}` };
        return { status: "PASS", measured: { value: members, unit: "count" }, message: `${aws.replicationGroupId} is available with ${members} member cluster(s): ${(g.MemberClusters ?? []).join(", ")}` };
      },
    },
  ];
}
