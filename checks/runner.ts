/**
 * Runs checks concurrently, each under its own timeout and all under one deadline,
 * and turns whatever happens (a result, a throw, a hang) into a result line. A check
 * that ignores its AbortSignal still cannot hold the suite: the runner stops waiting.
 */
import type { StackOutputs } from "../components/contract/outputs";
import type { Check, CheckContext, CheckOutcome, MeasuredMetric, Status } from "./types";

export const DEFAULT_CHECK_TIMEOUT_MS = 5_000;
export const DEFAULT_DEADLINE_MS = 60_000;

export type Overall = "healthy" | "degraded" | "unhealthy";

/** Exit codes of `npm run check` (docs/checks.md). */
export const EXIT = {
  healthy: 0,
  degraded: 1,
  unhealthy: 2,
  /** Malformed or incomplete outputs, or a bad command line. */
  usage: 3,
  /** The suite itself broke (a bug, a failed post-run hook). */
  internal: 4,
} as const;

export interface CheckResult {
  id: string;
  group: Check["group"];
  title: string;
  status: Status;
  message: string;
  measured?: { value: number; unit: string };
  threshold?: string;
  metrics: MeasuredMetric[];
  /** Wall time this check took, milliseconds. */
  durationMs: number;
}

export interface RunOptions {
  outputs: StackOutputs;
  /** Per-check timeout when the check sets none. @default 5000 */
  defaultTimeoutMs?: number;
  /** Global deadline for the whole run. @default 60000 */
  deadlineMs?: number;
  /** Applied to every message before it leaves the runner. */
  redact?: (text: string) => string;
}

export interface RunResult {
  results: CheckResult[];
  /** Wall time of the run, milliseconds. */
  wallTimeMs: number;
  /** Sum of the checks' own durations (> wall time when they overlap). */
  sumCheckMs: number;
  startedAt: string;
}

class Stopped extends Error {}

function describeError(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return e.errors.map(describeError).join("; ");
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** One check, bounded by its own timer and the shared deadline signal. */
async function runOne(check: Check, outputs: StackOutputs, defaultTimeoutMs: number, deadline: { signal: AbortSignal; endsAt: number; ms: number }): Promise<Omit<CheckResult, "durationMs">> {
  const base = { id: check.id, group: check.group, title: check.title, metrics: [] as MeasuredMetric[] };
  if (check.platforms && !check.platforms.includes(outputs.platform)) {
    return { ...base, status: "SKIP", message: `applies to platform ${check.platforms.join("/")} only; this stack is on ${outputs.platform}` };
  }
  const own = check.timeoutMs ?? defaultTimeoutMs;
  const remaining = Math.max(0, deadline.endsAt - Date.now());
  const timeoutMs = Math.min(own, remaining);
  const byDeadline = timeoutMs < own;
  let step = "";
  // Concurrent waits still open (one per connection); a timeout names all of them.
  const open = new Map<number, string>();
  let nextWait = 0;
  const begin = (what: string) => {
    const id = nextWait++;
    open.set(id, what);
    return () => void open.delete(id);
  };
  const timer = new AbortController();
  const signal = AbortSignal.any([timer.signal, deadline.signal]);
  const ctx: CheckContext = { outputs, signal, timeoutMs, step: (what) => void (step = what), begin };
  const started = Date.now();
  const why = (): string => {
    const waited = Date.now() - started;
    const waits = [...new Set(open.values())];
    // One wait open: the latest step says more (e.g. which key on which node). Several:
    // the step may have been set by a connection that already answered; name them all.
    const doing = waits.length > 1 ? ` while ${waits.join("; ")}` : step ? ` while ${step}` : waits.length === 1 ? ` while ${waits[0]}` : "";
    // The capped timer and the deadline fire together; either way it was the deadline.
    return deadline.signal.aborted || byDeadline ? `stopped after ${waited} ms by the suite deadline of ${deadline.ms} ms${doing}` : `timed out after ${own} ms${doing}`;
  };
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    onAbort = () => reject(new Stopped());
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  const t = setTimeout(() => timer.abort(new Stopped("check timeout")), timeoutMs);
  try {
    const outcome: CheckOutcome = await Promise.race([Promise.resolve().then(() => check.run(ctx)), stopped]);
    return { ...base, ...outcome, metrics: outcome.metrics ?? [] };
  } catch (e) {
    if (e instanceof Stopped || signal.aborted) return { ...base, status: "FAIL", message: why() };
    return { ...base, status: "FAIL", message: describeError(e) };
  } finally {
    clearTimeout(t);
    if (onAbort) signal.removeEventListener("abort", onAbort);
    stopped.catch(() => undefined);
  }
}

/**
 * Runs every check at once, then the `alone` checks one after another (they time
 * something on this client); resolves when all have a result or the deadline has passed.
 * Results keep the checks' order.
 */
export async function runChecks(checks: Check[], options: RunOptions): Promise<RunResult> {
  const defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const redact = options.redact ?? ((s: string) => s);
  const startedAt = new Date();
  const t0 = performance.now();
  const deadlineCtl = new AbortController();
  const deadlineTimer = setTimeout(() => deadlineCtl.abort(new Stopped("deadline")), deadlineMs);
  const deadline = { signal: deadlineCtl.signal, endsAt: Date.now() + deadlineMs, ms: deadlineMs };
  try {
    const runTimed = async (check: Check): Promise<CheckResult> => {
      const c0 = performance.now();
      const r = await runOne(check, options.outputs, defaultTimeoutMs, deadline);
      const durationMs = Math.round((performance.now() - c0) * 10) / 10;
      return { ...r, message: redact(r.message), threshold: r.threshold === undefined ? undefined : redact(r.threshold), durationMs };
    };
    const results: CheckResult[] = new Array<CheckResult>(checks.length);
    await Promise.all(checks.map(async (c, i) => (c.alone ? undefined : (results[i] = await runTimed(c)))));
    for (const [i, c] of checks.entries()) if (c.alone) results[i] = await runTimed(c);
    const wallTimeMs = Math.round((performance.now() - t0) * 10) / 10;
    const sumCheckMs = Math.round(results.reduce((s, r) => s + r.durationMs, 0) * 10) / 10;
    return { results, wallTimeMs, sumCheckMs, startedAt: startedAt.toISOString() };
  } finally {
    clearTimeout(deadlineTimer);
  }
}

/** healthy: only PASS/SKIP; degraded: some WARN; unhealthy: any FAIL. */
export function overallStatus(statuses: Status[]): Overall {
  if (statuses.includes("FAIL")) return "unhealthy";
  if (statuses.includes("WARN")) return "degraded";
  return "healthy";
}

/**
 * Exit code for an overall status. `failOn: "warn"` makes a degraded run exit like an
 * unhealthy one (2), for gates that stop on any warning.
 */
export function exitCodeFor(overall: Overall, failOn: "fail" | "warn" = "fail"): number {
  if (overall === "degraded" && failOn === "warn") return EXIT.unhealthy;
  return EXIT[overall];
}

export function countStatuses(results: { status: Status }[]): Record<Status, number> {
  const counts: Record<Status, number> = { PASS: 0, WARN: 0, FAIL: 0, SKIP: 0 };
  for (const r of results) counts[r.status] += 1;
  return counts;
}
