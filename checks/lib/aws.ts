/**
 * AWS API calls for checks: one retry policy (ours, so it behaves the same under
 * aws-sdk-client-mock as against AWS), bounded by the check's signal, with errors that
 * say which call failed and why.
 */
import type { StackOutputs } from "../../components/contract/outputs";
import type { CheckContext } from "../types";
import { errorText, sleep } from "./measure";
import { CONNECT_TIMEOUT_MS } from "./redis";

export interface RetryPolicy {
  /** Attempts in all, first included. @default 3 */
  attempts: number;
  /** Backoff before attempt n+1: base * 2^(n-1), with jitter. @default 250 */
  baseDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 250 };

const THROTTLING = new Set(["Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown", "PriorRequestNotComplete"]);

export function isThrottling(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $retryable?: { throttling?: boolean }; $metadata?: { httpStatusCode?: number } };
  return THROTTLING.has(err?.name ?? "") || THROTTLING.has(err?.Code ?? "") || err?.$retryable?.throttling === true || err?.$metadata?.httpStatusCode === 429;
}

/** Client settings: the stack's region, no SDK retries (awsCall retries), short connect timeout. */
export function clientConfig(outputs: StackOutputs, ctx: CheckContext) {
  if (!outputs.region) throw new Error("outputs.region is null; the AWS checks need the stack's region");
  return { region: outputs.region, maxAttempts: 1, requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, requestTimeout: Math.max(1, ctx.timeoutMs) } };
}

/**
 * Runs `call` with the check's abort signal; a throttled call is retried with backoff,
 * and after the last attempt fails with a message saying it was throttled.
 */
export async function awsCall<T>(ctx: CheckContext, what: string, call: (abortSignal: AbortSignal) => Promise<T>, retry: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    ctx.step?.(`calling ${what}${attempt > 1 ? ` (attempt ${attempt})` : ""}`);
    try {
      return await call(ctx.signal);
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      if (!isThrottling(e)) throw new Error(`${what} failed: ${(e as Error).name && (e as Error).name !== "Error" ? `${(e as Error).name}: ` : ""}${errorText(e)}`);
      if (attempt >= retry.attempts) throw new Error(`${what} was throttled by AWS on all ${retry.attempts} attempts (${(e as Error).name}: ${errorText(e)}); retry later or raise the account's API rate limit`);
      const delay = retry.baseDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
      await sleep(delay, ctx.signal);
    }
  }
}
