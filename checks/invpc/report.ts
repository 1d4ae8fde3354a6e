/**
 * How the checks task hands its report back: one log line, `DATATIER_REPORT ` followed by
 * the JSON report on a single line (CloudWatch Logs keeps a line as one event, up to 256 KB;
 * a pretty-printed report would be split over many events).
 */
import type { SuiteReport } from "../suite";

export const REPORT_MARKER = "DATATIER_REPORT ";

export function reportLine(jsonReport: string): string {
  return `${REPORT_MARKER}${JSON.stringify(JSON.parse(jsonReport))}\n`;
}

/** The last report line among log messages; undefined when the task wrote none. */
export function findReport(messages: string[]): SuiteReport | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.startsWith(REPORT_MARKER)) return JSON.parse(m.slice(REPORT_MARKER.length)) as SuiteReport;
  }
  return undefined;
}
