/**
 * `npm run check -- --publish-metrics`: the metrics the checks measured (PartitionRowDelta
 * per table pair, CacheGetTimeP99, ...) go to CloudWatch as custom metrics in
 * `outputs.alarms.customMetricNamespace`, with the `Environment` dimension the alarms
 * select on. Off AWS there is no CloudWatch: it reports what it would publish.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { CUSTOM_METRICS } from "../../components/alarms/catalogue";
import type { StackOutputs } from "../../components/contract/outputs";
import type { PostRunHook } from "../hooks";
import { awsCall, type RetryPolicy } from "../lib/aws";
import type { MeasuredMetric } from "../types";

/** Data per PutMetricData call: far under the API's limits (1000 datums, 1 MB). */
const DATUMS_PER_CALL = 150;
const CALL_TIMEOUT_MS = 5_000;

export interface PublishOptions {
  /** Print instead of calling CloudWatch. */
  dryRun: boolean;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Injected in tests; default a client for outputs.region. */
  client?: CloudWatchClient;
  now?: () => Date;
}

export interface PublishResult {
  namespace: string;
  published: number;
  dryRun: boolean;
  /** One line per metric, e.g. "PartitionRowDelta{Environment=prod,Table=orders} = 3 Count". */
  lines: string[];
}

/** The datum the alarms expect: the check's dimensions plus Environment. */
export function toDatum(m: MeasuredMetric, outputs: StackOutputs, at: Date): MetricDatum {
  const dimensions = { Environment: outputs.environment, ...m.dimensions };
  return { MetricName: m.name, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })), Value: m.value, Unit: m.unit, Timestamp: at };
}

function describeDatum(d: MetricDatum): string {
  return `${d.MetricName}{${(d.Dimensions ?? []).map((x) => `${x.Name}=${x.Value}`).join(",")}} = ${d.Value} ${d.Unit}`;
}

export async function publishMetrics(metrics: MeasuredMetric[], outputs: StackOutputs, opts: PublishOptions): Promise<PublishResult> {
  const namespace = outputs.alarms.customMetricNamespace;
  const at = (opts.now ?? (() => new Date()))();
  const bad = metrics.filter((m) => !Number.isFinite(m.value));
  if (bad.length > 0) throw new Error(`refusing to publish non-numeric values for ${bad.map((m) => m.name).join(", ")}`);
  // The heartbeat: one datum per finished run, what the monitor alarm (scheduled-checks-silent) watches.
  const heartbeat: MeasuredMetric = { name: CUSTOM_METRICS.suiteRuns.metricName, dimensions: {}, value: 1, unit: "Count" };
  const datums = [...metrics, heartbeat].map((m) => toDatum(m, outputs, at));
  const lines = datums.map(describeDatum);
  if (opts.dryRun || datums.length === 0) return { namespace, published: 0, dryRun: opts.dryRun, lines };
  if (!outputs.region) throw new Error("outputs.region is null; publishing metrics needs the stack's region");

  const signal = opts.signal ?? AbortSignal.timeout(15_000);
  const client = opts.client ?? new CloudWatchClient({ region: outputs.region, maxAttempts: 1, requestHandler: { connectionTimeout: 2_000, requestTimeout: CALL_TIMEOUT_MS } });
  const ctx = { outputs, signal, timeoutMs: CALL_TIMEOUT_MS };
  try {
    for (let i = 0; i < datums.length; i += DATUMS_PER_CALL) {
      const batch = datums.slice(i, i + DATUMS_PER_CALL);
      await awsCall(ctx, `CloudWatch PutMetricData (${batch.length} metrics to ${namespace})`, (abortSignal) => client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: batch }), { abortSignal }), opts.retry);
    }
  } finally {
    if (!opts.client) client.destroy();
  }
  return { namespace, published: datums.length, dryRun: false, lines };
}

/** The post-run hook behind `--publish-metrics`. */
export function publishMetricsHook(overrides: Pick<PublishOptions, "client" | "retry"> = {}): PostRunHook {
  return {
    name: "publish-metrics",
    flag: { flags: "--publish-metrics", description: "publish the measured metrics (PartitionRowDelta, CacheGetTimeP99, ...) to CloudWatch on aws; elsewhere print what would be published" },
    timeoutMs: 20_000,
    async run({ outputs, metrics, signal }) {
      const dryRun = outputs.platform !== "aws";
      const r = await publishMetrics(metrics, outputs, { dryRun, signal, ...overrides });
      if (r.lines.length === 0) return "no metrics were measured; nothing to publish";
      return dryRun
        ? `dry run (platform ${outputs.platform} has no CloudWatch): would publish ${r.lines.length} metric(s) to ${r.namespace}: ${r.lines.join("; ")}`
        : `published ${r.published} metric(s) to ${r.namespace}: ${r.lines.join("; ")}`;
    },
  };
}

export const PUBLISH_METRICS_HOOK = publishMetricsHook();
