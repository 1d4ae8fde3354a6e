/** ECS: the PgBouncer service runs as many tasks as it should. */
import { DescribeServicesCommand, ECSClient } from "@aws-sdk/client-ecs";
import type { StackOutputs } from "../../components/contract/outputs";
import { awsCall, clientConfig, type RetryPolicy } from "../lib/aws";
import type { Check } from "../types";

export function ecsChecks(outputs: StackOutputs, retry?: RetryPolicy): Check[] {
  const aws = outputs.pgbouncer.aws;
  return [
    {
      id: "ecs.service",
      group: "pgbouncer",
      title: `PgBouncer ECS service ${aws?.serviceName ?? "(none)"} at its desired count`,
      platforms: ["aws"],
      async run(ctx) {
        if (!aws) return { status: "FAIL", message: "outputs.pgbouncer.aws is null on platform aws: the ECS service is unknown" };
        const client = new ECSClient(clientConfig(outputs, ctx));
        try {
          const r = await awsCall(ctx, `ECS DescribeServices(${aws.clusterName}/${aws.serviceName})`, (abortSignal) => client.send(new DescribeServicesCommand({ cluster: aws.clusterName, services: [aws.serviceName] }), { abortSignal }), retry);
          const s = r.services?.[0];
          if (!s) return { status: "FAIL", message: `service ${aws.serviceName} not found in cluster ${aws.clusterName}: ${r.failures?.map((f) => f.reason).join(", ") || "no such service"}` };
          const running = s.runningCount ?? 0;
          const desired = s.desiredCount ?? 0;
          const measured = { value: running, unit: "count" };
          if (s.status !== "ACTIVE") return { status: "FAIL", measured, message: `service ${aws.serviceName} is ${s.status}` };
          if (running < desired) return { status: "FAIL", measured, threshold: `runningCount == desiredCount (${desired})`, message: `${running} of ${desired} PgBouncer task(s) running (${s.pendingCount ?? 0} pending)` };
          if (desired !== aws.desiredCount) return { status: "WARN", measured, message: `${running} task(s) running as desired, but the service wants ${desired} while the stack set ${aws.desiredCount} (scaled by hand?)` };
          return { status: "PASS", measured, threshold: `runningCount == desiredCount (${desired})`, message: `${running} of ${desired} PgBouncer task(s) running` };
        } finally {
          client.destroy();
        }
      },
    },
  ];
}
