/**
 * JUnit XML for CI test tabs: one testsuite per group, one testcase per check. FAIL is
 * a failure; SKIP is skipped; WARN passes (with its message as system-out) unless the
 * run uses `--fail-on warn`, where it is a failure too.
 */
import junit from "junit-report-builder";
import type { SuiteReport } from "../suite";

export function formatJunitReport(report: SuiteReport, redact: (s: string) => string): string {
  const builder = junit.newBuilder().name(`data-tier smoke (${report.environment})`);
  for (const g of [...new Set(report.results.map((r) => r.group))]) {
    const inGroup = report.results.filter((r) => r.group === g);
    const suite = builder.testSuite().name(g).timestamp(new Date(report.startedAt)).time(inGroup.reduce((s, r) => s + r.durationMs, 0) / 1000);
    for (const r of inGroup) {
      const tc = suite.testCase().className(`smoke.${g}`).name(`${r.id}: ${r.title}`).time(r.durationMs / 1000).property("status", r.status);
      if (r.measured) tc.property("measured", `${r.measured.value} ${r.measured.unit}`);
      if (r.threshold) tc.property("threshold", r.threshold);
      if (r.status === "FAIL" || (r.status === "WARN" && report.failOn === "warn")) tc.failure(r.message, r.status);
      else if (r.status === "SKIP") tc.skipped().standardOutput(r.message);
      else tc.standardOutput(`${r.status}: ${r.message}`);
    }
  }
  return redact(builder.build());
}
