/**
 * The alarm checks (AWS only): every alarm the stack exported exists; each matches the
 * catalogue recomputed from the outputs (so drift between the code and the account is
 * caught: a threshold edited in the console, a missing action); and no critical alarm
 * is firing (a warning one firing makes the run WARN).
 */
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import type { StackOutputs } from "../../components/contract/outputs";
import { awsCall, clientConfig, type RetryPolicy } from "../lib/aws";
import type { Check, CheckContext, CheckFactory } from "../types";
import { driftOf, expectedAlarms } from "./expected";

/** DescribeAlarms accepts at most 100 names per call. */
const NAMES_PER_CALL = 100;

/** Every listed alarm that exists, by name (paginated, throttling retried). */
export async function describeAlarms(ctx: CheckContext, names: string[], retry?: RetryPolicy): Promise<Map<string, MetricAlarm>> {
  const client = new CloudWatchClient(clientConfig(ctx.outputs, ctx));
  const found = new Map<string, MetricAlarm>();
  try {
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      const batch = names.slice(i, i + NAMES_PER_CALL);
      let token: string | undefined;
      do {
        const r = await awsCall(ctx, `CloudWatch DescribeAlarms (${batch.length} names)`, (abortSignal) => client.send(new DescribeAlarmsCommand({ AlarmNames: batch, AlarmTypes: ["MetricAlarm"], NextToken: token, MaxRecords: 100 }), { abortSignal }), retry);
        for (const a of r.MetricAlarms ?? []) if (a.AlarmName) found.set(a.AlarmName, a);
        token = r.NextToken;
      } while (token);
    }
  } finally {
    client.destroy();
  }
  return found;
}

function list(items: string[], max = 5): string {
  return items.length <= max ? items.join(", ") : `${items.slice(0, max).join(", ")} and ${items.length - max} more`;
}

const severityOfName = (name: string) => (name.endsWith("-critical") ? "critical" : name.endsWith("-warning") ? "warning" : "unknown");

export function alarmChecksWith(retry?: RetryPolicy): CheckFactory {
  return (outputs: StackOutputs): Check[] => {
    if (outputs.platform !== "aws") return [];
    const names = outputs.alarms.alarmNames;
    const base = { group: "alarms" as const, platforms: ["aws" as const] };

    const exist: Check = {
      ...base,
      id: "alarms.exist",
      title: `the ${names.length} alarms the stack exported exist in CloudWatch`,
      async run(ctx) {
        if (names.length === 0) return { status: "FAIL", message: "outputs.alarms.alarmNames is empty on platform aws: the stack created no alarms (alarms.enabled false?)" };
        const found = await describeAlarms(ctx, names, retry);
        const missing = names.filter((n) => !found.has(n));
        if (missing.length > 0) return { status: "FAIL", message: `${missing.length} of ${names.length} alarms are missing from CloudWatch in ${outputs.region}: ${list(missing)}` };
        return { status: "PASS", message: `all ${names.length} alarms exist` };
      },
    };

    const match: Check = {
      ...base,
      id: "alarms.match-catalogue",
      title: "alarms match the catalogue and the stack's thresholds (no drift)",
      async run(ctx) {
        const { prefix, specs } = expectedAlarms(outputs);
        if (prefix === undefined) return { status: "FAIL", message: "none of outputs.alarms.alarmNames is an alarm the catalogue expects for this topology; the outputs and the code disagree" };
        const notExported = specs.filter((s) => !names.includes(s.name)).map((s) => s.name);
        const found = await describeAlarms(ctx, specs.map((s) => s.name), retry);
        const topic = { warning: outputs.alarms.warningTopicArn, critical: outputs.alarms.criticalTopicArn };
        const problems: string[] = [];
        if (notExported.length > 0) problems.push(`the catalogue expects alarms the stack did not export: ${list(notExported)}`);
        for (const spec of specs) {
          const a = found.get(spec.name);
          if (!a) {
            if (!notExported.includes(spec.name)) problems.push(`${spec.name} is missing`);
            continue;
          }
          const drift = driftOf(spec, a, topic[spec.severity]);
          if (drift.length > 0) problems.push(`${spec.name}: ${drift.join("; ")}`);
        }
        if (problems.length > 0) return { status: "FAIL", message: `${problems.length} alarm${problems.length === 1 ? "" : "s"} drifted from the code: ${list(problems, 4)}` };
        const documented = specs.filter((s) => s.documented).length;
        return { status: "PASS", message: `${specs.length} alarms match the catalogue (${documented} at the documented thresholds, warning and critical)` };
      },
    };

    const firing: Check = {
      ...base,
      id: "alarms.none-critical",
      title: "no critical alarm is in ALARM",
      async run(ctx) {
        if (names.length === 0) return { status: "SKIP", message: "the stack exported no alarms" };
        const { specs } = expectedAlarms(outputs);
        const severity = (n: string) => specs.find((s) => s.name === n)?.severity ?? severityOfName(n);
        const found = await describeAlarms(ctx, names, retry);
        const inAlarm = [...found.values()].filter((a) => a.StateValue === "ALARM");
        const critical = inAlarm.filter((a) => severity(a.AlarmName!) !== "warning");
        const warning = inAlarm.filter((a) => severity(a.AlarmName!) === "warning");
        const describe = (a: MetricAlarm) => `${a.AlarmName} (${a.StateReason ?? "no reason given"})`;
        if (critical.length > 0) return { status: "FAIL", message: `${critical.length} critical alarm${critical.length === 1 ? " is" : "s are"} in ALARM: ${list(critical.map(describe), 3)}; see docs/runbook.md` };
        if (warning.length > 0) return { status: "WARN", message: `${warning.length} warning alarm${warning.length === 1 ? " is" : "s are"} in ALARM: ${list(warning.map(describe), 3)}` };
        const insufficient = [...found.values()].filter((a) => a.StateValue === "INSUFFICIENT_DATA").length;
        return { status: "PASS", message: `no alarm is in ALARM (${found.size - insufficient} OK, ${insufficient} without data yet)` };
      },
    };
    return [exist, match, firing];
  };
}

export const alarmChecks: CheckFactory = alarmChecksWith();
