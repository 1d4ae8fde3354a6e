/** The machine-readable report: the SuiteReport as JSON, passed through the redactor once more. */
import type { SuiteReport } from "../suite";

/**
 * JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B is a CSI to some
 * terminals), line separators and bidirectional overrides raw: escape those too, so
 * `cat report.json` cannot be steered by a value. They only occur inside strings, where
 * \uXXXX is the same character to any JSON reader.
 */
const RAW_IN_JSON = /[\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function formatJsonReport(report: SuiteReport, redact: (s: string) => string): string {
  const text = JSON.stringify(report, null, 2).replace(RAW_IN_JSON, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return redact(text) + "\n";
}
