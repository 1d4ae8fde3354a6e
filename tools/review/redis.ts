/**
 * The offline review's Redis section: the topology the stack will get and the settings
 * that reach the engine (ElastiCache parameters on aws, redis.conf / sentinel.conf
 * directives elsewhere), read from the program's run under mocks. No secret is printed.
 */
import { redisOutputs } from "../../components/contract/outputs";
import type { ReviewSection, SectionBuilder } from "./section";
import { elasticacheParameterFamily, elasticacheParameters, redisNodeCount } from "../../components/redis/render";

const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const CONTAINER = "docker:index/container:Container";

export const redisReviewSection: SectionBuilder = ({ settings, run }): ReviewSection => {
  const r = settings.redis;
  const problems: string[] = [];
  const contract = redisOutputs.safeParse(run.outputs.redis);
  if (!contract.success) problems.push(`the redis output does not match the contract: ${contract.error.issues.map((i) => i.path.join(".") || "(root)").join(", ")}`);

  const lines: string[] = [];
  let json: Record<string, unknown>;
  if (settings.platform === "aws") {
    const groups = run.resources.filter((x) => x.type === RG);
    if (groups.length !== 1) problems.push(`expected one ElastiCache replication group, found ${groups.length}`);
    const g = groups[0]?.inputs ?? {};
    const params = elasticacheParameters(r);
    lines.push(
      `ElastiCache ${r.engine} ${r.engineVersion} (${r.nodeType}), group ${g.replicationGroupId}: ${redisNodeCount(r)} node(s) = ${r.clusterMode.enabled ? `${r.clusterMode.shards} shards x ` : ""}(1 primary + ${r.replicas} replica(s))`,
      `automatic failover ${g.automaticFailoverEnabled ? "on" : "OFF"}, Multi-AZ ${g.multiAzEnabled ? "on" : "OFF"}, encryption at rest ${g.atRestEncryptionEnabled ? "on" : "OFF"}, in transit ${g.transitEncryptionEnabled ? "on" : "OFF"}, snapshots kept ${r.snapshotRetentionDays} day(s)`,
      `parameter group (${elasticacheParameterFamily(r)}): ${params.map((p) => `${p.name}=${p.value}`).join(", ")}`,
    );
    json = { replicationGroupId: g.replicationGroupId ?? null, nodes: redisNodeCount(r), automaticFailover: g.automaticFailoverEnabled ?? null, multiAz: g.multiAzEnabled ?? null, parameters: params };
  } else {
    const containers = run.resources.filter((x) => x.type === CONTAINER && String(x.inputs.command?.[0]) === "redis-server");
    const sentinels = containers.filter((c) => (c.inputs.command as string[]).includes("--sentinel"));
    const dataNodes = containers.length - sentinels.length;
    if (dataNodes !== redisNodeCount(r)) problems.push(`expected ${redisNodeCount(r)} Redis containers, found ${dataNodes}`);
    if (sentinels.length !== r.sentinel.count) problems.push(`expected ${r.sentinel.count} Sentinel containers, found ${sentinels.length}`);
    lines.push(
      `containers: 1 master + ${dataNodes - 1} replica(s), ${sentinels.length} Sentinel(s) (quorum ${r.sentinel.quorum}, down after ${r.sentinel.downAfterMs} ms, failover timeout ${r.sentinel.failoverTimeoutMs} ms)`,
      `redis.conf: maxmemory ${r.maxmemoryMb}mb ${r.maxmemoryPolicy}, RDB ${r.persistence.rdb ? "on" : "off"}, AOF ${r.persistence.aof ? "everysec" : "off"}, io-threads ${r.ioThreads}, lazy free ${r.lazyFree ? "on" : "off"}, disabled: ${r.disabledCommands.join(", ") || "none"}`,
    );
    json = { dataNodes, sentinels: sentinels.length, quorum: r.sentinel.quorum };
  }
  if (contract.success) {
    const c = contract.data;
    lines.push(`primary ${c.primary.host}:${c.primary.port}; readers ${c.readers.map((x) => `${x.host}:${x.port}`).join(", ") || "none"}${c.sentinels.length ? `; sentinels ${c.sentinels.map((x) => `${x.host}:${x.port}`).join(", ")}` : ""}`);
  }
  for (const p of problems) lines.push(`PROBLEM: ${p}`);
  return { title: "Redis", text: lines.join("\n"), json: { ...json, problems }, failed: problems.length > 0 };
};
