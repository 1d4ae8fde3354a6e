/**
 * Regenerates pg15.json from a real PostgreSQL 15 (see live.ts):
 *   npx tsx components/postgres/catalogue/generate.ts
 * catalogue.int.test.ts fails when the committed file and the server disagree.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readLiveCatalogue } from "./live";

async function main(): Promise<void> {
  const live = await readLiveCatalogue();
  const file = join(__dirname, "pg15.json");
  const doc = {
    source: "pg_settings of a fresh PostgreSQL 15 (initdb defaults, shared_preload_libraries=pg_stat_statements); regenerate with components/postgres/catalogue/generate.ts",
    serverVersion: live.serverVersion,
    parameters: live.parameters,
  };
  writeFileSync(file, `${JSON.stringify(doc, null, 1)}\n`);
  console.log(`${file}: ${Object.keys(live.parameters).length} parameters from PostgreSQL ${live.serverVersion}`);
}

main().catch((e: unknown) => {
  console.error(`generate: ${(e as Error).message}`);
  process.exit(1);
});
