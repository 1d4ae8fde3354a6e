/** The prod stack's PostgreSQL on RDS, resource by resource, under Pulumi mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { postgresOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";
import { DEFAULT_ROLE_NAMES } from "./roles";
import { rdsParameters } from "./render";
import { INSTANCE, MOCK_MASTER_PASSWORD, PASSWORD, ROLE, expectNoPlainPassword, pgChildren, pgNamed, pgOfType, pgPasswords } from "./testkit";
import { isScramVerifier, verifierMatches } from "./scram";

const settings = loadStackSettings("prod");
const p = settings.postgres;
const PREFIX = `${settings.project}-${settings.environment}`;
const KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

const primaryOf = (run: ProgramRun) => pgNamed(run, "-postgres-primary");
const replicasOf = (run: ProgramRun) => pgOfType(run, INSTANCE).filter((r) => r.inputs.replicateSourceDb !== undefined);

describe("prod: RDS primary", () => {
  let run: ProgramRun;
  let primary: RecordedResource;
  beforeAll(async () => {
    run = await runProgram({ stack: "prod" });
    primary = primaryOf(run);
  });

  it("is PostgreSQL 15, Multi-AZ, on the settings' instance class and port", () => {
    expect(primary.inputs).toMatchObject({ identifier: `${PREFIX}-pg`, engine: "postgres", engineVersion: p.engineVersion, instanceClass: "db.r6g.xlarge", multiAz: true, port: p.port, dbName: p.databaseName });
  });

  it("stores data encrypted on gp3 with storage autoscaling", () => {
    expect(primary.inputs).toMatchObject({ storageType: "gp3", allocatedStorage: 500, maxAllocatedStorage: 2000, storageEncrypted: true });
  });

  it("lets RDS manage the master password: no password input at all", () => {
    expect(primary.inputs.manageMasterUserPassword).toBe(true);
    expect(primary.inputs.username).toBe(p.masterUsername);
    expect(primary.inputs.password).toBeUndefined();
  });

  it("keeps backups for at least 7 days and a final snapshot, with deletion protection and protect", () => {
    expect(primary.inputs.backupRetentionPeriod).toBe(14);
    expect(primary.inputs.backupRetentionPeriod).toBeGreaterThanOrEqual(7);
    expect(primary.inputs).toMatchObject({ backupWindow: p.backupWindow, maintenanceWindow: p.maintenanceWindow, deletionProtection: true, skipFinalSnapshot: false, finalSnapshotIdentifier: `${PREFIX}-pg-final`, copyTagsToSnapshot: true, autoMinorVersionUpgrade: true });
    expect(primary.protect).toBe(true);
  });

  it("has Performance Insights and enhanced monitoring through its own IAM role", () => {
    expect(primary.inputs).toMatchObject({ performanceInsightsEnabled: true, performanceInsightsRetentionPeriod: 7, monitoringInterval: 60 });
    const [role] = pgOfType(run, "aws:iam/role:Role");
    expect(role.parent).toBe(single(run, "datatier:postgres:PostgresCluster").urn);
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service).toBe("monitoring.rds.amazonaws.com");
    expect(primary.inputs.monitoringRoleArn).toBe(role.state.arn);
    const [attachment] = pgOfType(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment");
    expect(attachment.inputs.policyArn).toBe("arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole");
  });

  it("uses a postgres15 parameter group built from the settings, TLS forced", () => {
    const group = single(run, "aws:rds/parameterGroup:ParameterGroup");
    expect(group.inputs.family).toBe("postgres15");
    const params = Object.fromEntries((group.inputs.parameters as { name: string; value: string; applyMethod: string }[]).map((x) => [x.name, x]));
    expect(params["rds.force_ssl"].value).toBe("1");
    expect(params.shared_preload_libraries).toMatchObject({ value: "pg_stat_statements", applyMethod: "pending-reboot" });
    expect(params.max_connections.value).toBe(String(p.maxConnections));
    expect(group.inputs.parameters).toEqual(rdsParameters(settings));
    expect(primary.inputs.parameterGroupName).toBe(group.inputs.name);
    expect(group.protect).toBe(true);
  });

  it("is private: subnet group on the private subnets, only the data tier's Postgres security group", () => {
    expect(primary.inputs.publiclyAccessible).toBe(false);
    const subnets = single(run, "aws:rds/subnetGroup:SubnetGroup");
    expect(subnets.inputs.subnetIds).toEqual(settings.network.privateSubnets.map((s) => s.id));
    expect(primary.inputs.dbSubnetGroupName).toBe(subnets.inputs.name);
    const sg = run.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name === `${PREFIX}-postgres`);
    expect(sg).toBeDefined();
    expect(primary.inputs.vpcSecurityGroupIds).toEqual([`${PREFIX}-postgres-id`]);
  });

  it("exports postgresql and upgrade logs to log groups created first, with the settings' retention", () => {
    expect(primary.inputs.enabledCloudwatchLogsExports).toEqual(["postgresql", "upgrade"]);
    const groups = pgOfType(run, "aws:cloudwatch/logGroup:LogGroup");
    const mine = groups.filter((g) => g.inputs.name.startsWith(`/aws/rds/instance/${PREFIX}-pg/`));
    expect(mine.map((g) => g.inputs.name).sort()).toEqual([`/aws/rds/instance/${PREFIX}-pg/postgresql`, `/aws/rds/instance/${PREFIX}-pg/upgrade`]);
    for (const g of groups) expect(g.inputs.retentionInDays).toBe(p.logRetentionDays);
    for (const g of mine) expect(primary.dependencies).toContain(g.urn);
    // One pair per instance: primary and each replica.
    expect(groups).toHaveLength(2 * (1 + p.replicas));
  });

  it("tags every taggable resource and parents every child to the component", () => {
    const taggable = ["aws:rds/instance:Instance", "aws:rds/parameterGroup:ParameterGroup", "aws:rds/subnetGroup:SubnetGroup", "aws:cloudwatch/logGroup:LogGroup", "aws:iam/role:Role"];
    const children = pgChildren(run);
    for (const r of children.filter((c) => taggable.includes(c.type))) expect(r.inputs.tags, `${r.type} ${r.name}`).toMatchObject({ Owner: "platform-data", Project: settings.project, Environment: "prod", ManagedBy: "pulumi" });
    const pgTypes = run.resources.filter((r) => r.type.startsWith("aws:rds/") || r.type.startsWith("postgresql:") || r.type === "pulumi:providers:postgresql");
    for (const r of pgTypes) expect(children, `${r.type} ${r.name}`).toContain(r);
  });
});

describe("prod: read replicas", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({ stack: "prod" });
  });

  it("has postgres.replicas replicas of the primary, spread over the zones", () => {
    const replicas = replicasOf(run);
    expect(replicas).toHaveLength(p.replicas);
    expect(replicas.map((r) => r.inputs.replicateSourceDb)).toEqual(replicas.map(() => `${PREFIX}-pg`));
    expect(replicas.map((r) => r.inputs.identifier)).toEqual([`${PREFIX}-pg-replica-1`, `${PREFIX}-pg-replica-2`]);
    expect(replicas.map((r) => r.inputs.availabilityZone)).toEqual(["us-east-1a", "us-east-1b"]);
  });

  it("take no master password (RDS-managed secrets do not apply to replicas) and no subnet group", () => {
    for (const r of replicasOf(run)) {
      expect(r.inputs.manageMasterUserPassword).toBeUndefined();
      expect(r.inputs.password).toBeUndefined();
      expect(r.inputs.username).toBeUndefined();
      expect(r.inputs.dbSubnetGroupName).toBeUndefined();
    }
  });

  it("share the parameter group, stay private and encrypted, monitored and protected in prod", () => {
    const group = single(run, "aws:rds/parameterGroup:ParameterGroup");
    for (const r of replicasOf(run)) {
      expect(r.inputs).toMatchObject({ parameterGroupName: group.inputs.name, publiclyAccessible: false, storageEncrypted: true, storageType: "gp3", performanceInsightsEnabled: true, monitoringInterval: 60, deletionProtection: true, skipFinalSnapshot: true });
      expect(r.inputs.vpcSecurityGroupIds).toEqual([`${PREFIX}-postgres-id`]);
      expect(r.inputs.monitoringRoleArn).toBe(pgOfType(run, "aws:iam/role:Role")[0].state.arn);
      expect(r.protect).toBe(true);
    }
  });

  it("follows overrides: 3 replicas over 3 zones, a 4th wraps around to the first zone", async () => {
    const three = replicasOf(await runProgram({ stack: "prod", overrides: { postgres: { replicas: 3 } } }));
    expect(three.map((r) => r.inputs.availabilityZone)).toEqual(["us-east-1a", "us-east-1b", "us-east-1c"]);
    const four = replicasOf(await runProgram({ stack: "prod", overrides: { postgres: { replicas: 4, replicaInstanceClass: "db.r6g.large" } } }));
    expect(four.map((r) => r.inputs.availabilityZone)).toEqual(["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1a"]);
    expect(four.every((r) => r.inputs.instanceClass === "db.r6g.large")).toBe(true);
  });
});

describe("prod: roles through @pulumi/postgresql", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({ stack: "prod" });
  });

  it("connects to the primary over TLS with the master password read from the RDS-managed secret", () => {
    const provider = single(run, "pulumi:providers:postgresql");
    const primary = primaryOf(run);
    expect(provider.inputs).toMatchObject({ host: primary.state.address, port: String(p.port), username: p.masterUsername, sslmode: "require", superuser: "false", database: p.databaseName });
    expect(provider.inputs.password).toBe(MOCK_MASTER_PASSWORD);
    expect(provider.secretInputs).toContain("password");
  });

  it("creates the application, read-only, monitoring and PgBouncer roles through that provider", () => {
    const provider = single(run, "pulumi:providers:postgresql");
    const roles = pgOfType(run, ROLE);
    expect(roles.map((r) => r.inputs.name).sort()).toEqual([DEFAULT_ROLE_NAMES.app, DEFAULT_ROLE_NAMES.readonly, DEFAULT_ROLE_NAMES.monitoring, DEFAULT_ROLE_NAMES.pgbouncerAuth].sort());
    for (const r of roles) {
      expect(r.provider?.startsWith(provider.urn)).toBe(true);
      expect(r.inputs.login).toBe(true);
      expect(r.secretInputs).toContain("password");
    }
    const monitoring = roles.find((r) => r.inputs.name === DEFAULT_ROLE_NAMES.monitoring)!;
    expect(monitoring.inputs.roles).toEqual(["pg_monitor", DEFAULT_ROLE_NAMES.readonly]);
  });

  it("gives each role its own random password, sent to Postgres only as its SCRAM verifier", () => {
    const roles = pgOfType(run, ROLE);
    const passwords = pgOfType(run, PASSWORD).map((r) => String(r.state.result));
    expect(new Set(passwords).size).toBe(roles.length);
    // Issue 9: CREATE ROLE ... PASSWORD '<plain>' lands in pg_stat_statements and statement logs.
    for (const r of roles) {
      expect(isScramVerifier(r.inputs.password)).toBe(true);
      expect(passwords.filter((pw) => verifierMatches(r.inputs.password, pw))).toHaveLength(1);
      for (const pw of passwords) expect(r.inputs.password).not.toContain(pw);
    }
  });

  it("grants the read-only role SELECT on current and future tables, and nothing more", () => {
    const grants = pgOfType(run, "postgresql:index/grant:Grant").filter((g) => g.inputs.role === DEFAULT_ROLE_NAMES.readonly);
    expect(grants.map((g) => [g.inputs.objectType, g.inputs.privileges])).toEqual(
      expect.arrayContaining([["database", ["CONNECT"]], ["schema", ["USAGE"]], ["table", ["SELECT"]], ["sequence", ["SELECT"]]]),
    );
    expect(grants.flatMap((g) => g.inputs.privileges).every((x: string) => ["CONNECT", "USAGE", "SELECT"].includes(x))).toBe(true);
    const future = pgOfType(run, "postgresql:index/defaultPrivileges:DefaultPrivileges");
    expect(future.map((d) => [d.inputs.owner, d.inputs.objectType, d.inputs.privileges])).toEqual([
      [DEFAULT_ROLE_NAMES.app, "table", ["SELECT"]],
      [DEFAULT_ROLE_NAMES.app, "sequence", ["SELECT"]],
    ]);
  });

  it("puts no password in plain inputs or plain outputs; the monitoring password is in credentials only", () => {
    const passwords = pgPasswords(run, [MOCK_MASTER_PASSWORD]);
    expectNoPlainPassword(run, passwords);
    const monitoring = pgOfType(run, ROLE).find((r) => r.inputs.name === DEFAULT_ROLE_NAMES.monitoring)!;
    expect(run.secretOutputs).toContain("credentials");
    // The role holds the verifier; the credentials hold the password it was made from.
    expect(verifierMatches(monitoring.inputs.password, run.outputs.credentials.postgresMonitoringPassword)).toBe(true);
  });

  it("exports a contract that parses, with the instance ids and the master secret ARN", () => {
    const contract = postgresOutputs.parse(run.outputs.postgres);
    expect(contract.monitoringUser).toBe(DEFAULT_ROLE_NAMES.monitoring);
    expect(contract.tls).toBe(true);
    expect(contract.replicas.map((r) => r.id)).toEqual([`${PREFIX}-pg-replica-1`, `${PREFIX}-pg-replica-2`]);
    expect(contract.primary.host).toBe(primaryOf(run).state.address);
    expect(contract.aws).toEqual({
      primaryInstanceId: `${PREFIX}-pg`,
      replicaInstanceIds: [`${PREFIX}-pg-replica-1`, `${PREFIX}-pg-replica-2`],
      masterSecretArn: primaryOf(run).state.masterUserSecrets[0].secretArn,
    });
    expect(contract.partitionPairs.map((x) => x.legacy)).toEqual(p.partitionPairs.map((x) => x.legacy));
  });
});

describe("aws variations", () => {
  it("outside production: nothing protected, no final snapshot", async () => {
    const run = await runProgram({ stack: "prod", overrides: { production: false, postgres: { deletionProtection: false, maxConnections: 1000 } } });
    for (const r of pgChildren(run)) expect(r.protect, `${r.type} ${r.name}`).toBe(false);
    const primary = primaryOf(run);
    expect(primary.inputs).toMatchObject({ skipFinalSnapshot: true, deletionProtection: false });
    expect(primary.inputs.finalSnapshotIdentifier).toBeUndefined();
  });

  it("passes a customer KMS key to storage, Performance Insights and the master secret", async () => {
    const run = await runProgram({ stack: "prod", overrides: { postgres: { kmsKeyArn: KMS } } });
    const primary = primaryOf(run);
    expect(primary.inputs).toMatchObject({ kmsKeyId: KMS, performanceInsightsKmsKeyId: KMS, masterUserSecretKmsKeyId: KMS });
    for (const r of replicasOf(run)) expect(r.inputs.kmsKeyId).toBe(KMS);
  });

  it("without enhanced monitoring: no IAM role", async () => {
    const run = await runProgram({ stack: "prod", overrides: { postgres: { monitoringIntervalSeconds: 0 } } });
    expect(pgOfType(run, "aws:iam/role:Role")).toEqual([]);
    expect(primaryOf(run).inputs.monitoringInterval).toBe(0);
    expect(primaryOf(run).inputs.monitoringRoleArn).toBeUndefined();
  });

  it("without managed roles: no postgresql resources; monitoring falls back to the master user, still secret", async () => {
    const run = await runProgram({ stack: "prod", overrides: { postgres: { manageRoles: false } } });
    expect(run.resources.filter((r) => r.type.startsWith("postgresql:") || r.type === "pulumi:providers:postgresql")).toEqual([]);
    expect(postgresOutputs.parse(run.outputs.postgres).monitoringUser).toBe(p.masterUsername);
    expect(run.outputs.credentials.postgresMonitoringPassword).toBe(MOCK_MASTER_PASSWORD);
    expectNoPlainPassword(run, [MOCK_MASTER_PASSWORD]);
  });
});
