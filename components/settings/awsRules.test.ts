/**
 * What AWS (or the engine) would refuse at deploy is refused by the settings, each with
 * the key and AWS's rule (docs/settings-rules.md holds the sources); and what AWS accepts
 * is accepted. Every case was exit 0 in `npm run review` before these rules.
 */
import { describe, expect, it } from "vitest";
import { problems } from "./testkit";
import { alarmLookbackLimitSeconds, fargateMemoryOptions, performanceInsightsRetentionValid } from "./awsRules";
import { dailyOverlapsWeekly } from "./windows";

const SUBNET_A = { id: "subnet-0a11111111111111a", availabilityZone: "us-east-1a" };
/** An aws stack that is not production: the prod file as "staging". */
const STAGING = { environment: "staging", production: false, redis: { multiAz: false }, postgres: { multiAz: false } };
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const manyTags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`Extra${i}`, "x"]));

type Case = { name: string; stack: "dev" | "prod"; over: Record<string, unknown>; key: string; reason: RegExp };

const REFUSED: Case[] = [
  // The issue's list.
  { name: "RDS port below 1150", stack: "prod", over: { postgres: { port: 1100 } }, key: "data-tier:postgres.port", reason: /RDS accepts a DB port from 1150 to 65535/ },
  { name: "backup window overlapping the maintenance window", stack: "prod", over: { postgres: { backupWindow: "04:30-05:30", maintenanceWindow: "sun:04:00-sun:05:00" } }, key: "data-tier:postgres.backupWindow", reason: /overlaps postgres.maintenanceWindow.*not to conflict/ },
  { name: "backup window shorter than 30 minutes", stack: "prod", over: { postgres: { backupWindow: "02:00-02:20" } }, key: "data-tier:postgres.backupWindow", reason: /20 minutes; an RDS backup window .* at least 30/ },
  { name: "RDS maintenance window shorter than 30 minutes", stack: "prod", over: { postgres: { maintenanceWindow: "sun:04:00-sun:04:15" } }, key: "data-tier:postgres.maintenanceWindow", reason: /15 minutes; .* at least 30/ },
  { name: "ElastiCache snapshot window shorter than 60 minutes", stack: "prod", over: { redis: { snapshotWindow: "03:00-03:30" } }, key: "data-tier:redis.snapshotWindow", reason: /30 minutes; an ElastiCache snapshot window must be at least 60/ },
  { name: "ElastiCache maintenance window shorter than 60 minutes", stack: "prod", over: { redis: { maintenanceWindow: "sun:05:00-sun:05:45" } }, key: "data-tier:redis.maintenanceWindow", reason: /45 minutes; .* at least 60/ },
  { name: "snapshot window overlapping the ElastiCache maintenance window", stack: "prod", over: { redis: { snapshotWindow: "05:30-06:30" } }, key: "data-tier:redis.snapshotWindow", reason: /overlaps redis.maintenanceWindow/ },
  { name: "Fargate cpu 256 with 4096 MiB", stack: "prod", over: { pgbouncer: { cpu: 256, memoryMb: 4096 } }, key: "data-tier:pgbouncer.memoryMb", reason: /Fargate accepts 512, 1024, 2048 MiB/ },
  { name: "tag value with #", stack: "prod", over: { tags: { CostCenter: "cc#1234" } }, key: "data-tier:tags.CostCenter", reason: /AWS tag rules/ },
  { name: "tag key starting with aws:", stack: "prod", over: { tags: { "aws:team": "x" } }, key: "data-tier:tags.aws:team", reason: /"aws:", which AWS reserves/ },
  { name: "more than 50 tags on one resource with the derived ones", stack: "prod", over: { tags: manyTags(42) }, key: "data-tier:tags", reason: /up to 51 on one resource .* AWS allows 50/ },
  { name: "alarm looking back more than a day below a one-hour period", stack: "prod", over: { alarms: { periodSeconds: 900, evaluationPeriods: 97 } }, key: "data-tier:alarms.evaluationPeriods", reason: /87300 s.*up to 86400 s \(one day below a one-hour period\)/ },
  { name: "alarm looking back more than seven days", stack: "prod", over: { alarms: { periodSeconds: 3600, evaluationPeriods: 169 } }, key: "data-tier:alarms.evaluationPeriods", reason: /608400 s.*up to 604800 s \(seven days\)/ },
  { name: "read replica without backups outside prod", stack: "dev", over: { postgres: { backupRetentionDays: 0, replicas: 1 } }, key: "data-tier:postgres.backupRetentionDays", reason: /read replica's source must have automated backups/ },
  { name: "one private subnet outside prod", stack: "prod", over: { ...STAGING, network: { privateSubnets: [SUBNET_A] } }, key: "data-tier:network.privateSubnets", reason: /RDS DB subnet group must cover at least two zones, Multi-AZ or not/ },
  { name: "cluster mode without automatic failover", stack: "prod", over: { ...STAGING, redis: { multiAz: false, automaticFailover: false, clusterMode: { enabled: true, shards: 2 } } }, key: "data-tier:redis.automaticFailover", reason: /requires automatic failover for cluster mode enabled/ },
  { name: "misspelt parameter", stack: "prod", over: { postgres: { parameters: { max_conections: "500" } } }, key: "data-tier:postgres.parameters.max_conections", reason: /not a PostgreSQL 15 parameter/ },
  { name: "max_connections overridden verbatim", stack: "prod", over: { postgres: { parameters: { max_connections: "5000" } } }, key: "data-tier:postgres.parameters.max_connections", reason: /set postgres.maxConnections instead/ },
  { name: "KMS alias ARN", stack: "prod", over: { redis: { kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/data" } }, key: "data-tier:redis.kmsKeyArn", reason: /alias ARN is stored by the provider as the key ARN/ },
  { name: "Performance Insights retention 94 days", stack: "prod", over: { postgres: { performanceInsights: { enabled: true, retentionDays: 94 } } }, key: "data-tier:postgres.performanceInsights.retentionDays", reason: /RDS accepts 7, 31 x months .* or 731/ },
  // Issue 9: the allow list, derived parameters, bounds, roles, tags.
  ...["include", "include_dir", "include_if_exists", "restore_command", "archive_cleanup_command", "dynamic_library_path"].map((name): Case => ({ name: `${name} in postgres.parameters`, stack: "dev", over: { postgres: { parameters: { [name]: "/tmp/x" } } }, key: `data-tier:postgres.parameters.${name}`, reason: /not a PostgreSQL 15 parameter|category|load code|another folder/ })),
  { name: "archive_command", stack: "dev", over: { postgres: { parameters: { archive_command: "sh -c id" } } }, key: "data-tier:postgres.parameters.archive_command", reason: /runs a shell command/ },
  { name: "ssl_passphrase_command", stack: "dev", over: { postgres: { parameters: { ssl_passphrase_command: "sh -c id" } } }, key: "data-tier:postgres.parameters.ssl_passphrase_command", reason: /category "Connections and Authentication \/ SSL"/ },
  { name: "session_preload_libraries", stack: "dev", over: { postgres: { parameters: { session_preload_libraries: "evil" } } }, key: "data-tier:postgres.parameters.session_preload_libraries", reason: /Shared Library Preloading/ },
  { name: "shared_preload_libraries", stack: "dev", over: { postgres: { parameters: { shared_preload_libraries: "evil" } } }, key: "data-tier:postgres.parameters.shared_preload_libraries", reason: /fixed to pg_stat_statements/ },
  { name: "hba_file", stack: "dev", over: { postgres: { parameters: { hba_file: "/tmp/trust" } } }, key: "data-tier:postgres.parameters.hba_file", reason: /File Locations/ },
  { name: "password_encryption md5 in prod", stack: "prod", over: { postgres: { parameters: { password_encryption: "md5" } } }, key: "data-tier:postgres.parameters.password_encryption", reason: /fixed to scram-sha-256/ },
  { name: "upper-case MAX_CONNECTIONS", stack: "dev", over: { postgres: { parameters: { MAX_CONNECTIONS: "900" } } }, key: "data-tier:postgres.parameters.MAX_CONNECTIONS", reason: /set postgres.maxConnections instead/ },
  { name: "one parameter twice in two spellings", stack: "dev", over: { postgres: { parameters: { work_mem: "4MB", WORK_MEM: "8MB" } } }, key: "data-tier:postgres.parameters.WORK_MEM", reason: /case-insensitive/ },
  { name: "rds.force_ssl off", stack: "prod", over: { postgres: { parameters: { "rds.force_ssl": "0" } } }, key: "data-tier:postgres.parameters.rds.force_ssl", reason: /RDS always forces TLS/ },
  { name: "RDS-only parameter on docker", stack: "dev", over: { postgres: { parameters: { "rds.logical_replication": "1" } } }, key: "data-tier:postgres.parameters.rds.logical_replication", reason: /RDS-only parameter/ },
  { name: "fsync off", stack: "dev", over: { postgres: { parameters: { fsync: "off" } } }, key: "data-tier:postgres.parameters.fsync", reason: /crash safety/ },
  { name: "session_replication_role", stack: "dev", over: { postgres: { parameters: { session_replication_role: "replica" } } }, key: "data-tier:postgres.parameters.session_replication_role", reason: /dual-write triggers/ },
  { name: "log_line_prefix (the realization's)", stack: "dev", over: { postgres: { parameters: { log_line_prefix: "%m" } } }, key: "data-tier:postgres.parameters.log_line_prefix", reason: /set by the realization/ },
  { name: "integer parameter out of range", stack: "dev", over: { postgres: { parameters: { max_parallel_workers: "5000" } } }, key: "data-tier:postgres.parameters.max_parallel_workers", reason: /out of range; expected 0 to 1024/ },
  { name: "memory parameter above its maximum", stack: "dev", over: { postgres: { parameters: { work_mem: "3TB" } } }, key: "data-tier:postgres.parameters.work_mem", reason: /out of range; expected 64 to 2147483647 \(kB\)/ },
  { name: "time unit on a memory parameter", stack: "dev", over: { postgres: { parameters: { work_mem: "5min" } } }, key: "data-tier:postgres.parameters.work_mem", reason: /unit "min" does not fit this parameter \(its unit is kB\)/ },
  { name: "boolean parameter with a non-boolean", stack: "dev", over: { postgres: { parameters: { jit: "perhaps" } } }, key: "data-tier:postgres.parameters.jit", reason: /expected a boolean/ },
  { name: "enum parameter with an unknown value", stack: "dev", over: { postgres: { parameters: { wal_compression: "brotli" } } }, key: "data-tier:postgres.parameters.wal_compression", reason: /expected one of .*lz4/ },
  { name: "internal (read-only) parameter", stack: "dev", over: { postgres: { parameters: { block_size: "16384" } } }, key: "data-tier:postgres.parameters.block_size", reason: /read-only/ },
  { name: "Redis maxmemory past what Redis can count", stack: "dev", over: { redis: { maxmemoryMb: 17592186044417 } }, key: "data-tier:redis.maxmemoryMb", reason: /at most 1048576 MB/ },
  { name: "PgBouncer max_client_conn at 2^53-1", stack: "dev", over: { pgbouncer: { maxClientConn: 9007199254740991 } }, key: "data-tier:pgbouncer.maxClientConn", reason: /at most 1000000 clients/ },
  { name: "PgBouncer pool at 2^53-1", stack: "dev", over: { pgbouncer: { defaultPoolSize: 9007199254740991 } }, key: "data-tier:pgbouncer.defaultPoolSize", reason: /Too big|<=10000|10000/ },
  { name: "20000 Sentinels", stack: "dev", over: { redis: { sentinel: { count: 20000 } } }, key: "data-tier:redis.sentinel.count", reason: /1-9 Sentinels/ },
  { name: "PgBouncer admin user is the application role", stack: "dev", over: { pgbouncer: { adminUser: "app" } }, key: "data-tier:pgbouncer.adminUser", reason: /application, monitoring or master role/ },
  { name: "PgBouncer stats user is the monitoring role", stack: "dev", over: { pgbouncer: { statsUser: "datatier_monitor" } }, key: "data-tier:pgbouncer.statsUser", reason: /must be a role of its own/ },
  { name: "derived Project tag overwritten", stack: "prod", over: { tags: { Project: "other" } }, key: "data-tier:tags.Project", reason: /derived by the program/ },
  { name: "derived ManagedBy tag overwritten", stack: "dev", over: { tags: { ManagedBy: "hand" } }, key: "data-tier:tags.ManagedBy", reason: /derived by the program/ },
  { name: "a per-resource tag key", stack: "prod", over: { tags: { Severity: "low" } }, key: "data-tier:tags.Severity", reason: /set per resource by the program/ },
  // The rest of the surface.
  { name: "Redis OSS 3.2 on ElastiCache", stack: "prod", over: { redis: { engineVersion: "3.2" } }, key: "data-tier:redis.engineVersion", reason: /not an ElastiCache redis engine version \(catalogue of/ },
  { name: "Valkey 7.0", stack: "prod", over: { redis: { engine: "valkey", engineVersion: "7.0" } }, key: "data-tier:redis.engineVersion", reason: /not an ElastiCache valkey engine version .*7\.2, 8\.0/ },
  { name: "more than 500 ElastiCache nodes", stack: "prod", over: { redis: { clusterMode: { enabled: true, shards: 200 }, replicas: 2 } }, key: "data-tier:redis.clusterMode.shards", reason: /600 nodes .* at most 500/ },
  { name: "no in-transit encryption on ElastiCache", stack: "prod", over: { redis: { transitEncryption: false } }, key: "data-tier:redis.transitEncryption", reason: /AUTH token .* only with in-transit encryption/ },
  { name: "reserved master user name", stack: "prod", over: { postgres: { masterUsername: "rdsadmin" } }, key: "data-tier:postgres.masterUsername", reason: /reserved/ },
  { name: "pg_ master user name", stack: "prod", over: { postgres: { masterUsername: "pg_owner" } }, key: "data-tier:postgres.masterUsername", reason: /starting with pg_/ },
  { name: "template1 as the database", stack: "prod", over: { postgres: { databaseName: "template1" } }, key: "data-tier:postgres.databaseName", reason: /reserved/ },
  { name: "reserved connections as many as max_connections", stack: "dev", over: { postgres: { reservedConnections: 250 } }, key: "data-tier:postgres.reservedConnections", reason: /below max_connections \(250\)/ },
  { name: "autoscaling ceiling less than 10% above allocation", stack: "prod", over: { postgres: { maxAllocatedStorageGb: 540 } }, key: "data-tier:postgres.maxAllocatedStorageGb", reason: /at least 10% above allocatedStorageGb \(500\), i.e. 550/ },
  { name: "KMS key of another region", stack: "prod", over: { postgres: { kmsKeyArn: KEY_ARN.replace("us-east-1", "eu-west-1") } }, key: "data-tier:postgres.kmsKeyArn", reason: /region eu-west-1; .* us-east-1/ },
  { name: "custom metric namespace under AWS/", stack: "prod", over: { alarms: { customMetricNamespace: "AWS/DataTier" } }, key: "data-tier:alarms.customMetricNamespace", reason: /cannot start with "AWS\/"/ },
  { name: "threshold beyond any metric", stack: "prod", over: { alarms: { thresholds: { replicaLag: { warning: 10, critical: 1e13 } } } }, key: "data-tier:alarms.thresholds.replicaLag.critical", reason: /within \+-1e12/ },
  { name: "Redis connections above ElastiCache's maxclients", stack: "prod", over: { alarms: { baseline: { redisCurrentConnections: 70000 } } }, key: "data-tier:alarms.baseline.redisCurrentConnections", reason: /at most 65000/ },
  { name: "one subnet twice", stack: "prod", over: { network: { privateSubnets: [SUBNET_A, SUBNET_A, { id: "subnet-0b22222222222222b", availabilityZone: "us-east-1b" }] } }, key: "data-tier:network.privateSubnets", reason: /name a subnet twice/ },
  { name: "more than 20 subnets", stack: "prod", over: { network: { privateSubnets: Array.from({ length: 21 }, (_, i) => ({ id: `subnet-${String(i).padStart(17, "0")}`, availabilityZone: i % 2 ? "us-east-1a" : "us-east-1b" })) } }, key: "data-tier:network.privateSubnets", reason: /at most 20 subnets/ },
  { name: "51 notification e-mails", stack: "prod", over: { alarms: { notifications: { warningEmails: Array.from({ length: 51 }, (_, i) => `o${i}@example.com`) } } }, key: "data-tier:alarms.notifications.warningEmails", reason: /<=50|50/ },
  { name: "Sentinel down-after of ten hours", stack: "dev", over: { redis: { sentinel: { downAfterMs: 36_000_000 } } }, key: "data-tier:redis.sentinel.downAfterMs", reason: /at most 3600000 ms/ },
  { name: "Fargate 8 vCPU with 18 GiB (4 GiB steps)", stack: "prod", over: { pgbouncer: { cpu: 8192, memoryMb: 18432 } }, key: "data-tier:pgbouncer.memoryMb", reason: /16384 to 61440 in steps of 4096 MiB/ },
  { name: "checks task: Fargate 256 CPU with 4096 MiB", stack: "prod", over: { checks: { cpu: 256, memoryMb: 4096 } }, key: "data-tier:checks.memoryMb", reason: /Fargate accepts 512, 1024, 2048 MiB/ },
  { name: "checks task: log retention CloudWatch does not offer", stack: "prod", over: { checks: { logRetentionDays: 2 } }, key: "data-tier:checks.logRetentionDays", reason: /CloudWatch Logs retention/ },
  { name: "Fargate 1 vCPU with 1 GiB", stack: "prod", over: { pgbouncer: { cpu: 1024, memoryMb: 1024 } }, key: "data-tier:pgbouncer.memoryMb", reason: /2048 to 8192 in steps of 1024 MiB/ },
  { name: "PgBouncer verifying the server with no CA bundle", stack: "prod", over: { pgbouncer: { tls: { server: "verify-full" } } }, key: "data-tier:pgbouncer.tls.server", reason: /no CA bundle/ },
  { name: "table name longer than Postgres takes", stack: "dev", over: { postgres: { partitionPairs: [{ legacy: "t".repeat(64), partitioned: "p" }] } }, key: "data-tier:postgres.partitionPairs[0].legacy", reason: /at most 63 characters/ },
  { name: "docker network name with spaces", stack: "dev", over: { network: { dockerNetworkName: "my net" } }, key: "data-tier:network.dockerNetworkName", reason: /docker network name/ },
  { name: "docker with production: true", stack: "dev", over: { production: true }, key: "data-tier:production", reason: /need platform aws/ },
  { name: "docker with client TLS", stack: "dev", over: { pgbouncer: { tls: { client: "require" } } }, key: "data-tier:pgbouncer.tls.client", reason: /no certificate for PgBouncer's clients/ },
  { name: "docker with Redis TLS", stack: "dev", over: { redis: { transitEncryption: true } }, key: "data-tier:redis.transitEncryption", reason: /no TLS material/ },
  { name: "__proto__ as a key", stack: "dev", over: JSON.parse('{"alarms": {"__proto__": {"enabled": false}}}'), key: "data-tier:alarms.__proto__", reason: /not a setting name/ },
  { name: "NUL in a parameter value", stack: "dev", over: { postgres: { parameters: { work_mem: "4MB\u0000" } } }, key: "data-tier:postgres.parameters.work_mem", reason: /control character/ },
  { name: "newline in a parameter value", stack: "dev", over: { postgres: { parameters: { work_mem: "4MB\nhba_file = '/tmp/x'" } } }, key: "data-tier:postgres.parameters.work_mem", reason: /control character/ },
  { name: "a parameter name with a newline (the key is printed escaped)", stack: "dev", over: { postgres: { parameters: { "work_mem\nPASS fake": "4MB" } } }, key: "data-tier:postgres.parameters.work_mem?PASS fake", reason: /not a parameter name/ },
  { name: "a 10 MB string", stack: "dev", over: { pgbouncer: { image: "x".repeat(10 * 1024 * 1024) } }, key: "data-tier:pgbouncer.image", reason: /10485760 characters; at most 4096/ },
  { name: "a list of 20000 security groups", stack: "prod", over: { network: { appSecurityGroupIds: Array.from({ length: 20000 }, () => "sg-0a1b2c3d4e5f60718") } }, key: "data-tier:network.appSecurityGroupIds", reason: /20000 items; at most 100/ },
];

describe("settings AWS would refuse", () => {
  it.each(REFUSED)("$name -> $key", ({ stack, over, key, reason }) => {
    const found = problems(stack, over);
    const hit = found.find((p) => p.key === key && reason.test(p.message)) ?? found.find((p) => p.key === key);
    expect(hit, `no problem at ${key}; got ${JSON.stringify(found.map((p) => `${p.key}: ${p.message}`))}`).toBeDefined();
    expect(hit!.message).toMatch(reason);
  });

  it("counts at least 40 refused cases", () => {
    expect(REFUSED.length).toBeGreaterThanOrEqual(40);
  });
});

describe("settings AWS accepts stay accepted", () => {
  const ACCEPTED: { name: string; stack: "dev" | "prod"; over: Record<string, unknown> }[] = [
    { name: "Performance Insights kept 731 days", stack: "prod", over: { postgres: { performanceInsights: { enabled: true, retentionDays: 731 } } } },
    { name: "Performance Insights kept 93 days", stack: "prod", over: { postgres: { performanceInsights: { enabled: true, retentionDays: 93 } } } },
    { name: "an hourly alarm looking back 25 hours (CloudWatch allows seven days at a one-hour period)", stack: "prod", over: { alarms: { periodSeconds: 3600, evaluationPeriods: 25 } } },
    { name: "a backup window past midnight", stack: "prod", over: { postgres: { backupWindow: "23:30-00:30" } } },
    { name: "a snapshot window right after maintenance", stack: "prod", over: { redis: { snapshotWindow: "06:00-07:00" } } },
    { name: "sizes and durations with units", stack: "prod", over: { postgres: { parameters: { work_mem: "64MB", statement_timeout: "30s", jit: "off", random_page_cost: "1.1", shared_buffers: "{DBInstanceClassMemory/32768}" } } } },
    { name: "an RDS-only parameter on aws", stack: "prod", over: { postgres: { parameters: { "rds.log_retention_period": "4320" } } } },
    { name: "a KMS key ARN of the stack's region", stack: "prod", over: { redis: { kmsKeyArn: KEY_ARN }, postgres: { kmsKeyArn: KEY_ARN } } },
    { name: "Fargate 2 vCPU with 16 GiB", stack: "prod", over: { pgbouncer: { cpu: 2048, memoryMb: 16384 } } },
    { name: "Fargate 16 vCPU with 120 GiB", stack: "prod", over: { pgbouncer: { cpu: 16384, memoryMb: 122880 } } },
    { name: "43 extra tags (50 on an alarm with the derived and per-resource ones)", stack: "prod", over: { tags: manyTags(42) } },
  ];
  it.each(ACCEPTED)("$name", ({ stack, over }) => {
    const o = structuredClone(over);
    // manyTags(42) plus the file's CostCenter and Owner is 44 user tags: drop one to reach 43.
    if ((o.tags as Record<string, string> | undefined)?.Extra41) delete (o.tags as Record<string, string>).Extra41;
    expect(problems(stack, o)).toEqual([]);
  });
});

describe("the rules' tables", () => {
  it("Fargate: every documented CPU has its memory range, nothing else", () => {
    expect(fargateMemoryOptions(256)).toEqual([512, 1024, 2048]);
    expect(fargateMemoryOptions(4096)[0]).toBe(8192);
    expect(fargateMemoryOptions(4096).at(-1)).toBe(30720);
    expect(fargateMemoryOptions(300)).toEqual([]);
  });
  it("Performance Insights: 7, 31..713 by 31, 731", () => {
    expect([7, 31, 713, 731].every(performanceInsightsRetentionValid)).toBe(true);
    expect([0, 8, 30, 94, 744].some(performanceInsightsRetentionValid)).toBe(false);
  });
  it("CloudWatch look-back: one day below an hour, seven days from an hour", () => {
    expect(alarmLookbackLimitSeconds(60)).toBe(86_400);
    expect(alarmLookbackLimitSeconds(3600)).toBe(604_800);
  });
  it("windows overlap across midnight and the week's end", () => {
    expect(dailyOverlapsWeekly("23:30-00:30", "mon:00:00-mon:01:00")).toBe(true);
    expect(dailyOverlapsWeekly("23:30-00:30", "sun:23:00-mon:00:15")).toBe(true);
    expect(dailyOverlapsWeekly("02:00-03:00", "sun:04:00-sun:05:00")).toBe(false);
    expect(dailyOverlapsWeekly("03:00-04:00", "wed:03:59-wed:05:00")).toBe(true);
  });
});
