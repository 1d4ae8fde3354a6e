/**
 * A drill's verdict: one line a newcomer reads without the source, and the PASS/FAIL
 * judgement against the drill's promise. Pure (both runners, the sandbox's processes and
 * the dev stack's containers, print it through here), so the wording is tested once.
 *
 * The promise of every drill has the same three parts:
 * - service comes back within `serviceWithinMs` of the break (writes acknowledged again,
 *   reads answered, the port answering: what "service" means is in `serviceWhat`);
 * - nothing that was acknowledged is lost (`lost.count` at most `lost.allowed`);
 * - the topology converges again (the suite's checks for what the drill touched are
 *   healthy: sandbox/convergence.ts) within `healedWithinMs` of the break.
 * A figure that was not measured (null) breaks the promise: a drill that cannot tell
 * does not pass.
 */

export interface DrillVerdictInput {
  drill: string;
  /** What the drill broke, in words: "kill -9 of the Redis master redis-0". */
  broke: string;
  /** What "service back" means for this drill: "a write acknowledged by a replica (WAIT 1)". */
  serviceWhat: string;
  /** Break -> service back, ms; null: never seen within the drill's bounds. */
  serviceBackMs: number | null;
  /** Break -> converged again (the suite's checks for the parts touched healthy), ms; null: not within the bound. */
  healedMs: number | null;
  /** What was lost: `count` of `of` things named `what`; count null: not measured. */
  lost: { what: string; count: number | null; of?: number; allowed?: number; /** Why the count is what it is, shown once after it. */ note?: string };
  /** heldMs: how long the drill's caller held the fault in place (a test's hook); the bounds above already include it. */
  promise: { serviceWithinMs: number; healedWithinMs: number; heldMs?: number };
  /** Why it is not healed, when not (the checks still failing), shown after FAIL. */
  unhealed?: string[];
  /** Other broken promises the drill itself found (e.g. "a failed read after the router's bound"). */
  broken?: string[];
}

export interface DrillJudgement {
  pass: boolean;
  /** Each broken promise, in words; empty when PASS. */
  reasons: string[];
}

/** Seconds with one decimal: "3.3 s". Durations in the verdict all read this way. */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** PASS when every part of the promise holds and every figure was measured. */
export function judgeDrill(v: DrillVerdictInput): DrillJudgement {
  const reasons: string[] = [];
  const { serviceWithinMs, healedWithinMs } = v.promise;
  if (v.serviceBackMs === null) reasons.push(`service did not come back within the drill's bounds`);
  else if (v.serviceBackMs > serviceWithinMs) reasons.push(`service came back after ${seconds(v.serviceBackMs)}, later than the promised ${seconds(serviceWithinMs)}`);
  const allowed = v.lost.allowed ?? 0;
  if (v.lost.count === null) reasons.push(`${v.lost.what} lost: not measured`);
  else if (v.lost.count > allowed) reasons.push(`${v.lost.count} ${v.lost.what} lost (at most ${allowed} promised)`);
  if (v.healedMs === null) reasons.push(`not healed within ${seconds(healedWithinMs)}${v.unhealed?.length ? ` (still: ${v.unhealed.join("; ")})` : ""}`);
  else if (v.healedMs > healedWithinMs) reasons.push(`healed after ${seconds(v.healedMs)}, later than the promised ${seconds(healedWithinMs)}`);
  reasons.push(...(v.broken ?? []));
  return { pass: reasons.length === 0, reasons };
}

/**
 * The verdict line, printed once at the end of a drill:
 * `verdict redis-failover: PASS. Broke: kill -9 of ...; service back after 3.3 s (a write
 * acknowledged ...); fully healed after 7.9 s; lost: 0 of 723 acknowledged writes.
 * Promise: service within 30.0 s, healed within 60.0 s, no acknowledged writes lost.`
 * A FAIL adds `Broken: ...` with each reason.
 */
export function formatVerdict(v: DrillVerdictInput, j: DrillJudgement = judgeDrill(v)): string {
  const service = v.serviceBackMs === null ? `service not back` : `service back after ${seconds(v.serviceBackMs)}`;
  const healed = v.healedMs === null ? `not healed within ${seconds(v.promise.healedWithinMs)}` : `fully healed after ${seconds(v.healedMs)}`;
  const lost = v.lost.count === null ? `lost: not measured (${v.lost.what})` : `lost: ${v.lost.count}${v.lost.of === undefined ? "" : ` of ${v.lost.of}`} ${v.lost.what}${v.lost.note ? ` (${v.lost.note})` : ""}`;
  const allowed = v.lost.allowed ?? 0;
  const held = v.promise.heldMs ? ` (the bounds include the ${seconds(v.promise.heldMs)} the caller held the fault in place)` : "";
  const promise = `Promise: service within ${seconds(v.promise.serviceWithinMs)}, healed within ${seconds(v.promise.healedWithinMs)}, ${allowed === 0 ? "no" : `at most ${allowed}`} ${v.lost.what} lost${held}.`;
  const head = `verdict ${v.drill}: ${j.pass ? "PASS" : "FAIL"}. Broke: ${v.broke}; ${service} (${v.serviceWhat}); ${healed}; ${lost}. ${promise}`;
  return j.pass ? head : `${head} Broken: ${j.reasons.join("; ")}.`;
}
