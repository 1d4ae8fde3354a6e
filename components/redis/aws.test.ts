/** The prod stack's Redis, resource by resource, under Pulumi mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, within, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { redisOutputs } from "../contract/outputs";
import { replicationGroupId } from "../settings/rules";
import { loadStackSettings } from "../settings/stackFile";
import { elasticacheAccessStrings, REDIS_USERS } from "./acl";
import { elasticacheParameters } from "./render";
import { redisNodeCount } from "./index";

const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const settings = loadStackSettings("prod");
const USER = "aws:elasticache/user:User";
const USER_GROUP = "aws:elasticache/userGroup:UserGroup";
const SECRET = "aws:secretsmanager/secret:Secret";
const TAGGABLE = ["aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/subnetGroup:SubnetGroup", "aws:elasticache/parameterGroup:ParameterGroup", SECRET, "aws:cloudwatch/logGroup:LogGroup", USER, USER_GROUP];
const ROLES = ["application", "monitoring", "operator"] as const;

/** Resources whose parent is the RedisCluster component. */
function redisChildren(run: ProgramRun): RecordedResource[] {
  const component = single(run, "datatier:redis:RedisCluster");
  return run.resources.filter((r) => r.parent === component.urn);
}

/** A role's password, by the RandomPassword it comes from (the application's keeps the old name). */
function passwordOf(run: ProgramRun, role: string = "application"): string {
  const suffix = role === "application" ? "-redis-password" : `-${role}-password`;
  const pw = ofType(run, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith(suffix))!.state.result;
  expect(typeof pw === "string" && pw.length >= 16).toBe(true);
  return pw;
}

