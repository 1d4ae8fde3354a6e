/** The prod stack's PgBouncer on ECS Fargate behind an internal NLB, resource by resource, under Pulumi mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { pgbouncerOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";
import { IMAGE_CONTEXT, imageTag } from "./image";

const settings = loadStackSettings("prod");
const s = settings.pgbouncer;
const T = {
  cluster: "aws:ecs/cluster:Cluster",
  task: "aws:ecs/taskDefinition:TaskDefinition",
  service: "aws:ecs/service:Service",
  nlb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  secret: "aws:secretsmanager/secret:Secret",
  version: "aws:secretsmanager/secretVersion:SecretVersion",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  repo: "aws:ecr/repository:Repository",
  image: "docker:index/image:Image",
  target: "aws:appautoscaling/target:Target",
  policy: "aws:appautoscaling/policy:Policy",
  sg: "aws:ec2/securityGroup:SecurityGroup",
};

let run: ProgramRun;
let children: RecordedResource[];
/** The one resource of a type under the PgBouncer component. */
const mine = (type: string, suffix?: string) => {
  const found = children.filter((r) => r.type === type && (!suffix || r.name.endsWith(suffix)));
  if (found.length !== 1) throw new Error(`expected one ${type}${suffix ? ` *${suffix}` : ""} under PgBouncer, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
};
const containerDef = () => JSON.parse(mine(T.task).inputs.containerDefinitions)[0];
const pgbouncerSg = () => ofType(run, T.sg).find((g) => g.name.endsWith("-pgbouncer"))!;
const secretValue = (role: string) => mine(T.version, `-${role}`);

beforeAll(async () => {
  run = await runProgram({ stack: "prod" });
  const component = single(run, "datatier:pgbouncer:PgBouncer");
  children = run.resources.filter((r) => r.parent === component.urn);
});

describe("prod: ECS Fargate service", () => {
  it("runs in a cluster with Container Insights", () => {
    expect(mine(T.cluster).inputs.settings).toEqual([{ name: "containerInsights", value: "enabled" }]);
  });

  it("runs at least two tasks in the private subnets with the PgBouncer security group and no public IP", () => {
    const svc = mine(T.service).inputs;
    expect(svc.desiredCount).toBe(2);
    expect(svc.launchType).toBe("FARGATE");
    expect(svc.networkConfiguration.assignPublicIp).toBe(false);
    expect(svc.networkConfiguration.subnets).toEqual(settings.network.privateSubnets.map((n) => n.id));
    expect(new Set(settings.network.privateSubnets.map((n) => n.availabilityZone)).size).toBeGreaterThanOrEqual(2);
    expect(svc.networkConfiguration.securityGroups).toEqual([pgbouncerSg().state.id ?? `${pgbouncerSg().name}-id`]);
  });

  it("rolls back a failing deployment and never drops below the running capacity", () => {
    const svc = mine(T.service);
    expect(svc.inputs.deploymentCircuitBreaker).toEqual({ enable: true, rollback: true });
    expect(svc.inputs.deploymentMinimumHealthyPercent).toBe(100);
    expect(svc.ignoreChanges).toContain("desiredCount");
  });

  it("registers the container port with the NLB target group", () => {
    const svc = mine(T.service).inputs;
    expect(svc.loadBalancers).toEqual([{ targetGroupArn: mine(T.tg).state.arn, containerName: "pgbouncer", containerPort: s.port }]);
  });

  it("sizes the awsvpc task from the settings and gives the container a health check and enough open files", () => {
    const task = mine(T.task).inputs;
    expect(task).toMatchObject({ networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: String(s.cpu), memory: String(s.memoryMb) });
    const c = containerDef();
    expect(c.portMappings).toEqual([{ containerPort: s.port, protocol: "tcp" }]);
    expect(c.healthCheck.command).toEqual(["CMD-SHELL", `pg_isready -h 127.0.0.1 -p ${s.port} -t 3 || exit 1`]);
    expect(c.ulimits[0].softLimit).toBeGreaterThan(2 * s.maxClientConn);
    expect(c.logConfiguration.options["awslogs-group"]).toBe(mine(T.logGroup).inputs.name);
  });

  it("keeps the logs for the configured retention", () => {
    expect(mine(T.logGroup).inputs.retentionInDays).toBe(s.logRetentionDays);
  });

  it("scales on average CPU between minCount and maxCount", () => {
    const target = mine(T.target).inputs;
    expect(target).toMatchObject({ minCapacity: s.minCount, maxCapacity: s.maxCount, scalableDimension: "ecs:service:DesiredCount", serviceNamespace: "ecs" });
    expect(target.resourceId).toBe(`service/${mine(T.cluster).inputs.name}/${mine(T.service).inputs.name}`);
    const policy = mine(T.policy).inputs;
    expect(policy.policyType).toBe("TargetTrackingScaling");
    expect(policy.targetTrackingScalingPolicyConfiguration.predefinedMetricSpecification.predefinedMetricType).toBe("ECSServiceAverageCPUUtilization");
    expect(policy.targetTrackingScalingPolicyConfiguration.targetValue).toBe(s.cpuTargetPercent);
  });
});

describe("prod: image", () => {
  it("pushes an image built on the pinned base to a scanned, immutable ECR repository, and runs it by digest", () => {
    const repo = mine(T.repo, "-pgbouncer-repo").inputs;
    expect(repo.imageScanningConfiguration).toEqual({ scanOnPush: true });
    expect(repo.imageTagMutability).toBe("IMMUTABLE");
    const image = mine(T.image, "-pgbouncer-image");
    expect(image.inputs.build.context).toBe(IMAGE_CONTEXT);
    expect(image.inputs.build.args).toEqual({ BASE_IMAGE: s.baseImage });
    expect(image.inputs.imageName).toBe(`${mine(T.repo, "-pgbouncer-repo").state.repositoryUrl}:${imageTag(s.baseImage)}`);
    expect(containerDef().image).toBe(image.state.repoDigest);
    expect(containerDef().image).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it("changes the immutable tag when the base image changes", () => {
    expect(imageTag("edoburu/pgbouncer:v1.23.1-p3")).not.toBe(imageTag("edoburu/pgbouncer:v1.24.0"));
  });

  it("builds nothing when settings.pgbouncer.image names an image", async () => {
    const other = await runProgram({ stack: "prod", overrides: { pgbouncer: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/pgb@sha256:" + "a".repeat(64) } } });
    // PgBouncer's own: the read router's image is built either way (components/readrouting/aws.test.ts), the checks task's too.
    const pgb = single(other, "datatier:pgbouncer:PgBouncer").urn;
    const own = (type: string) => ofType(other, type).filter((r) => r.parent === pgb && !r.name.includes("-router-"));
    expect(own(T.image)).toHaveLength(0);
    expect(own(T.repo)).toHaveLength(0);
    expect(JSON.parse(own(T.task)[0].inputs.containerDefinitions)[0].image).toContain("/pgb@sha256:aaaa");
  });
});

describe("prod: configuration through Secrets Manager", () => {
  it("hands pgbouncer.ini and the userlist to the container as secret references, not values", () => {
    const c = containerDef();
    expect(c.secrets).toEqual([
      { name: "PGBOUNCER_INI", valueFrom: mine(T.secret, "-ini").state.arn },
      { name: "PGBOUNCER_USERLIST", valueFrom: mine(T.secret, "-userlist").state.arn },
    ]);
    // The only plain variable: the hba file (roles tied to pools, issue 20), which holds no secret.
    expect(c.environment).toHaveLength(1);
    expect(c.environment[0].name).toBe("PGBOUNCER_HBA");
    expect(c.environment[0].value).toMatch(/^host app app,\S+ all scram-sha-256$/m);
    expect(c.environment[0].value).toMatch(/^host app_ro app_readonly,\S+ all scram-sha-256$/m);
    for (const role of ["ini", "userlist"]) expect(c.environment[0].value).not.toContain(secretValue(role).inputs.secretString);
    for (const role of ["ini", "userlist"]) {
      expect(secretValue(role).secretInputs).toContain("secretString");
      expect(JSON.stringify(mine(T.task).inputs)).not.toContain(secretValue(role).inputs.secretString);
    }
  });

  it("lets the execution role read exactly those two secrets (and the read router's)", () => {
    const role = mine(T.role, "-execution");
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
    expect(mine(T.task).inputs.executionRoleArn).toBe(role.state.arn);
    const policy = JSON.parse(mine(T.rolePolicy, "-execution-secrets").inputs.policy);
    expect(policy.Statement).toEqual([{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [mine(T.secret, "-ini").state.arn, mine(T.secret, "-userlist").state.arn, mine(T.secret, "-read-router").state.arn] }]);
    // The task role belongs to the read router sidecar (its metrics), nothing else.
    expect(mine(T.task).inputs.taskRoleArn).toBe(mine(T.role, "-task-role").state.arn);
  });

  it("attaches the ECS task execution managed policy in the stack's partition", () => {
    const attachment = mine("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "-execution-managed");
    expect(attachment.inputs.policyArn).toBe("arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy");
    expect(attachment.inputs.role).toBe(mine(T.role, "-execution").state.name);
  });

  it("renders the read-write pool to the RDS primary and the read-only pool over both replicas, with TLS both ways", () => {
    const ini = secretValue("ini").inputs.secretString as string;
    const rds = ofType(run, "aws:rds/instance:Instance").map((r) => r.state.address as string);
    const [primary, ...replicas] = rds;
    expect(replicas).toHaveLength(settings.postgres.replicas);
    expect(ini).toContain(`\napp = host=${primary} port=${settings.postgres.port} dbname=app\n`);
    expect(ini).toContain(`\napp_ro = host=${replicas.join(",")} port=${settings.postgres.port} dbname=app\n`);
    expect(ini).toMatch(/\nclient_tls_sslmode = require\n/);
    expect(ini).toMatch(/\nserver_tls_sslmode = require\n/);
    expect(ini).toMatch(/\nclient_tls_cert_file = \/etc\/pgbouncer\/tls.crt\n/);
    expect(ini).toMatch(/\nlisten_addr = 0\.0\.0\.0\n/);
  });

  it("lists the application, read-only and monitoring roles plus the console users in the userlist", () => {
    const names = (secretValue("userlist").inputs.secretString as string).trim().split("\n").map((l) => l.split(" ")[0].replace(/"/g, ""));
    expect(names).toEqual(["app", "app_readonly", "datatier_monitor", s.adminUser, s.statsUser]);
  });

  it("puts no password in any input that is not a secret", () => {
    const passwords = ofType(run, "random:index/randomPassword:RandomPassword").map((p) => p.state.result as string);
    expect(passwords.length).toBeGreaterThanOrEqual(4);
    // Carriers that are secret by design: Secrets Manager values and provider fields the SDK wraps.
    for (const r of run.resources) {
      for (const [key, value] of Object.entries(r.inputs)) {
        if (r.secretInputs.includes(key)) continue;
        const text = JSON.stringify(value);
        for (const pw of passwords) expect(text.includes(pw), `${r.type} ${r.name}.${key} holds a password in plain`).toBe(false);
      }
    }
  });
});

describe("prod: internal NLB", () => {
  it("is an internal network load balancer in the private subnets and the PgBouncer security group", () => {
    const nlb = mine(T.nlb).inputs;
    expect(nlb).toMatchObject({ loadBalancerType: "network", internal: true, enableDeletionProtection: true });
    expect(nlb.subnets).toEqual(settings.network.privateSubnets.map((n) => n.id));
    expect(nlb.securityGroups).toEqual(mine(T.service).inputs.networkConfiguration.securityGroups);
  });

  it("listens on TCP at the PgBouncer port and forwards to an ip target group with TCP health checks", () => {
    const listener = mine(T.listener).inputs;
    expect(listener).toMatchObject({ protocol: "TCP", port: s.port, loadBalancerArn: mine(T.nlb).state.arn });
    expect(listener.defaultActions).toEqual([{ type: "forward", targetGroupArn: mine(T.tg).state.arn }]);
    const tg = mine(T.tg).inputs;
    expect(tg).toMatchObject({ targetType: "ip", protocol: "TCP", port: s.port, vpcId: settings.network.vpcId });
    expect(tg.healthCheck).toMatchObject({ enabled: true, protocol: "TCP", port: "traffic-port" });
    expect(mine(T.nlb).inputs.name.length).toBeLessThanOrEqual(32);
    expect(tg.name.length).toBeLessThanOrEqual(32);
  });

  it("lets the NLB reach the tasks inside the PgBouncer group, and nothing else new", () => {
    const sgId = mine(T.service).inputs.networkConfiguration.securityGroups[0];
    const rules = children.filter((r) => r.type.startsWith("aws:vpc/securityGroup"));
    expect(rules).toHaveLength(2);
    for (const r of rules) expect(r.inputs).toMatchObject({ securityGroupId: sgId, referencedSecurityGroupId: sgId, ipProtocol: "tcp", fromPort: s.port, toPort: s.port });
    expect(rules.some((r) => r.inputs.cidrIpv4)).toBe(false);
  });
});

describe("prod: outputs", () => {
  it("exports the contract with the NLB endpoint and the ECS names, and the console passwords only in credentials", () => {
    const c = pgbouncerOutputs.parse(run.outputs.pgbouncer);
    expect(c.endpoint).toEqual({ host: mine(T.nlb).state.dnsName, port: s.port });
    expect(c).toMatchObject({ readWriteDatabase: "app", readOnlyDatabase: "app_ro", poolMode: "transaction", maxClientConn: 1000, defaultPoolSize: 100 });
    expect(c.aws).toEqual({ clusterName: mine(T.cluster).inputs.name, serviceName: "pgbouncer", targetGroupArn: mine(T.tg).state.arn, loadBalancerArn: mine(T.nlb).state.arn, desiredCount: 2 });
    expect(run.secretOutputs).toContain("credentials");
    const creds = run.outputs.credentials;
    const admin = children.find((r) => r.name.endsWith("-admin-password"))!.state.result;
    expect(creds.pgbouncerAdminPassword).toBe(admin);
    expect(typeof creds.pgbouncerStatsPassword === "string" && creds.pgbouncerStatsPassword !== admin).toBe(true);
    expect(JSON.stringify(run.outputs.pgbouncer)).not.toContain(admin);
  });
});
