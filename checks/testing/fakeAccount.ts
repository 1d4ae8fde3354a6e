/**
 * Test helpers: the CloudWatch account a program run would produce (each registered
 * aws:cloudwatch MetricAlarm as DescribeAlarms returns it), and contract outputs for
 * such a run, so the alarm checks can be held against what the code really creates.
 */
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import type { StackOutputs } from "../../components/contract/outputs";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import type { ProgramRun } from "../../testing/harness";

type Inputs = Record<string, unknown>;
const dims = (d: unknown) => Object.entries((d ?? {}) as Record<string, string>).map(([Name, Value]) => ({ Name, Value }));

/** DescribeAlarms' view of one registered MetricAlarm's inputs. */
export function describedAlarm(i: Inputs, state: MetricAlarm["StateValue"] = "OK"): MetricAlarm {
  const queries = (i.metricQueries ?? []) as Inputs[];
  return {
    AlarmName: i.name as string,
    AlarmDescription: i.alarmDescription as string,
    Threshold: i.threshold as number,
    ComparisonOperator: i.comparisonOperator as MetricAlarm["ComparisonOperator"],
    EvaluationPeriods: i.evaluationPeriods as number,
    DatapointsToAlarm: i.datapointsToAlarm as number,
    TreatMissingData: i.treatMissingData as string,
    ActionsEnabled: i.actionsEnabled as boolean,
    AlarmActions: i.alarmActions as string[],
    OKActions: i.okActions as string[],
    ...(i.metricName
      ? { Namespace: i.namespace as string, MetricName: i.metricName as string, Statistic: i.statistic as MetricAlarm["Statistic"], Dimensions: dims(i.dimensions), Period: i.period as number }
      : {
          Metrics: queries.map((q) => {
            const m = q.metric as Inputs | undefined;
            return {
              Id: q.id as string,
              ReturnData: q.returnData as boolean,
              ...(q.label ? { Label: q.label as string } : {}),
              ...(q.expression ? { Expression: q.expression as string } : {}),
              ...(m ? { MetricStat: { Metric: { Namespace: m.namespace as string, MetricName: m.metricName as string, Dimensions: dims(m.dimensions) }, Stat: m.stat as string, Period: m.period as number } } : {}),
            };
          }),
        }),
    StateValue: state,
    StateReason: state === "ALARM" ? "Threshold Crossed: 3 out of the last 5 datapoints were beyond the threshold" : "Threshold Crossed: no datapoints were beyond the threshold",
  };
}

export function accountFromRun(run: ProgramRun): MetricAlarm[] {
  return run.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm").map((r) => describedAlarm(r.inputs));
}

/** Contract outputs for a run: the run's own fields over a complete sample (slices not yet in the program keep sample values). */
export function outputsFromRun(run: ProgramRun): StackOutputs {
  const o = sampleOutputs();
  const keys = ["environment", "production", "platform", "region", "thresholds", "redis", "postgres", "pgbouncer", "alarms", "checks"] as const;
  for (const k of keys) if (run.outputs[k] !== undefined) (o as Record<string, unknown>)[k] = run.outputs[k];
  return o;
}
