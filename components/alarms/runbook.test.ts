import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASE_PROFILE } from "../settings/defaults";
import { resolveThresholds } from "../thresholds/thresholds";
import { alarmPlan, RUNBOOK, RUNBOOK_ANCHORS, type AlarmPlanInput } from "./catalogue";

const runbook = readFileSync(join(__dirname, "..", "..", RUNBOOK), "utf8");

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(md: string): Set<string> {
  const out = new Set<string>();
  for (const line of md.split("\n")) {
    const m = /^#{1,6}\s+(.+?)\s*$/.exec(line);
    if (m) out.add(m[1].toLowerCase().replace(/[`*_]/g, "").replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-"));
  }
  return out;
}

describe("docs/runbook.md", () => {
  const present = anchors(runbook);

  it("has a section for every anchor the catalogue can name", () => {
    const missing = Object.values(RUNBOOK_ANCHORS).filter((a) => !present.has(a));
    expect(missing).toEqual([]);
  });

  it("has the section every planned alarm's description links to", () => {
    const input: AlarmPlanInput = {
      namePrefix: "p",
      environment: "prod",
      settings: BASE_PROFILE.alarms as AlarmPlanInput["settings"],
      thresholds: resolveThresholds(),
      postgresMaxConnections: 100,
      topology: {
        redis: { replicationGroupId: "g", memberClusterIds: ["g-001", "g-002"], replicasPerShard: 1 },
        postgres: { primaryInstanceId: "p", replicaInstanceIds: ["r"] },
        pgbouncer: { clusterName: "c", serviceName: "s", targetGroupArnSuffix: "targetgroup/t/1", loadBalancerArnSuffix: "net/l/1", desiredCount: 2 },
        partitionTables: ["t"],
      },
    };
    for (const spec of alarmPlan(input)) {
      const linked = /docs\/runbook\.md#([a-z0-9-]+)$/.exec(spec.description)?.[1];
      expect(linked, spec.name).toBeDefined();
      expect(present.has(linked!), `${spec.name} -> #${linked}`).toBe(true);
    }
  });

  it("links inside the runbook resolve, and every drill is documented", () => {
    const internal = [...runbook.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => m[1]);
    expect(internal.length).toBeGreaterThan(5);
    expect(internal.filter((a) => !present.has(a))).toEqual([]);
    for (const drill of ["redis-failover", "postgres-replica-down", "pgbouncer-down", "postgres-replica-lag"]) expect(runbook).toContain(`npm run sandbox -- drill ${drill}`);
  });

  it("a heading change breaks the check (the slug function is not vacuous)", () => {
    expect(anchors("### Cache GET time\n## Rollback")).toEqual(new Set(["cache-get-time", "rollback"]));
    expect(anchors("### Cache GET times").has("cache-get-time")).toBe(false);
  });
});
