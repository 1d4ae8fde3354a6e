/** The read router on AWS under Pulumi mocks: the sidecar, its permissions, its metrics' alarms; and the bundle its image runs. */
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { loadStackSettings } from "../settings/stackFile";
import { loadRouterConfig } from "./config";
import { bundleRouter, CONFIG_VOLUME, READ_ROUTER_CONTAINER } from "./sidecar";

const settings = loadStackSettings("prod");
let run: ProgramRun;
let children: RecordedResource[];
const mine = (type: string, suffix: string) => {
  const found = children.filter((r) => r.type === type && r.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one ${type} *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
};
const containers = () => JSON.parse(mine("aws:ecs/taskDefinition:TaskDefinition", "-pgbouncer-task").inputs.containerDefinitions) as Record<string, any>[];
const sidecar = () => containers().find((c) => c.name === READ_ROUTER_CONTAINER)!;

beforeAll(async () => {
  run = await runProgram({ stack: "prod" });
  const component = single(run, "datatier:pgbouncer:PgBouncer");
  children = run.resources.filter((r) => r.parent === component.urn);
}, 60_000);

describe("prod: the read router sidecar in the PgBouncer task", () => {
  it("runs beside PgBouncer, not essential, after PgBouncer is healthy, on a shared config volume", () => {
    const [pgb, rr] = containers();
    expect(pgb.name).toBe("pgbouncer");
    expect(rr.name).toBe(READ_ROUTER_CONTAINER);
    expect(rr.essential).toBe(false);
    expect(rr.dependsOn).toEqual([{ containerName: "pgbouncer", condition: "HEALTHY" }]);
    expect(mine("aws:ecs/taskDefinition:TaskDefinition", "-pgbouncer-task").inputs.volumes).toEqual([{ name: CONFIG_VOLUME }]);
    expect(pgb.mountPoints).toEqual([{ sourceVolume: CONFIG_VOLUME, containerPath: "/etc/pgbouncer" }]);
    expect(rr.mountPoints).toEqual(pgb.mountPoints);
    expect(rr.logConfiguration.options["awslogs-stream-prefix"]).toBe(READ_ROUTER_CONTAINER);
  });

  it("runs its own image, built from the pinned Node base and pushed to a scanned, immutable repository, by digest", () => {
    const repo = mine("aws:ecr/repository:Repository", "-router-repo");
    expect(repo.inputs.imageScanningConfiguration).toEqual({ scanOnPush: true });
    expect(repo.inputs.imageTagMutability).toBe("IMMUTABLE");
    const image = mine("docker:index/image:Image", "-router-image");
    expect(image.inputs.build.args).toEqual({ BASE_IMAGE: settings.readRouting.baseImage });
    expect(settings.readRouting.baseImage).toMatch(/^node:\d+\.\d+\.\d+-/);
    expect(sidecar().image).toBe(image.state.repoDigest);
  });

  it("gets the monitoring and console passwords from one Secrets Manager secret, by JSON key; the plain config holds none", () => {
    const secret = mine("aws:secretsmanager/secret:Secret", "-read-router");
    expect(sidecar().secrets).toEqual([
      { name: "READ_ROUTER_MONITORING_PASSWORD", valueFrom: `${secret.state.arn}:monitoring::` },
      { name: "READ_ROUTER_CONSOLE_PASSWORD", valueFrom: `${secret.state.arn}:console::` },
    ]);
    const version = mine("aws:secretsmanager/secretVersion:SecretVersion", "-read-router");
    expect(version.secretInputs).toContain("secretString");
    const values = JSON.parse(version.inputs.secretString);
    expect(Object.keys(values).sort()).toEqual(["console", "monitoring"]);
    const env = sidecar().environment as { name: string; value: string }[];
    expect(env.map((e) => e.name)).toEqual(["READ_ROUTER_CONFIG"]);
    for (const pw of Object.values(values) as string[]) {
      expect(pw.length).toBeGreaterThan(8);
      expect(mine("aws:ecs/taskDefinition:TaskDefinition", "-pgbouncer-task").inputs.containerDefinitions).not.toContain(pw);
    }
    // With the variables ECS injects, the document is a valid configuration.
    const cfg = loadRouterConfig(undefined, { READ_ROUTER_CONFIG: env[0].value, READ_ROUTER_MONITORING_PASSWORD: values.monitoring, READ_ROUTER_CONSOLE_PASSWORD: values.console });
    expect(cfg.replicas).toHaveLength(settings.postgres.replicas);
    expect(cfg.lag).toEqual(settings.alarms.thresholds.replicaLag);
    expect(cfg.intervalMs).toBe(2000);
    expect(cfg.pgbouncer.console).toMatchObject({ host: "127.0.0.1", port: settings.pgbouncer.port, user: settings.pgbouncer.adminUser });
    expect(cfg.pgbouncer.iniPath).toBe("/etc/pgbouncer/pgbouncer.ini");
    expect(cfg.metrics).toEqual({ namespace: settings.alarms.customMetricNamespace, region: "us-east-1", dimensions: { Environment: "prod" } });
    expect(cfg.tls).toBe(true);
    // Without them, it refuses to start rather than log in with a placeholder.
    expect(() => loadRouterConfig(undefined, { READ_ROUTER_CONFIG: env[0].value })).toThrow(/monitoring\.password \(set READ_ROUTER_MONITORING_PASSWORD\) and pgbouncer\.console\.password .* come from the environment/);
  });

  it("lets the execution role read that secret, and the task role only publish metrics in the stack's namespace", () => {
    const exec = JSON.parse(mine("aws:iam/rolePolicy:RolePolicy", "-execution-secrets").inputs.policy);
    expect(exec.Statement[0].Resource).toContain(mine("aws:secretsmanager/secret:Secret", "-read-router").state.arn);
    const role = mine("aws:iam/role:Role", "-task-role");
    expect(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal).toEqual({ Service: "ecs-tasks.amazonaws.com" });
    expect(mine("aws:ecs/taskDefinition:TaskDefinition", "-pgbouncer-task").inputs.taskRoleArn).toBe(role.state.arn);
    const policy = JSON.parse(mine("aws:iam/rolePolicy:RolePolicy", "-task-metrics").inputs.policy);
    expect(policy.Statement).toEqual([{ Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": settings.alarms.customMetricNamespace } } }]);
  });

  it("alarms: reads on the primary is a warning, a silent router is critical (missing data breaching)", () => {
    const alarms = ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm");
    const onPrimary = alarms.find((a) => a.inputs.name === "data-tier-prod-read-router-reads-on-primary-warning")!;
    const silent = alarms.find((a) => a.inputs.name === "data-tier-prod-read-router-silent-critical")!;
    expect(onPrimary.inputs).toMatchObject({ namespace: "DataTier", metricName: "ReadsOnPrimary", statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: 0, dimensions: { Environment: "prod" }, treatMissingData: "notBreaching" });
    expect(silent.inputs).toMatchObject({ namespace: "DataTier", metricName: "RouterChecks", statistic: "SampleCount", comparisonOperator: "LessThanThreshold", threshold: 1, dimensions: { Environment: "prod" }, treatMissingData: "breaching" });
    expect(onPrimary.inputs.alarmActions[0]).toMatch(/warning/);
    expect(silent.inputs.alarmActions[0]).toMatch(/critical/);
  });

  it("says in the contract where its state is: CloudWatch, not a file", () => {
    expect(run.outputs.pgbouncer.readRouting).toEqual({ intervalMs: 2000, stateFile: null, metricNamespace: "DataTier" });
  });
});

describe("dev (docker): no sidecar", () => {
  it("creates no AWS router resources (the router is a container there: docker.test.ts)", async () => {
    const dev = await runProgram({ stack: "dev" });
    expect(dev.resources.filter((r) => /router/.test(r.name)).map((r) => r.type).sort()).toEqual(["docker:index/container:Container", "docker:index/remoteImage:RemoteImage"]);
    expect(dev.outputs.pgbouncer.readRouting.metricNamespace).toBeNull();
  }, 60_000);
});

describe("the sidecar image's bundle", () => {
  const dir = join(__dirname, "..", "..", ".sandbox", `bundle-test-${process.pid}`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is one file that runs on plain node and refuses a missing configuration clearly (exit 2)", () => {
    bundleRouter(dir);
    let out = "";
    let code = 0;
    try {
      execFileSync(process.execPath, [join(dir, "router.js")], { env: { PATH: process.env.PATH ?? "" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 15_000 });
    } catch (e) {
      const err = e as { status: number; stderr: string };
      code = err.status;
      out = err.stderr;
    }
    expect(code).toBe(2);
    expect(out).toMatch(/^read-router: no read-router configuration: give a file .* or set READ_ROUTER_CONFIG\n$/);
  }, 30_000);
});
