/** The machine-readable report: the SuiteReport as JSON, passed through the redactor once more. */
import type { SuiteReport } from "../suite";

export function formatJsonReport(report: SuiteReport, redact: (s: string) => string): string {
  return redact(JSON.stringify(report, null, 2)) + "\n";
}
