/**
 * `npm run check -- --stack <s> --in-vpc`: the smoke suite run where it can reach the
 * private endpoints. Starts the stack's checks task (outputs.checks.aws) with ECS RunTask in
 * the data tier's private subnets and security group, waits for it to stop (bounded:
 * a task that never ends is stopped at the deadline), reads the JSON report back from its
 * CloudWatch Logs stream and hands it to the command line, which prints it as a local run
 * does and exits with the suite's exit code (the container's).
 */
import { CloudWatchLogsClient, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { DescribeTasksCommand, ECSClient, RunTaskCommand, StopTaskCommand, type Task } from "@aws-sdk/client-ecs";
import type { StackOutputs } from "../../components/contract/outputs";
import { UsageError } from "../errors";
import { errorText } from "../lib/measure";
import type { SuiteReport } from "../suite";
import { findReport } from "./report";

export interface InVpcOptions {
  /** Suite arguments for the container (--only, --fail-on, --publish-metrics, ...). */
  args: string[];
  /** Wall-clock bound from RunTask to the report, ms (start, image pull, suite, logs). */
  waitMs: number;
  /** Between DescribeTasks calls, ms. @default 5000 */
  pollMs?: number;
  ecs?: ECSClient;
  logs?: CloudWatchLogsClient;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Progress lines ("started task ...", "task RUNNING"), for stderr. */
  progress?: (line: string) => void;
}

export interface InVpcResult {
  exitCode: number;
  taskArn: string;
  report: SuiteReport;
}

/** The run could not produce a report: why, what to look at, and the exit code to leave with. */
export class InVpcError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = "InVpcError";
  }
}

const INTERNAL = 4;

export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf("/") + 1);
}

export async function runChecksInVpc(outputs: StackOutputs, o: InVpcOptions): Promise<InVpcResult> {
  const t = outputs.checks.aws;
  if (!t) throw new UsageError(`--in-vpc needs the stack's checks task (outputs.checks.aws), which platform ${outputs.platform} does not have: run the checks without --in-vpc`);
  if (!outputs.region) throw new UsageError("outputs.region is null; --in-vpc needs the stack's region");
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = o.pollMs ?? 5000;
  const progress = o.progress ?? (() => undefined);
  const config = { region: outputs.region, maxAttempts: 3 };
  const ecs = o.ecs ?? new ECSClient(config);
  const logs = o.logs ?? new CloudWatchLogsClient(config);
  const deadline = now() + o.waitMs;
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw new InVpcError(`${what} failed: ${(e as Error).name && (e as Error).name !== "Error" ? `${(e as Error).name}: ` : ""}${errorText(e)}`, INTERNAL);
    }
  };

  try {
    const started = await call(`ECS RunTask (${t.taskDefinitionArn} in ${t.clusterName})`, () =>
      ecs.send(
        new RunTaskCommand({
          cluster: t.clusterName,
          taskDefinition: t.taskDefinitionArn,
          launchType: "FARGATE",
          count: 1,
          startedBy: "datatier-check-in-vpc",
          networkConfiguration: { awsvpcConfiguration: { subnets: t.subnetIds, securityGroups: [t.securityGroupId], assignPublicIp: "DISABLED" } },
          overrides: { containerOverrides: [{ name: t.containerName, command: o.args }] },
        }),
      ),
    );
    const task = started.tasks?.[0];
    if (!task?.taskArn) {
      const why = (started.failures ?? []).map((f) => [f.reason, f.detail, f.arn && `(${f.arn})`].filter(Boolean).join(" ")).join("; ") || "RunTask returned no task and no failure";
      throw new InVpcError(`the checks task did not start: ${why}`, INTERNAL);
    }
    const arn = task.taskArn;
    progress(`started checks task ${taskId(arn)} in ${t.clusterName}; waiting up to ${Math.round(o.waitMs / 1000)} s`);

    let last: Task | undefined;
    let status = "";
    for (;;) {
      const d = await call(`ECS DescribeTasks (${taskId(arn)})`, () => ecs.send(new DescribeTasksCommand({ cluster: t.clusterName, tasks: [arn] })));
      last = d.tasks?.[0];
      if (last?.lastStatus && last.lastStatus !== status) progress(`task ${(status = last.lastStatus)}`);
      if (last?.lastStatus === "STOPPED") break;
      if (now() + pollMs > deadline) {
        await ecs.send(new StopTaskCommand({ cluster: t.clusterName, task: arn, reason: "npm run check --in-vpc: deadline reached" })).catch(() => undefined);
        throw new InVpcError(`the checks task ${taskId(arn)} did not finish within ${Math.round(o.waitMs / 1000)} s (last status ${last?.lastStatus ?? "unknown"}); it was stopped. Its log: ${t.logGroupName} ${streamName(t, arn)}`, INTERNAL);
      }
      await sleep(pollMs);
    }

    const container = last.containers?.find((c) => c.name === t.containerName);
    const exitCode = container?.exitCode;
    if (exitCode === undefined || exitCode === null) {
      const why = [last.stoppedReason, container?.reason].filter(Boolean).join("; ") || "no reason given";
      throw new InVpcError(`the checks task ${taskId(arn)} stopped before the suite ran: ${why}`, INTERNAL);
    }

    // The awslogs driver may deliver the last lines a moment after the task stops.
    for (let attempt = 1; ; attempt++) {
      const messages = await readStream(logs, t.logGroupName, streamName(t, arn));
      const report = findReport(messages);
      if (report) {
        // A report another version of the suite wrote may not print; say so rather than crash the formatter.
        if (!Array.isArray(report.results) || !["healthy", "degraded", "unhealthy"].includes(report.overall) || typeof report.counts !== "object") {
          throw new InVpcError(`the checks task ${taskId(arn)} wrote a report this version cannot read (results, overall, counts); its image and this checkout differ: redeploy, or read ${t.logGroupName} ${streamName(t, arn)}`, exitCode === 0 ? INTERNAL : exitCode);
        }
        return { exitCode, taskArn: arn, report };
      }
      if (attempt >= 3 || now() + pollMs > deadline) {
        throw new InVpcError(`the checks task ${taskId(arn)} exited with ${exitCode} but wrote no report to ${t.logGroupName} ${streamName(t, arn)}${messages.length ? `; its last line: ${messages[messages.length - 1].slice(0, 300)}` : " (the stream is empty)"}`, exitCode === 0 ? INTERNAL : exitCode);
      }
      await sleep(pollMs);
    }
  } finally {
    if (!o.ecs) ecs.destroy();
    if (!o.logs) logs.destroy();
  }
}

function streamName(t: NonNullable<StackOutputs["checks"]["aws"]>, taskArn: string): string {
  return `${t.logStreamPrefix}/${t.containerName}/${taskId(taskArn)}`;
}

/** Every message of a stream, oldest first (GetLogEvents pages until the token repeats). */
async function readStream(logs: CloudWatchLogsClient, group: string, stream: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    let r;
    try {
      r = await logs.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, nextToken: token }));
    } catch (e) {
      if ((e as Error).name === "ResourceNotFoundException") return out;
      throw new InVpcError(`CloudWatch Logs GetLogEvents (${group} ${stream}) failed: ${(e as Error).name}: ${errorText(e)}`, INTERNAL);
    }
    for (const ev of r.events ?? []) if (ev.message !== undefined) out.push(ev.message);
    if (!r.nextForwardToken || r.nextForwardToken === token) return out;
    token = r.nextForwardToken;
  }
  return out;
}
