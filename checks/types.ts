/**
 * The smoke suite's vocabulary. A check reads the stack-output contract (and, on AWS,
 * AWS APIs) and returns an outcome; the runner adds timing, timeouts and reports.
 */
import type { StackOutputs } from "../components/contract/outputs";

export type Status = "PASS" | "WARN" | "FAIL" | "SKIP";

/** A custom metric a check measured, publishable to CloudWatch (`--publish-metrics`). */
export interface MeasuredMetric {
  /** Metric name in the stack's custom namespace, e.g. "PartitionRowDelta". */
  name: string;
  dimensions: Record<string, string>;
  value: number;
  unit: "Count" | "Percent" | "Seconds" | "Milliseconds";
}

export interface CheckOutcome {
  status: Status;
  /** One sentence a person on call can act on. Never holds a secret. */
  message: string;
  /** What was measured, in the threshold's unit. */
  measured?: { value: number; unit: string };
  /** The threshold it was held against, e.g. "warning > 10 s, critical > 30 s". */
  threshold?: string;
  metrics?: MeasuredMetric[];
}

export interface CheckContext {
  outputs: StackOutputs;
  /** Aborted when the check's own timeout or the suite's deadline passes. */
  signal: AbortSignal;
  /** Milliseconds this check may still take (own timeout, capped by the deadline). */
  timeoutMs: number;
  /** Records what the check is doing now, so a timeout can say what it was waiting for. */
  step?(what: string): void;
  /**
   * Marks one of possibly several concurrent waits (one per connection) as begun; the
   * returned function ends it. A timeout names every wait still open, so concurrent
   * connections in one check never borrow each other's label.
   */
  begin?(what: string): () => void;
}

export interface Check {
  /** Stable id, e.g. "redis.replica-read.node-2"; used in reports and --only filters. */
  id: string;
  /** Group from design.md: system, partition, cache, database, pgbouncer, alarms. */
  group: "system" | "partition" | "cache" | "database" | "pgbouncer" | "alarms";
  /** Human title. */
  title: string;
  /** Own timeout; the runner default applies when absent. */
  timeoutMs?: number;
  /** Platforms it applies to; absent means every platform. */
  platforms?: StackOutputs["platform"][];
  /**
   * Times something on the client (GET p99): run after every other check has a result,
   * one at a time, so the suite's own concurrent checks do not stall this process's event
   * loop inside the measurement (GET p99 was 4-5 ms alone, 21-172 ms among 40 checks).
   */
  alone?: boolean;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

/** Builds the checks for one stack's outputs (their number follows the topology). */
export type CheckFactory = (outputs: StackOutputs) => Check[];
