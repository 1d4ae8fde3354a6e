/**
 * The programmatic API: build the checks for a stack's outputs, run them, run the
 * post-run hooks, and return one redacted report. Used by the CLI, the demo and tests.
 */
import { parseStackOutputs, type StackOutputs } from "../components/contract/outputs";
import { UsageError } from "./errors";
import type { HookResult, PostRunHook, SuiteReport } from "./hooks";

export type { SuiteReport } from "./hooks";
import { redactorForOutputs } from "./redact";
import { CHECK_FACTORIES, POST_RUN_HOOKS } from "./registry";
import { countStatuses, DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_DEADLINE_MS, EXIT, exitCodeFor, overallStatus, runChecks } from "./runner";
import { matchesOnly, parseOnly } from "./select";
import type { CheckFactory } from "./types";

export interface SuiteOptions {
  /** `--only` pattern (see select.ts). @default every check */
  only?: string;
  /** Per-check timeout when a check sets none. @default 5000 */
  timeoutMs?: number;
  /** Deadline for all checks together. @default 60000 */
  deadlineMs?: number;
  /** "warn" makes a degraded run exit 2. @default "fail" */
  failOn?: "fail" | "warn";
  /** @default CHECK_FACTORIES from registry.ts */
  factories?: CheckFactory[];
  /** @default POST_RUN_HOOKS from registry.ts */
  hooks?: PostRunHook[];
  /** Names of flagged hooks to run (the CLI passes the flags that were given). */
  enabledHooks?: string[];
}


const DEFAULT_HOOK_TIMEOUT_MS = 15_000;

/** Every check the factories build for these outputs, filtered by `only`. */
export function buildChecks(outputs: StackOutputs, factories: CheckFactory[] = CHECK_FACTORIES, only?: string) {
  const all = factories.flatMap((f) => f(outputs));
  const seen = new Set<string>();
  for (const c of all) {
    if (seen.has(c.id)) throw new Error(`two checks share the id "${c.id}"`);
    seen.add(c.id);
  }
  if (only === undefined) return all;
  const patterns = parseOnly(only);
  const picked = all.filter((c) => matchesOnly(c, patterns));
  if (picked.length === 0) throw new UsageError(`--only "${only}" matches none of the ${all.length} checks (groups: ${[...new Set(all.map((c) => c.group))].join(", ")}; ids such as ${all.slice(0, 3).map((c) => c.id).join(", ")})`);
  return picked;
}

async function runHook(hook: PostRunHook, input: Omit<Parameters<PostRunHook["run"]>[0], "signal">, redact: (s: string) => string): Promise<HookResult> {
  const t0 = performance.now();
  const ctl = new AbortController();
  const ms = hook.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS;
  const timer = setTimeout(() => ctl.abort(), ms);
  const timedOut = new Promise<never>((_, reject) => ctl.signal.addEventListener("abort", () => reject(new Error(`timed out after ${ms} ms`)), { once: true }));
  timedOut.catch(() => undefined);
  try {
    const msg = await Promise.race([hook.run({ ...input, signal: ctl.signal }), timedOut]);
    return { name: hook.name, ok: true, message: redact(msg || "done"), durationMs: Math.round(performance.now() - t0) };
  } catch (e) {
    return { name: hook.name, ok: false, message: redact(e instanceof Error ? e.message : String(e)), durationMs: Math.round(performance.now() - t0) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Refuses what is not an outputs document before any check reads it: a partial sandbox's
 * `outputs` is null (SandboxInfo), and a null part crashed the checks with a TypeError.
 * Throws UsageError (exit 3) for a missing document, ContractError (exit 3) naming every
 * field that does not match the contract.
 */
function requireOutputs(outputs: unknown): void {
  if (outputs === null || outputs === undefined) {
    throw new UsageError(`the smoke suite was given no stack outputs (${String(outputs)}): a sandbox started with only some of its parts (startSandbox "parts") writes none; start it with redis, postgres and pgbouncer, or pass an outputs document`);
  }
  parseStackOutputs(outputs, "the outputs given to runSuite");
}

export async function runSuite(outputs: StackOutputs, options: SuiteOptions = {}): Promise<SuiteReport> {
  requireOutputs(outputs);
  const redact = redactorForOutputs(outputs);
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const failOn = options.failOn ?? "fail";
  const checks = buildChecks(outputs, options.factories, options.only);
  const run = await runChecks(checks, { outputs, defaultTimeoutMs, deadlineMs, redact });
  const overall = overallStatus(run.results.map((r) => r.status));
  const metrics = run.results.flatMap((r) => r.metrics);
  const report: SuiteReport = {
    suite: "data-tier smoke",
    environment: outputs.environment,
    platform: outputs.platform,
    startedAt: run.startedAt,
    overall,
    exitCode: exitCodeFor(overall, failOn),
    failOn,
    counts: countStatuses(run.results),
    wallTimeMs: run.wallTimeMs,
    sumCheckMs: run.sumCheckMs,
    defaultTimeoutMs,
    deadlineMs,
    results: run.results,
    metrics,
    hooks: [],
  };
  const enabled = new Set(options.enabledHooks ?? []);
  for (const hook of options.hooks ?? POST_RUN_HOOKS) {
    if (hook.flag && !enabled.has(hook.name)) continue;
    report.hooks.push(await runHook(hook, { outputs, report, metrics }, redact));
  }
  if (report.hooks.some((h) => !h.ok) && report.exitCode !== EXIT.unhealthy) report.exitCode = EXIT.internal;
  return report;
}
