/**
 * Where a review's time goes, for `npm run bench:review` (docs/review.md#where-the-time-goes):
 * with REVIEW_TIMINGS=1 the review writes one line to stderr, `review-timings {...}`, with
 * the milliseconds since the process started at which each phase ended. Off by default:
 * nothing is printed and the report is unchanged.
 */
import { performance } from "node:perf_hooks";

export const TIMINGS_ENV = "REVIEW_TIMINGS";
export const TIMINGS_PREFIX = "review-timings ";

export interface Timings {
  mark(phase: string): void;
  /** Writes the line (once) when enabled. */
  report(write?: (line: string) => void): void;
}

export function timings(env: NodeJS.ProcessEnv = process.env): Timings {
  const marks: Record<string, number> = {};
  const on = env[TIMINGS_ENV] === "1";
  return {
    mark(phase) {
      // performance.now() counts from the process's start: node's own boot, the launcher
      // and the CLI's imports are the first phase.
      if (on) marks[phase] = Math.round(performance.now());
    },
    report(write = (l) => process.stderr.write(`${l}\n`)) {
      if (on) write(`${TIMINGS_PREFIX}${JSON.stringify(marks)}`);
    },
  };
}
