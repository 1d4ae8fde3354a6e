/**
 * `--only` patterns: a comma-separated list; each entry is a check id, an id prefix
 * ("redis" matches "redis.primary"), a group name ("cache"), or a glob with `*`
 * ("redis.replica-*", "*.node-2").
 */
import type { Check } from "./types";

function globToRegExp(glob: string): RegExp {
  const body = glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
  return new RegExp(`^${body}$`, "i");
}

export function parseOnly(pattern: string): string[] {
  const parts = pattern.split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  if (parts.length === 0) throw new Error(`--only: "${pattern}" holds no pattern; expected e.g. "redis.*" or "cache,pgbouncer"`);
  return parts;
}

export function matchesOnly(check: Pick<Check, "id" | "group">, patterns: string[]): boolean {
  return patterns.some((p) => {
    const lower = p.toLowerCase();
    if (p.includes("*")) return globToRegExp(p).test(check.id);
    return check.id.toLowerCase() === lower || check.id.toLowerCase().startsWith(`${lower}.`) || check.group === lower;
  });
}
