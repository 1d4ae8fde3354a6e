/**
 * Regenerates redis7.json from a real Redis (see live.ts):
 *   npx tsx components/redis/catalogue/generate.ts
 * catalogue.int.test.ts fails when the committed file and the server disagree.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readLiveRedisCatalogue } from "./live";

readLiveRedisCatalogue()
  .then((live) => {
    const file = join(__dirname, "redis7.json");
    const doc = { source: "CONFIG GET * of the Debian redis-server package; regenerate with components/redis/catalogue/generate.ts", serverVersion: live.serverVersion, names: live.names };
    writeFileSync(file, `${JSON.stringify(doc, null, 1)}\n`);
    console.log(`${file}: ${live.names.length} parameters from Redis ${live.serverVersion}`);
  })
  .catch((e: unknown) => {
    console.error(`generate: ${(e as Error).message}`);
    process.exit(1);
  });
