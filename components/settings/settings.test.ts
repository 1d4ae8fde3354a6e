import { describe, expect, it } from "vitest";
import { deepMerge } from "./defaults";
import { parseSettings } from "./load";
import { readStackFile, loadStackSettings } from "./stackFile";
import { problems } from "./testkit";

describe("committed stack files", () => {
  it("dev validates with non-production defaults on docker", () => {
    const s = loadStackSettings("dev");
    expect(s).toMatchObject({ environment: "dev", production: false, platform: "docker" });
    expect(s.redis).toMatchObject({ replicas: 2, maxmemoryPolicy: "allkeys-lru", transitEncryption: false });
    expect(s.pgbouncer).toMatchObject({ poolMode: "transaction", maxClientConn: 1000, defaultPoolSize: 100 });
  });

  it("prod validates with the production profile on aws", () => {
    const s = loadStackSettings("prod");
    expect(s).toMatchObject({ environment: "prod", production: true, platform: "aws", region: "us-east-1" });
    expect(s.redis).toMatchObject({ multiAz: true, automaticFailover: true, transitEncryption: true, atRestEncryption: true });
    expect(s.postgres).toMatchObject({ multiAz: true, deletionProtection: true, backupRetentionDays: 14, replicas: 2 });
    expect(s.alarms.thresholds.replicaLag).toEqual({ warning: 10, critical: 30 });
  });
});

/** One bad value per case: the message must name the key path and the reason. */
const BAD: { name: string; stack: "dev" | "prod"; over: Record<string, unknown>; key: string; reason: RegExp; awsRegion?: null }[] = [
  { name: "unknown platform", stack: "dev", over: { platform: "gcp" }, key: "data-tier:platform", reason: /expected "aws" or "docker"/ },
  { name: "zero Redis replicas in prod", stack: "prod", over: { redis: { replicas: 0, automaticFailover: false, multiAz: false } }, key: "data-tier:redis.replicas", reason: /production needs at least one Redis replica/ },
  { name: "Redis Multi-AZ off in prod", stack: "prod", over: { redis: { multiAz: false } }, key: "data-tier:redis.multiAz", reason: /production needs Redis Multi-AZ/ },
  { name: "automatic failover off in prod", stack: "prod", over: { redis: { automaticFailover: false } }, key: "data-tier:redis.automaticFailover", reason: /production needs Redis automatic failover/ },
  { name: "replication group id over 40 characters", stack: "prod", over: { redis: { replicationGroupId: "a".repeat(41) } }, key: "data-tier:redis.replicationGroupId", reason: /41 characters; .* at most 40/ },
  { name: "replication group id with capitals and underscores", stack: "prod", over: { redis: { replicationGroupId: "Data_Tier" } }, key: "data-tier:redis.replicationGroupId", reason: /only letters, digits and hyphens/ },
  { name: "derived replication group id with a double hyphen", stack: "dev", over: { environment: "qa--blue" }, key: "data-tier:redis.replicationGroupId", reason: /derived from project and environment; set redis.replicationGroupId/ },
  { name: "Multi-AZ with subnets in one zone", stack: "prod", over: { network: { privateSubnets: [{ id: "subnet-0a11111111111111a", availabilityZone: "us-east-1a" }, { id: "subnet-0b22222222222222b", availabilityZone: "us-east-1a" }] } }, key: "data-tier:network.privateSubnets", reason: /at least two availability zones; got us-east-1a/ },
  { name: "replica-lag levels inverted", stack: "dev", over: { alarms: { thresholds: { replicaLag: { warning: 30, critical: 10 } } } }, key: "data-tier:alarms.thresholds.replicaLag", reason: /not ordered: .* critical must be greater than warning/ },
  { name: "hit-rate levels inverted (lower is worse)", stack: "dev", over: { alarms: { thresholds: { cacheHitRate: { warning: 50, critical: 70 } } } }, key: "data-tier:alarms.thresholds.cacheHitRate", reason: /critical must be lower than warning/ },
  { name: "more replicas to write to than replicas", stack: "dev", over: { redis: { minReplicasToWrite: 3 } }, key: "data-tier:redis.minReplicasToWrite", reason: /is 3, more than the 2 replica\(s\): the master would refuse every write/ },
  { name: "typo in a Redis key", stack: "dev", over: { redis: { replica: 2 } }, key: "data-tier:redis", reason: /unknown setting "replica"/ },
  { name: "unknown top-level key", stack: "dev", over: { redsi: { replicas: 1 } }, key: "data-tier:redsi", reason: /unknown setting; expected one of/ },
  { name: "wrong type", stack: "dev", over: { redis: { replicas: "two" } }, key: "data-tier:redis.replicas", reason: /expected int|expected number/ },
  { name: "wrong type is not called missing", stack: "dev", over: { postgres: { replicas: "one" } }, key: "data-tier:postgres.replicas", reason: /^expected number, got a string$/ },
  { name: "a list where a mapping goes", stack: "dev", over: { redis: { sentinel: [3] } }, key: "data-tier:redis.sentinel", reason: /^expected object, got a list$/ },
  { name: "unknown instance class pattern", stack: "prod", over: { postgres: { instanceClass: "db.q9.huge" } }, key: "data-tier:postgres.instanceClass", reason: /expected an RDS instance class/ },
  { name: "backup retention below the prod minimum", stack: "prod", over: { postgres: { backupRetentionDays: 3 } }, key: "data-tier:postgres.backupRetentionDays", reason: /at least 7 days/ },
  { name: "zero Postgres replicas in prod", stack: "prod", over: { postgres: { replicas: 0 } }, key: "data-tier:postgres.replicas", reason: /at least one PostgreSQL read replica/ },
  { name: "pool larger than the database can take", stack: "dev", over: { pgbouncer: { defaultPoolSize: 300 } }, key: "data-tier:pgbouncer.defaultPoolSize", reason: /pool too large .* exceeds postgres.maxConnections 250/ },
  { name: "prod pool across tasks larger than the database", stack: "prod", over: { pgbouncer: { maxCount: 10 } }, key: "data-tier:pgbouncer.defaultPoolSize", reason: /10 tasks x \(defaultPoolSize 100 \+ reservePoolSize 5\)/ },
  { name: "one PgBouncer task in prod", stack: "prod", over: { pgbouncer: { minCount: 1 } }, key: "data-tier:pgbouncer.minCount", reason: /at least two PgBouncer tasks/ },
  { name: "snapshot window not a window", stack: "prod", over: { redis: { snapshotWindow: "3am" } }, key: "data-tier:redis.snapshotWindow", reason: /hh:mm-hh:mm/ },
  { name: "missing Owner tag", stack: "dev", over: { tags: { Owner: "" } }, key: "data-tier:tags.Owner", reason: /names an Owner tag/ },
  { name: "aws without region", stack: "prod", over: {}, awsRegion: null, key: "aws:region", reason: /needs aws:region/ },
  { name: "malformed subnet id", stack: "prod", over: { network: { privateSubnets: [{ id: "subnet-XYZ", availabilityZone: "us-east-1a" }] } }, key: "data-tier:network.privateSubnets[0].id", reason: /expected a subnet id/ },
  { name: "disabling a command Sentinel needs", stack: "dev", over: { redis: { disabledCommands: ["FLUSHALL", "CONFIG"] } }, key: "data-tier:redis.disabledCommands", reason: /CONFIG cannot be disabled: Sentinel/ },
  { name: "quorum above the Sentinel count", stack: "dev", over: { redis: { sentinel: { quorum: 4 } } }, key: "data-tier:redis.sentinel.quorum", reason: /more than the 3 Sentinels/ },
  { name: "bad notification e-mail", stack: "prod", over: { alarms: { notifications: { warningEmails: ["not-an-email"] } } }, key: "data-tier:alarms.notifications.warningEmails[0]", reason: /expected an e-mail address/ },
  { name: "datapoints above evaluation periods", stack: "dev", over: { alarms: { datapointsToAlarm: 9 } }, key: "data-tier:alarms.datapointsToAlarm", reason: /more than evaluationPeriods \(5\)/ },
  { name: "subnet outside the region", stack: "prod", over: { network: { privateSubnets: [{ id: "subnet-0a11111111111111a", availabilityZone: "eu-west-1a" }, { id: "subnet-0b22222222222222b", availabilityZone: "us-east-1b" }] } }, key: "data-tier:network.privateSubnets[0].availabilityZone", reason: /not in region us-east-1/ },
  { name: "storage ceiling below allocation", stack: "prod", over: { postgres: { maxAllocatedStorageGb: 100 } }, key: "data-tier:postgres.maxAllocatedStorageGb", reason: /below allocatedStorageGb \(500\)/ },
];

