/**
 * Regenerates the generated parts of docs/rollout.md (the phase table and the rollback
 * decision table, from the phase table and the prod stack's alarm catalogue):
 * `npx tsx tools/rollout/docs.ts`. The docs test pins them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatPhaseTable } from "../../components/flags/phases";
import { loadStackSettings, PROJECT_ROOT } from "../../components/settings/stackFile";
import { catalogueFor, decisionRows, formatDecisionTable } from "./decisions";

export const ROLLOUT_DOC = join(PROJECT_ROOT, "docs", "rollout.md");

/** Generated blocks: marker name -> content. */
export function generatedBlocks(): Record<string, string> {
  return { "phase-table": formatPhaseTable(), "decision-table": formatDecisionTable(decisionRows(catalogueFor(loadStackSettings("prod")))) };
}

/** The text of a marked block in `doc`, or undefined when its markers are missing. */
export function blockIn(doc: string, name: string): string | undefined {
  const m = new RegExp(`<!-- ${name}:begin[^>]*-->\\n([\\s\\S]*?)<!-- ${name}:end -->`).exec(doc);
  return m?.[1].replace(/\n$/, "");
}

export function withBlocks(doc: string, blocks: Record<string, string>): string {
  let out = doc;
  for (const [name, text] of Object.entries(blocks)) {
    if (blockIn(out, name) === undefined) throw new Error(`${ROLLOUT_DOC}: no <!-- ${name}:begin --> ... <!-- ${name}:end --> markers`);
    out = out.replace(new RegExp(`(<!-- ${name}:begin[^>]*-->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`), (_m, a: string, b: string) => `${a}${text}\n${b}`);
  }
  return out;
}

if (require.main === module) {
  writeFileSync(ROLLOUT_DOC, withBlocks(readFileSync(ROLLOUT_DOC, "utf8"), generatedBlocks()));
  console.log(`rewrote the generated tables in ${ROLLOUT_DOC}`);
}
