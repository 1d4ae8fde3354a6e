/** NLB: every PgBouncer target is healthy. */
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { StackOutputs } from "../../components/contract/outputs";
import { awsCall, clientConfig, type RetryPolicy } from "../lib/aws";
import type { Check, CheckOutcome } from "../types";

export function nlbChecks(outputs: StackOutputs, retry?: RetryPolicy): Check[] {
  const aws = outputs.pgbouncer.aws;
  return [
    {
      id: "nlb.targets",
      group: "pgbouncer",
      title: "Every NLB target (PgBouncer task) healthy",
      platforms: ["aws"],
      async run(ctx): Promise<CheckOutcome> {
        if (!aws) return { status: "FAIL", message: "outputs.pgbouncer.aws is null on platform aws: the target group is unknown" };
        const client = new ElasticLoadBalancingV2Client(clientConfig(outputs, ctx));
        try {
          const r = await awsCall(ctx, "ELBv2 DescribeTargetHealth", (abortSignal) => client.send(new DescribeTargetHealthCommand({ TargetGroupArn: aws.targetGroupArn }), { abortSignal }), retry);
          const targets = (r.TargetHealthDescriptions ?? []).map((t) => ({ id: `${t.Target?.Id ?? "?"}:${t.Target?.Port ?? "?"}`, state: t.TargetHealth?.State ?? "unknown", reason: t.TargetHealth?.Reason, description: t.TargetHealth?.Description }));
          const healthy = targets.filter((t) => t.state === "healthy");
          const measured = { value: healthy.length, unit: "count" };
          const threshold = `all targets healthy (${aws.desiredCount} expected)`;
          const list = (ts: typeof targets) => ts.map((t) => `${t.id} ${t.state}${t.reason ? ` (${t.reason}${t.description ? `: ${t.description}` : ""})` : ""}`).join(", ");
          if (targets.length === 0) return { status: "FAIL", measured, threshold, message: "the target group has no registered targets: PgBouncer is unreachable through the NLB" };
          const bad = targets.filter((t) => !["healthy", "initial", "draining"].includes(t.state));
          if (bad.length > 0) return { status: "FAIL", measured, threshold, message: `${bad.length} of ${targets.length} target(s) not healthy: ${list(bad)}` };
          const moving = targets.filter((t) => t.state !== "healthy");
          if (moving.length > 0) return { status: "WARN", measured, threshold, message: `${healthy.length} healthy, ${list(moving)}` };
          return { status: "PASS", measured, threshold, message: `${healthy.length} of ${targets.length} target(s) healthy` };
        } finally {
          client.destroy();
        }
      },
    },
  ];
}
