/**
 * How the integration tests judge a run with the load-sensitive checks
 * (checks/loadSensitive.ts) left out of their status comparisons.
 */
import type { SuiteReport } from "../checks/suite";
import { LOAD_SENSITIVE } from "../checks/loadSensitive";

export { LOAD_SENSITIVE };

/** The report's results without the load-sensitive checks. */
export function faultResults(r: SuiteReport): SuiteReport["results"] {
  return r.results.filter((x) => !LOAD_SENSITIVE.has(x.id));
}

/**
 * The exit code of a healthy run: 0, unless the machine's load alone pushed a
 * load-sensitive check to WARN (1) or FAIL (2).
 */
export function healthyExitCode(r: SuiteReport): number {
  const load = r.results.filter((x) => LOAD_SENSITIVE.has(x.id)).map((x) => x.status);
  return load.includes("FAIL") ? 2 : load.includes("WARN") ? 1 : 0;
}

/** The overall verdict of a healthy run, by the same rule. */
export function healthyOverall(r: SuiteReport): SuiteReport["overall"] {
  return (["healthy", "degraded", "unhealthy"] as const)[healthyExitCode(r)];
}
