/**
 * The offline review's Redis section: the topology the stack will get and the settings
 * that reach the engine (ElastiCache parameters on aws, redis.conf / sentinel.conf
 * directives elsewhere), read from the program's run under mocks. No secret is printed.
 */
import { redisOutputs } from "../../components/contract/outputs";
import type { ReviewSection, SectionBuilder } from "./section";
import { elasticacheParameterFamily, elasticacheParameters, redisNodeCount } from "../../components/redis/render";
import { REDIS_USERS, supportsAcl } from "../../components/redis/acl";

/** How clients authenticate: said in review, because the AUTH-token path gives everyone every command. */
function authLine(platform: string, r: { engine: "redis" | "valkey"; engineVersion: string }, userGroups: number): { line: string; rbac: boolean } {
  const users = Object.values(REDIS_USERS).join(", ");
  if (platform !== "aws") return { line: `auth: ACL users ${users}; default off; Sentinels require auth`, rbac: true };
  if (supportsAcl(r.engine, r.engineVersion)) return { line: `auth: ElastiCache RBAC, user group with default (off), app, monitor, operator`, rbac: userGroups === 1 };
  return { line: `auth: single AUTH token (engine ${r.engineVersion} has no ACLs): every client, the application included, has every command ElastiCache allows`, rbac: false };
}

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
    const auth = authLine("aws", r, (g.userGroupIds as unknown[] | undefined)?.length ?? 0);
    if (supportsAcl(r.engine, r.engineVersion) && !auth.rbac) problems.push("the engine has ACLs but the replication group has no RBAC user group");
    lines.push(auth.line);
    json = { replicationGroupId: g.replicationGroupId ?? null, nodes: redisNodeCount(r), automaticFailover: g.automaticFailoverEnabled ?? null, multiAz: g.multiAzEnabled ?? null, parameters: params, rbac: auth.rbac };
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
    lines.push(authLine(settings.platform, r, 0).line);
    json = { dataNodes, sentinels: sentinels.length, quorum: r.sentinel.quorum, rbac: true };
  }
  if (contract.success) {
    const c = contract.data;
    lines.push(`primary ${c.primary.host}:${c.primary.port}; readers ${c.readers.map((x) => `${x.host}:${x.port}`).join(", ") || "none"}${c.sentinels.length ? `; sentinels ${c.sentinels.map((x) => `${x.host}:${x.port}`).join(", ")}` : ""}`);
  }
  for (const p of problems) lines.push(`PROBLEM: ${p}`);
  return { title: "Redis", text: lines.join("\n"), json: { ...json, problems }, failed: problems.length > 0 };
};
