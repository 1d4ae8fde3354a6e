/**
 * docs/rollout.md's generated tables are the code's: the phase table and the rollback
 * decision table from the prod stack's alarm catalogue. A catalogue change that is not
 * regenerated (`npx tsx tools/rollout/docs.ts`) fails here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadStackSettings } from "../../components/settings/stackFile";
import { catalogueFor, decisionRows, formatDecisionTable } from "./decisions";
import { blockIn, generatedBlocks, ROLLOUT_DOC, withBlocks } from "./docs";

const doc = readFileSync(ROLLOUT_DOC, "utf8");

describe("docs/rollout.md", () => {
  it.each(Object.entries(generatedBlocks()))("holds the generated %s", (name, text) => {
    expect(blockIn(doc, name), `regenerate with: npx tsx tools/rollout/docs.ts`).toBe(text);
  });

  it("regenerating changes nothing; a missing marker is an error naming it", () => {
    expect(withBlocks(doc, generatedBlocks())).toBe(doc);
    expect(() => withBlocks("no markers", { "decision-table": "x" })).toThrow(/no <!-- decision-table:begin -->/);
  });
});

describe("the decision table", () => {
  const specs = catalogueFor(loadStackSettings("prod"));
  const rows = decisionRows(specs);

  it("has one row per kind and severity of the catalogue: critical rolls back, warning holds", () => {
    const kinds = new Set(specs.map((s) => `${s.kind}/${s.severity}`));
    expect(rows.map((r) => `${r.kind}/${r.severity}`).sort()).toEqual([...kinds].sort());
    for (const r of rows) expect(r.decision).toBe(r.severity === "critical" ? "roll back" : "hold");
    expect(rows.filter((r) => r.decision === "roll back").every((r) => r.action.includes("npm run rollout -- --stack <s> rollback"))).toBe(true);
  });

  it("asks for a reconciliation after a partition row delta, and links each row to its runbook section", () => {
    expect(rows.find((r) => r.kind === "partitionRowDelta" && r.severity === "critical")?.action).toMatch(/npm run reconcile/);
    const runbook = readFileSync("docs/runbook.md", "utf8");
    for (const r of rows) {
      const anchor = r.runbook.split("#")[1];
      const headings = runbook.split("\n").filter((l) => l.startsWith("#")).map((l) => l.replace(/^#+\s*/, "").toLowerCase().replace(/[^a-z0-9 -]/g, "").replace(/ /g, "-"));
      expect(headings, r.runbook).toContain(anchor);
    }
  });

  it("follows the catalogue: a stack without alarms on a kind has no row for it", () => {
    const s = loadStackSettings("prod");
    const noRouter = decisionRows(catalogueFor({ ...s, readRouting: { ...s.readRouting, enabled: false } }));
    expect(noRouter.map((r) => r.kind)).not.toContain("readRouterSilent");
    expect(formatDecisionTable(noRouter).split("\n")).toHaveLength(noRouter.length + 2);
  });
});
