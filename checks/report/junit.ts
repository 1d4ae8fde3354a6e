/**
 * JUnit XML for CI test tabs: one testsuite per group, one testcase per check. FAIL is
 * a failure; SKIP is skipped; WARN passes (with its message as system-out) unless the
 * run uses `--fail-on warn`, where it is a failure too.
 */
import junit from "junit-report-builder";
import type { SuiteReport } from "../suite";
import { printable as p } from "./escape";
import { roundForDisplay, roundNumbersIn } from "./numbers";

export function formatJunitReport(report: SuiteReport, redact: (s: string) => string): string {
  // p(): XML 1.0 cannot even hold most control characters; values show them as escapes instead.
  const builder = junit.newBuilder().name(`data-tier smoke (${p(report.environment)})`);
  for (const g of [...new Set(report.results.map((r) => r.group))]) {
    const inGroup = report.results.filter((r) => r.group === g);
    const suite = builder.testSuite().name(p(g)).timestamp(new Date(report.startedAt)).time(roundForDisplay(inGroup.reduce((s, r) => s + r.durationMs, 0) / 1000));
    for (const r of inGroup) {
      const tc = suite.testCase().className(`smoke.${p(g)}`).name(`${p(r.id)}: ${p(r.title)}`).time(roundForDisplay(r.durationMs / 1000)).property("status", r.status);
      if (r.measured) tc.property("measured", `${roundForDisplay(r.measured.value)} ${p(r.measured.unit)}`);
      if (r.threshold) tc.property("threshold", roundNumbersIn(p(r.threshold)));
      if (r.status === "FAIL" || (r.status === "WARN" && report.failOn === "warn")) tc.failure(roundNumbersIn(p(r.message)), r.status);
      else if (r.status === "SKIP") tc.skipped().standardOutput(roundNumbersIn(p(r.message)));
      else tc.standardOutput(`${r.status}: ${roundNumbersIn(p(r.message))}`);
    }
  }
  return redact(builder.build());
}