describe("prod: ElastiCache replication group", () => {
  let run: ProgramRun & { all?: ProgramRun["resources"] };
  let group: RecordedResource;
  beforeAll(async () => {
    run = within(await runProgram({ stack: "prod" }), "datatier:redis:RedisCluster");
    group = single(run, RG);
  });

  it("has automatic failover, Multi-AZ and 1 + replicas nodes", () => {
    const g = group.inputs;
    expect(g.replicationGroupId).toBe(replicationGroupId(settings));
    expect(g.automaticFailoverEnabled).toBe(true);
    expect(g.multiAzEnabled).toBe(true);
    expect(g.clusterMode).toBe("disabled");
    expect(g.numNodeGroups).toBe(1);
    expect(g.replicasPerNodeGroup).toBe(settings.redis.replicas);
    expect(group.state.memberClusters).toHaveLength(1 + settings.redis.replicas);
    expect(redisNodeCount(settings.redis)).toBe(3);
    expect(g.engine).toBe(settings.redis.engine);
    expect(g.engineVersion).toBe(settings.redis.engineVersion);
    expect(g.nodeType).toBe("cache.r7g.xlarge");
  });

  it("encrypts at rest and in transit, and uses RBAC (a user group) instead of one AUTH token", () => {
    expect(group.inputs.atRestEncryptionEnabled).toBe(true);
    expect(group.inputs.transitEncryptionEnabled).toBe(true);
    expect(group.inputs.authToken).toBeUndefined();
    const ug = single(run, USER_GROUP);
    expect(group.inputs.userGroupIds).toEqual([ug.inputs.userGroupId]);
    expect(ug.inputs.engine).toBe("redis");
    const users = ofType(run, USER);
    expect(ug.inputs.userIds.sort()).toEqual(users.map((u) => u.inputs.userId).sort());
    // ElastiCache requires a user named default in every group: ours is off.
    const byName = Object.fromEntries(users.map((u) => [u.inputs.userName, u.inputs]));
    expect(Object.keys(byName).sort()).toEqual(["app", "default", "monitor", "operator"]);
    expect(byName.default.accessString).toBe("off -@all");
    const access = elasticacheAccessStrings(settings.redis.engine, settings.redis.engineVersion);
    for (const role of ROLES) {
      const u = byName[REDIS_USERS[role]];
      expect(u.accessString, role).toBe(access[role]);
      expect(u.passwords, role).toEqual([passwordOf(run, role)]);
      expect(u.userId, role).toMatch(/^[a-z][a-z0-9-]*$/);
    }
    // What ElastiCache refuses in an access string: a password, reset, or a command it restricts by name.
    for (const a of Object.values(access)) {
      expect(a).toMatch(/^(on|off) /);
      expect(a).not.toMatch(/[>#<]|\breset|\b[+-](config|monitor|shutdown|replicaof|slaveof|debug|save|bgsave|sync|psync|migrate|bgrewriteaof)\b/i);
    }
    expect(access.application).toContain("-@admin -@dangerous");
    // Letters and digits only: a subset of what ElastiCache accepts in a user password.
    for (const r of ofType(run, "random:index/randomPassword:RandomPassword")) expect(r.inputs).toMatchObject({ length: 64, special: false });
  });

  it("keeps each user's credentials in its own Secrets Manager secret ({username, password}) and nowhere plain", () => {
    const versions = ofType(run, "aws:secretsmanager/secretVersion:SecretVersion");
    expect(versions).toHaveLength(ROLES.length);
    for (const role of ROLES) {
      const pw = passwordOf(run, role);
      const v = versions.find((x) => x.name.endsWith(`-${role}-user`))!;
      expect(v.secretInputs).toContain("secretString");
      expect(JSON.parse(v.inputs.secretString)).toEqual({ username: REDIS_USERS[role], password: pw });
      // Only secret inputs may carry it.
      for (const r of run.resources) {
        for (const [k, val] of Object.entries(r.inputs)) {
          if (r.secretInputs.includes(k)) continue;
          expect(JSON.stringify(val) ?? "", `${r.type} ${r.name}.${k}`).not.toContain(pw);
        }
      }
      const plain = Object.fromEntries(Object.entries(run.outputs).filter(([k]) => !run.secretOutputs.includes(k)));
      expect(JSON.stringify(plain)).not.toContain(pw);
    }
    expect(run.secretOutputs).toContain("applicationCredentials");
    expect(run.outputs.applicationCredentials.redisPassword).toBe(passwordOf(run, "application"));
    expect(run.outputs.credentials).toMatchObject({ redisMonitoringPassword: passwordOf(run, "monitoring"), redisOperatorPassword: passwordOf(run, "operator") });
    expect(JSON.stringify(run.outputs.credentials)).not.toContain(passwordOf(run, "application"));
  });

  it("lives in the 3 private subnets behind the data tier's Redis security group", () => {
    const subnets = single(run, "aws:elasticache/subnetGroup:SubnetGroup");
    expect(subnets.inputs.subnetIds).toEqual(settings.network.privateSubnets.map((s) => s.id));
    expect(subnets.inputs.subnetIds).toHaveLength(3);
    expect(group.inputs.subnetGroupName).toBe(subnets.state.name);
    const redisSg = ofType({ ...run, resources: run.all! }, "aws:ec2/securityGroup:SecurityGroup").find((r) => r.name === "data-tier-prod-redis")!;
    expect(group.inputs.securityGroupIds).toEqual([`${redisSg.name}-id`]);
    // The group admits exactly the app and admin groups, and the in-VPC checks task's group, on the Redis port.
    const checksSg = ofType({ ...run, resources: run.all! }, "aws:ec2/securityGroup:SecurityGroup").find((r) => r.name === "data-tier-prod-checks-sg")!;
    const admitted = ofType({ ...run, resources: run.all! }, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.inputs.securityGroupId === `${redisSg.name}-id`);
    expect(admitted.map((r) => r.inputs.referencedSecurityGroupId).sort()).toEqual([...settings.network.appSecurityGroupIds, ...settings.network.adminSecurityGroupIds, `${checksSg.name}-id`].sort());
    expect(admitted.every((r) => r.inputs.fromPort === settings.redis.port && !r.inputs.cidrIpv4)).toBe(true);
  });

  it("applies a parameter group built from the settings", () => {
    const pg = single(run, "aws:elasticache/parameterGroup:ParameterGroup");
    expect(pg.inputs.family).toBe("redis7");
    expect(pg.inputs.parameters).toEqual(elasticacheParameters(settings.redis));
    expect(pg.inputs.parameters).toContainEqual({ name: "maxmemory-policy", value: "allkeys-lru" });
    expect(group.inputs.parameterGroupName).toBe(pg.state.name);
  });

  it("delivers slow and engine logs to CloudWatch with the settings' retention", () => {
    const groups = ofType(run, "aws:cloudwatch/logGroup:LogGroup").filter((r) => r.name.startsWith("data-tier-prod-redis-"));
    expect(groups.map((g) => g.inputs.name).sort()).toEqual(["/aws/elasticache/data-tier-prod-redis/engine-log", "/aws/elasticache/data-tier-prod-redis/slow-log"]);
    expect(groups.every((g) => g.inputs.retentionInDays === settings.redis.logRetentionDays)).toBe(true);
    const delivery = group.inputs.logDeliveryConfigurations as Record<string, string>[];
    expect(delivery.map((d) => d.logType).sort()).toEqual(["engine-log", "slow-log"]);
    for (const d of delivery) {
      expect(d).toMatchObject({ destinationType: "cloudwatch-logs", logFormat: "json", destination: `/aws/elasticache/data-tier-prod-redis/${d.logType}` });
    }
  });

  it("snapshots, maintains and protects like production", () => {
    expect(group.inputs).toMatchObject({
      snapshotRetentionLimit: settings.redis.snapshotRetentionDays,
      snapshotWindow: settings.redis.snapshotWindow,
      maintenanceWindow: settings.redis.maintenanceWindow,
      finalSnapshotIdentifier: "data-tier-prod-redis-final",
    });
    expect(settings.redis.snapshotRetentionDays).toBe(7);
    for (const type of [RG, "aws:elasticache/parameterGroup:ParameterGroup", SECRET]) {
      for (const r of ofType(run, type)) expect(r.protect, `${type} ${r.name}`).toBe(true);
    }
  });

  it("tags every taggable resource and parents every child to the component", () => {
    const children = redisChildren(run);
    const times = (n: number, t: string) => Array.from({ length: n }, () => t);
    expect(children.map((r) => r.type).sort()).toEqual(
      [
        RG,
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:elasticache/parameterGroup:ParameterGroup",
        ...times(2, "aws:cloudwatch/logGroup:LogGroup"),
        ...times(3, SECRET),
        ...times(3, "aws:secretsmanager/secretVersion:SecretVersion"),
        ...times(4, USER),
        USER_GROUP,
        // One per ACL role (5) and the default user's.
        ...times(6, "random:index/randomPassword:RandomPassword"),
      ].sort(),
    );
    for (const r of children.filter((c) => TAGGABLE.includes(c.type))) {
      expect(r.inputs.tags, r.name).toMatchObject({ Project: "data-tier", Environment: "prod", ManagedBy: "pulumi", Owner: "platform-data", CostCenter: "cc-1234" });
    }
  });

  it("exports a contract that parses and holds no secret", () => {
    const c = redisOutputs.parse(run.outputs.redis);
    expect(c.primary).toEqual({ host: group.state.primaryEndpointAddress, port: 6379 });
    expect(c.readers).toEqual([{ host: group.state.readerEndpointAddress, port: 6379 }]);
    expect(c.nodes.map((n) => n.name)).toEqual(group.state.memberClusters);
    expect(c.sentinels).toEqual([]);
    expect(c).toMatchObject({ expectedReplicas: 2, tls: true, authRequired: true, sentinelMasterName: null });
    const arnOf = (role: string) => ofType(run, SECRET).find((x) => x.name.endsWith(`-${role}-user`))!.state.arn;
    expect(c.aws).toEqual({
      replicationGroupId: "data-tier-prod-redis",
      authTokenSecretArn: null,
      userGroupId: single(run, USER_GROUP).inputs.userGroupId,
      userSecretArns: { application: arnOf("application"), monitoring: arnOf("monitoring"), operator: arnOf("operator") },
    });
    expect(c.users).toEqual({ application: "app", monitoring: "monitor", operator: "operator" });
    expect(run.secretOutputs).not.toContain("redis");
  });
});

describe("aws overrides", () => {
  it("follows the replica count", async () => {
    const run = within(await runProgram({ stack: "prod", overrides: { redis: { replicas: 4 } } }), "datatier:redis:RedisCluster");
    const g = single(run, RG);
    expect(g.inputs.replicasPerNodeGroup).toBe(4);
    expect(redisOutputs.parse(run.outputs.redis).nodes).toHaveLength(5);
  });

  it("runs cluster mode with shards and the configuration endpoint", async () => {
    const run = within(await runProgram({ stack: "prod", overrides: { redis: { clusterMode: { enabled: true, shards: 3 } } } }), "datatier:redis:RedisCluster");
    const g = single(run, RG);
    expect(g.inputs).toMatchObject({ clusterMode: "enabled", numNodeGroups: 3, replicasPerNodeGroup: 2 });
    expect(single(run, "aws:elasticache/parameterGroup:ParameterGroup").inputs.parameters).toContainEqual({ name: "cluster-enabled", value: "yes" });
    const c = redisOutputs.parse(run.outputs.redis);
    expect(c.primary.host).toBe(g.state.configurationEndpointAddress);
    expect(c.readers).toEqual([]);
    expect(c.nodes).toHaveLength(9);
  });

  it("does not protect or keep a final snapshot outside production", async () => {
    const run = within(await runProgram({ stack: "prod", overrides: { production: false, environment: "staging", postgres: { maxConnections: 1000 } } }), "datatier:redis:RedisCluster");
    const g = single(run, RG);
    expect(g.inputs.replicationGroupId).toBe("data-tier-staging-redis");
    expect(g.inputs.finalSnapshotIdentifier).toBeUndefined();
    for (const type of [RG, "aws:elasticache/parameterGroup:ParameterGroup", SECRET]) {
      for (const r of ofType(run, type)) expect(r.protect, `${type} ${r.name}`).toBe(false);
    }
  });

  it("passes a customer KMS key to the group and the secret", async () => {
    const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const run = within(await runProgram({ stack: "prod", overrides: { redis: { kmsKeyArn: key } } }), "datatier:redis:RedisCluster");
    expect(single(run, RG).inputs.kmsKeyId).toBe(key);
    for (const r of ofType(run, SECRET)) expect(r.inputs.kmsKeyId, r.name).toBe(key);
  });

  it("keeps the single AUTH token only where RBAC cannot apply (Redis before 6.0), and says so in the contract", async () => {
    const run = within(await runProgram({ stack: "prod", overrides: { redis: { engineVersion: "5.0.6" } } }), "datatier:redis:RedisCluster");
    const g = single(run, RG);
    const token = passwordOf(run, "application");
    expect(g.inputs.authToken).toBe(token);
    expect(g.inputs.userGroupIds).toBeUndefined();
    expect(ofType(run, USER)).toEqual([]);
    const c = redisOutputs.parse(run.outputs.redis);
    expect(c.users).toBeNull();
    expect(c.aws).toMatchObject({ authTokenSecretArn: single(run, SECRET).state.arn, userGroupId: null, userSecretArns: null });
    expect(single(run, "aws:secretsmanager/secretVersion:SecretVersion").inputs.secretString).toBe(token);
    // Everyone has the token: the smoke suite's and the operator's logins are it.
    expect(run.outputs.credentials).toMatchObject({ redisMonitoringPassword: token, redisOperatorPassword: token });
    expect(run.outputs.application.redis.user).toBeNull();
  });
});
