/**
 * The settings' key paths, read off the schema itself, so the README's settings
 * reference can be checked against it (a test fails when a setting is undocumented).
 */
import { z } from "zod";
import { settingsShape } from "./schema";

/** Keys filled by the program, not by a stack file. */
const DERIVED = new Set(["project", "region"]);

function unwrap(t: z.ZodType): z.ZodType {
  let cur: z.ZodType = t;
  while (cur instanceof z.ZodOptional || cur instanceof z.ZodDefault || cur instanceof z.ZodNullable) cur = cur.unwrap() as z.ZodType;
  return cur;
}

/** Dotted paths of every leaf setting, e.g. "redis.sentinel.quorum". */
export function settingKeyPaths(): string[] {
  const out: string[] = [];
  const walk = (t: z.ZodType, path: string) => {
    const u = unwrap(t);
    if (u instanceof z.ZodObject && !path.endsWith("thresholds")) {
      for (const [k, v] of Object.entries(u.shape)) walk(v as z.ZodType, path ? `${path}.${k}` : k);
    } else if (!DERIVED.has(path)) {
      out.push(path);
    }
  };
  walk(settingsShape, "");
  return out;
}
