/**
 * Removes credential values from any text the suite prints or writes. Drivers rarely
 * echo a password, but a connection string in an error or a misbehaving server can:
 * every message, report and error line goes through here.
 */
import { secretValues, type StackOutputs } from "../components/contract/outputs";

export const REDACTED = "[redacted]";

/** Builds a redactor for these secret values (also their URL-encoded forms). */
export function redactorFor(secrets: Iterable<string>): (text: string) => string {
  const needles = new Set<string>();
  for (const s of secrets) {
    // Short values would turn ordinary words into [redacted] without protecting anything.
    if (typeof s !== "string" || s.length < 4) continue;
    needles.add(s);
    needles.add(encodeURIComponent(s));
  }
  // Longest first, so a secret containing another is removed whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const n of ordered) out = out.split(n).join(REDACTED);
    return out;
  };
}

/** The redactor for a stack: every password in `credentials` and `applicationCredentials`. */
export function redactorForOutputs(outputs: Pick<StackOutputs, "credentials" | "applicationCredentials">): (text: string) => string {
  return redactorFor(secretValues(outputs));
}
