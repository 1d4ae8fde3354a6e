/**
 * Removes credential values from any text the suite prints or writes. Drivers rarely
 * echo a password, but a connection string in an error or a misbehaving server can:
 * every message, report and error line goes through here.
 *
 * Two rules: a known secret of MIN_REDACTED_LENGTH characters or more is removed
 * wherever it appears (also URL-encoded); and the password part of any URL's userinfo
 * (`scheme://user:password@host`) is removed whatever it is. Shorter known values are
 * not searched for: a three-letter "password" would blank every word that contains it
 * and protect nothing. The outputs document is refused when a credential is that short
 * (checks/outputsValues.ts), so no real secret falls below the bound.
 */
import { secretValues, type StackOutputs } from "../components/contract/outputs";

export const REDACTED = "[redacted]";

/** Shortest secret searched for in text. */
export const MIN_REDACTED_LENGTH = 8;

// scheme://user:password@  (the password stops at "@", whitespace or a quote; "/" ends the authority).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:/@"'<>]*):([^\s@"'<>/]+)@/gi;

/** Replaces the password of every `scheme://user:password@` in `text`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:${REDACTED}@`);
}

/** Builds a redactor for these secret values (also their URL-encoded forms) and for URL credentials. */
export function redactorFor(secrets: Iterable<unknown>): (text: string) => string {
  const needles = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string" || s.length < MIN_REDACTED_LENGTH) continue;
    needles.add(s);
    needles.add(encodeURIComponent(s));
  }
  // Longest first, so a secret containing another is removed whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const n of ordered) out = out.split(n).join(REDACTED);
    return redactUrlCredentials(out);
  };
}

/** The redactor for a stack: every password in `credentials` and `applicationCredentials`. */
export function redactorForOutputs(outputs: Pick<StackOutputs, "credentials" | "applicationCredentials">): (text: string) => string {
  return redactorFor(secretValues(outputs));
}
