/**
 * Post-run hooks: work done with a finished report, such as publishing the measured
 * metrics to CloudWatch (`--publish-metrics`). Hooks are listed in registry.ts.
 */
import type { StackOutputs } from "../components/contract/outputs";
import type { CheckResult, Overall } from "./runner";
import type { MeasuredMetric, Status } from "./types";

export interface PostRunInput {
  outputs: StackOutputs;
  /** The finished, redacted report. */
  report: SuiteReport;
  /** Every metric every check measured, in check order. */
  metrics: MeasuredMetric[];
  /** Aborted when the hook's timeout passes. */
  signal: AbortSignal;
}

export interface PostRunHook {
  /** Stable name, shown in reports, e.g. "publish-metrics". */
  name: string;
  /**
   * Command-line flag that turns the hook on, e.g. `{ flags: "--publish-metrics", description: "..." }`.
   * The CLI adds it; runSuite runs the hook when its name is in `options.enabledHooks`.
   * A hook without a flag always runs.
   */
  flag?: { flags: string; description: string };
  /** @default 15000 */
  timeoutMs?: number;
  /** Returns a one-line summary for the report; throws to fail (exit code 4 unless unhealthy). */
  run(input: PostRunInput): Promise<string | void>;
}

export interface HookResult {
  name: string;
  ok: boolean;
  message: string;
  durationMs: number;
}

/** One run of the suite: what the reports print and the hooks read. */
export interface SuiteReport {
  suite: "data-tier smoke";
  environment: string;
  platform: StackOutputs["platform"];
  startedAt: string;
  overall: Overall;
  exitCode: number;
  failOn: "fail" | "warn";
  counts: Record<Status, number>;
  /** Wall time of the checks, milliseconds. */
  wallTimeMs: number;
  /** Sum of the checks' durations, milliseconds (what a sequential run would roughly take). */
  sumCheckMs: number;
  defaultTimeoutMs: number;
  deadlineMs: number;
  results: CheckResult[];
  metrics: MeasuredMetric[];
  hooks: HookResult[];
}
