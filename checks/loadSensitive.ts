/**
 * Checks whose verdict follows the host's load rather than a fault: GET p99 against
 * 50 ms on a 2-core host that other runs keep busy. Drills leave them out of "converged",
 * and the integration tests out of their status comparisons; their judging is pinned by
 * unit tests against scripted servers (checks/getLatency.test.ts), so they can still fail.
 */
export const LOAD_SENSITIVE: ReadonlySet<string> = new Set(["redis.get-latency"]);
