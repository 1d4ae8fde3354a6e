/** `check --in-vpc` against mocked ECS and CloudWatch Logs (aws-sdk-client-mock): no AWS account here. */
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand } from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import type { StackOutputs } from "../../components/contract/outputs";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { testTempDir } from "../../testing/tempDir";
import { main, type CliIO } from "../cli";
import type { SuiteReport } from "../suite";
import { REPORT_MARKER } from "./report";
import { runChecksInVpc, type InVpcOptions } from "./run";

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
const TASK = "arn:aws:ecs:eu-west-1:123456789012:task/data-tier-prod-pgbouncer/0123456789abcdef";

function awsOutputs(): StackOutputs {
  const o = sampleOutputs();
  o.platform = "aws";
  o.region = "eu-west-1";
  o.environment = "prod";
  o.checks = {
    aws: {
      clusterName: "data-tier-prod-pgbouncer",
      taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/data-tier-prod-checks:7",
      containerName: "checks",
      subnetIds: ["subnet-a", "subnet-b"],
      securityGroupId: "sg-checks",
      logGroupName: "/ecs/data-tier-prod-checks",
      logStreamPrefix: "checks",
      scheduleName: "data-tier-prod-checks-every-5m",
      scheduleMinutes: 5,
    },
  };
  return o;
}

function report(exitCode: number, status: "PASS" | "FAIL" = "PASS"): SuiteReport {
  return {
    suite: "data-tier smoke",
    environment: "prod",
    platform: "aws",
    startedAt: "2026-12-01T07:00:00.000Z",
    overall: status === "PASS" ? "healthy" : "unhealthy",
    exitCode,
    failOn: "fail",
    counts: { PASS: status === "PASS" ? 1 : 0, WARN: 0, FAIL: status === "FAIL" ? 1 : 0, SKIP: 0 },
    wallTimeMs: 1200,
    sumCheckMs: 1100,
    defaultTimeoutMs: 5000,
    deadlineMs: 60000,
    results: [{ id: "redis.primary", group: "cache", title: "Primary reachable", status, message: status === "PASS" ? "master at 10.0.1.5:6379" : "cannot connect", durationMs: 12 }],
    metrics: [],
    hooks: [],
  } as unknown as SuiteReport;
}

/** A fake clock that the fake sleep advances: bounded waits run in no real time. */
function clock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

const deps = (): Partial<InVpcOptions> => ({ ecs: new ECSClient({ region: "eu-west-1" }), logs: new CloudWatchLogsClient({ region: "eu-west-1" }), ...clock(), pollMs: 5000 });
const stopped = (exitCode?: number, extra: Record<string, unknown> = {}) => ({ tasks: [{ taskArn: TASK, lastStatus: "STOPPED", containers: [{ name: "checks", ...(exitCode === undefined ? {} : { exitCode }) }], ...extra }] });

// Test files share worker processes: the mocked clients must not outlive this file.
afterAll(() => {
  ecs.restore();
  logs.restore();
});

beforeEach(() => {
  ecs.reset();
  logs.reset();
});