describe("bad settings", () => {
  it.each(BAD)("$name -> $key", ({ stack, over, key, reason, awsRegion }) => {
    const found = problems(stack, over, { awsRegion });
    const hit = found.find((p) => p.key === key);
    expect(hit, `no problem at ${key}; got ${JSON.stringify(found)}`).toBeDefined();
    expect(hit!.message).toMatch(reason);
  });

  it("reports every problem of one file in one run, each with its key and value", () => {
    const found = problems("prod", {
      redis: { replicas: 0, automaticFailover: false, multiAz: false, replicationGroupId: "x".repeat(45) },
      postgres: { backupRetentionDays: 2, deletionProtection: false },
      alarms: { thresholds: { replicaLag: { warning: 40, critical: 30 } } },
      tags: { Owner: "" },
    });
    expect(found.map((p) => p.key).sort()).toEqual(
      [
        "data-tier:alarms.thresholds.replicaLag",
        "data-tier:postgres.backupRetentionDays",
        "data-tier:postgres.deletionProtection",
        "data-tier:redis.automaticFailover",
        "data-tier:redis.multiAz",
        "data-tier:redis.replicas",
        "data-tier:redis.replicationGroupId",
        "data-tier:tags.Owner",
      ].sort(),
    );
    expect(found.find((p) => p.key === "data-tier:postgres.backupRetentionDays")!.value).toBe(2);
  });

  it("reports every schema problem at once too", () => {
    const found = problems("dev", { platform: "gcp", redis: { replicas: -1, maxmemoryPolicy: "lru" }, postgres: { instanceClass: "large" } });
    expect(found.map((p) => p.key)).toEqual(
      expect.arrayContaining(["data-tier:platform", "data-tier:redis.replicas", "data-tier:redis.maxmemoryPolicy", "data-tier:postgres.instanceClass"]),
    );
  });

  it("formats a message a person can act on", () => {
    const raw = readStackFile("prod").raw;
    let message = "";
    try {
      parseSettings({ ...raw, values: deepMerge(raw.values, { postgres: { backupRetentionDays: 3 } }) });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("Invalid stack settings in Pulumi.prod.yaml (1 problem):");
    expect(message).toContain("  - data-tier:postgres.backupRetentionDays = 3: is 3; production keeps backups for at least 7 days");
  });
});
