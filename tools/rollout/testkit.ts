/** Fixtures for the rollout's tests: suite reports as the runner returns them, without servers. */
import type { SuiteReport } from "../../checks/suite";
import { countStatuses, exitCodeFor, overallStatus } from "../../checks/runner";
import type { Status } from "../../checks/types";

const PAIRS = ["revenue_transactions", "expense_transactions"];
const GROUP: Record<string, SuiteReport["results"][number]["group"]> = { partition: "partition", redis: "cache", postgres: "database", pgbouncer: "pgbouncer" };

/** Every partition readiness check and a few others, PASS unless `statuses` says otherwise. */
export function suiteReport(statuses: Record<string, Status> = {}): SuiteReport {
  const ids = [
    "redis.ping",
    "postgres.replicas",
    ...PAIRS.flatMap((t) => [`partition.row-delta.${t}`, `partition.partitions.${t}_partitioned`, `partition.dual-write.${t}`, `partition.recent-writes.${t}_partitioned`, `partition.reconcile.${t}`]),
  ];
  const results = [...new Set([...ids, ...Object.keys(statuses)])].map((id) => ({
    id,
    group: GROUP[id.split(".")[0]] ?? "system",
    title: id,
    status: statuses[id] ?? ("PASS" as Status),
    message: statuses[id] && statuses[id] !== "PASS" ? `${id} is ${statuses[id]}` : "ok",
    metrics: [],
    durationMs: 1,
  }));
  const overall = overallStatus(results.map((r) => r.status));
  return {
    suite: "data-tier smoke",
    environment: "dev",
    platform: "sandbox",
    startedAt: new Date().toISOString(),
    overall,
    exitCode: exitCodeFor(overall),
    failOn: "fail",
    counts: countStatuses(results),
    wallTimeMs: 1,
    sumCheckMs: 1,
    defaultTimeoutMs: 5000,
    deadlineMs: 60000,
    results,
    metrics: [],
    hooks: [],
  };
}