describe("runChecksInVpc", () => {
  it("starts the task in the private subnets with the checks security group and no public IP, passing the suite's arguments", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: "PROVISIONING" }] }).resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: "RUNNING" }] }).resolves(stopped(0));
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: "some stderr line" }, { message: `${REPORT_MARKER}${JSON.stringify(report(0))}` }], nextForwardToken: "f/1" });
    const r = await runChecksInVpc(awsOutputs(), { args: ["--only", "redis", "--fail-on", "fail"], waitMs: 600_000, ...deps() });
    const input = ecs.commandCalls(RunTaskCommand)[0].args[0].input;
    expect(input).toMatchObject({
      cluster: "data-tier-prod-pgbouncer",
      taskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/data-tier-prod-checks:7",
      launchType: "FARGATE",
      count: 1,
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-checks"], assignPublicIp: "DISABLED" } },
      overrides: { containerOverrides: [{ name: "checks", command: ["--only", "redis", "--fail-on", "fail"] }] },
    });
    expect(r.exitCode).toBe(0);
    expect(r.report.results[0].id).toBe("redis.primary");
    // The awslogs stream of this very task.
    expect(logs.commandCalls(GetLogEventsCommand)[0].args[0].input).toMatchObject({ logGroupName: "/ecs/data-tier-prod-checks", logStreamName: "checks/checks/0123456789abcdef", startFromHead: true });
  });

  it("passes the container's exit code through, whatever the report says", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolves(stopped(2));
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: `${REPORT_MARKER}${JSON.stringify(report(2, "FAIL"))}` }] });
    expect((await runChecksInVpc(awsOutputs(), { args: [], waitMs: 60_000, ...deps() })).exitCode).toBe(2);
  });

  it("stops a task that never ends at the deadline and says so", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: "RUNNING" }] });
    ecs.on(StopTaskCommand).resolves({});
    const d = deps();
    const err = await runChecksInVpc(awsOutputs(), { args: [], waitMs: 60_000, ...d }).then(() => { throw new Error("expected the run to fail"); }, (e: unknown) => e as Error & { exitCode: number });
    expect(err.message).toMatch(/^the checks task 0123456789abcdef did not finish within 60 s \(last status RUNNING\); it was stopped\. Its log: \/ecs\/data-tier-prod-checks checks\/checks\/0123456789abcdef$/);
    expect(err.exitCode).toBe(4);
    expect(ecs.commandCalls(StopTaskCommand)[0].args[0].input).toMatchObject({ cluster: "data-tier-prod-pgbouncer", task: TASK });
    // Bounded: a handful of polls over 60 s at 5 s, not an endless loop.
    expect(ecs.commandCalls(DescribeTasksCommand).length).toBeLessThanOrEqual(13);
  });

  it("reports a task that fails to start with ECS's reason", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: "arn:aws:ecs:eu-west-1:123456789012:container-instance/x", reason: "RESOURCE:ENI", detail: "no free IP addresses in subnet-a" }] });
    const err = await runChecksInVpc(awsOutputs(), { args: [], waitMs: 60_000, ...deps() }).then(() => { throw new Error("expected the run to fail"); }, (e: unknown) => e as Error & { exitCode: number });
    expect(err.message).toBe("the checks task did not start: RESOURCE:ENI no free IP addresses in subnet-a (arn:aws:ecs:eu-west-1:123456789012:container-instance/x)");
    expect(err.exitCode).toBe(4);
  });

  it("reports a RunTask call AWS refuses, naming the call", async () => {
    ecs.on(RunTaskCommand).rejects(Object.assign(new Error("User is not authorized to perform: ecs:RunTask"), { name: "AccessDeniedException" }));
    await expect(runChecksInVpc(awsOutputs(), { args: [], waitMs: 60_000, ...deps() })).rejects.toThrow(/^ECS RunTask \(arn:aws:ecs:eu-west-1:123456789012:task-definition\/data-tier-prod-checks:7 in data-tier-prod-pgbouncer\) failed: AccessDeniedException: User is not authorized/);
  });

  it("reports a task stopped before the suite ran (image pull, secret) with its stopped reason", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolves(stopped(undefined, { stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)" }));
    await expect(runChecksInVpc(awsOutputs(), { args: [], waitMs: 60_000, ...deps() })).rejects.toThrow("the checks task 0123456789abcdef stopped before the suite ran: CannotPullContainerError: pull image manifest has been retried 5 time(s)");
  });

  it("keeps the container's failing code when it wrote no report, quoting its last line", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolves(stopped(3));
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: "error: DATATIER_OUTPUTS is empty" }] });
    const err = await runChecksInVpc(awsOutputs(), { args: [], waitMs: 60_000, ...deps() }).then(() => { throw new Error("expected the run to fail"); }, (e: unknown) => e as Error & { exitCode: number });
    expect(err.message).toMatch(/exited with 3 but wrote no report .*; its last line: error: DATATIER_OUTPUTS is empty$/);
    expect(err.exitCode).toBe(3);
  });

  it("refuses a report it cannot print instead of crashing on it", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolves(stopped(0));
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: `${REPORT_MARKER}{"overall":"GREEN"}` }] });
    await expect(runChecksInVpc(awsOutputs(), { args: [], waitMs: 60_000, ...deps() })).rejects.toThrow(/wrote a report this version cannot read/);
  });

  it("refuses a stack without a checks task", async () => {
    await expect(runChecksInVpc(sampleOutputs(), { args: [], waitMs: 1000, ...deps() })).rejects.toThrow(/--in-vpc needs the stack's checks task \(outputs.checks.aws\), which platform sandbox does not have/);
  });
});

describe("npm run check -- --in-vpc", () => {
  const io = () => {
    let out = "";
    let err = "";
    const cli: CliIO = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {} };
    return { cli, out: () => out, err: () => err };
  };
  const file = async (o: StackOutputs) => {
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const p = join(testTempDir("invpc-"), "outputs.json");
    writeFileSync(p, JSON.stringify(o));
    return p;
  };

  it("prints the task's report as the local run does, forwards --only / --fail-on / --publish-metrics and exits with the task's code", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK }] });
    ecs.on(DescribeTasksCommand).resolves(stopped(2));
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: `${REPORT_MARKER}${JSON.stringify(report(2, "FAIL"))}` }] });
    const t = io();
    const code = await main(["--outputs", await file(awsOutputs()), "--in-vpc", "--only", "redis", "--fail-on", "warn", "--publish-metrics"], t.cli, undefined, {}, deps());
    expect(code, t.err()).toBe(2);
    expect(t.out()).toMatch(/FAIL {2}redis\.primary {2}cannot connect/);
    expect(t.err()).toContain("in-vpc: started checks task 0123456789abcdef");
    expect(ecs.commandCalls(RunTaskCommand)[0].args[0].input.overrides!.containerOverrides![0].command).toEqual(["--only", "redis", "--fail-on", "warn", "--publish-metrics"]);
  });

  it("exits 4 with a clear message when the task cannot start, never a stack trace", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: "MISSING", detail: "task definition inactive" }] });
    const t = io();
    expect(await main(["--outputs", await file(awsOutputs()), "--in-vpc"], t.cli, undefined, {}, deps())).toBe(4);
    expect(t.err()).toBe("error: the checks task did not start: MISSING task definition inactive\n");
  });

  it("exits 3 for a stack without a checks task", async () => {
    const t = io();
    expect(await main(["--outputs", await file(sampleOutputs()), "--in-vpc"], t.cli, undefined, {}, deps())).toBe(3);
    expect(t.err()).toMatch(/^error: --in-vpc needs the stack's checks task/);
  });
});
