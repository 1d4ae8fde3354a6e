/** Thresholds, percentiles and waiting: the small arithmetic the checks share. */
import type { StackOutputs } from "../../components/contract/outputs";
import { classify, DOCUMENTED_THRESHOLDS, formatLevel, type ThresholdDefinition, type ThresholdKey } from "../../components/thresholds/thresholds";
import type { CheckOutcome, MeasuredMetric, Status } from "../types";

/** The stack's effective threshold (levels from the outputs, label from the documented table). */
export function thresholdOf(outputs: StackOutputs, key: ThresholdKey): ThresholdDefinition {
  const t = outputs.thresholds[key];
  return { ...DOCUMENTED_THRESHOLDS[key], warning: t.warning, critical: t.critical, unit: t.unit, comparison: t.comparison };
}

/** e.g. "warning > 10 s, critical > 30 s". */
export function describeThreshold(def: ThresholdDefinition): string {
  return `warning ${formatLevel(def, def.warning)}, critical ${formatLevel(def, def.critical)}`;
}

export function statusFor(def: ThresholdDefinition, value: number): Status {
  const level = classify(def, value);
  return level === "critical" ? "FAIL" : level === "warning" ? "WARN" : "PASS";
}

/** An outcome held against a threshold; the message gets the verdict appended when not PASS. */
export function judged(def: ThresholdDefinition, value: number, message: string, metrics?: MeasuredMetric[]): CheckOutcome {
  const status = statusFor(def, value);
  const level = status === "FAIL" ? `critical level ${formatLevel(def, def.critical)}` : `warning level ${formatLevel(def, def.warning)}`;
  return {
    status,
    message: status === "PASS" ? message : `${message}: beyond the ${level}`,
    measured: { value, unit: def.unit },
    threshold: describeThreshold(def),
    ...(metrics ? { metrics } : {}),
  };
}

/** Nearest-rank percentile of a non-empty sample. */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) throw new Error("percentile of an empty sample");
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error("aborted"));
    };
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Runs `fn` on every item concurrently and keeps each outcome (never rejects). */
export function settleAll<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  return Promise.allSettled(items.map(fn));
}

/** Moved to the one client module; re-exported for the checks that import them from here. */
export { connectReason, errorText } from "../../components/clients/errors";
