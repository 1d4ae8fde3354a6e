/** The human report: results grouped by group, then one summary line. */
import pc from "picocolors";
import type { SuiteReport } from "../suite";
import type { Status } from "../types";
import { printable as p } from "./escape";
import { roundForDisplay, roundNumbersIn } from "./numbers";

/** Colour only on a TTY, never with NO_COLOR set (https://no-color.org), always with FORCE_COLOR. */
export function useColour(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function formatConsoleReport(report: SuiteReport, colour: boolean): string {
  const c = pc.createColors(colour);
  const paint: Record<Status, (s: string) => string> = { PASS: c.green, WARN: c.yellow, FAIL: (s) => c.bold(c.red(s)), SKIP: c.dim };
  // Every value below may come from the outputs document or a server's answer: p() makes control characters visible.
  const lines: string[] = [c.bold(`Data-tier smoke suite: ${p(report.environment)} (${p(report.platform)})`)];
  const groups = [...new Set(report.results.map((r) => r.group))];
  for (const g of groups) {
    lines.push("", c.bold(p(g)));
    for (const r of report.results.filter((x) => x.group === g)) {
      const extra = [r.measured && `measured ${roundForDisplay(r.measured.value)} ${p(r.measured.unit)}`, r.threshold && `threshold ${roundNumbersIn(p(r.threshold))}`].filter(Boolean).join("; ");
      lines.push(`  ${paint[r.status](r.status.padEnd(4))}  ${p(r.id)}  ${roundNumbersIn(p(r.message))}${extra ? c.dim(` [${extra}]`) : ""}${c.dim(` (${Math.round(r.durationMs)} ms)`)}`);
    }
  }
  for (const h of report.hooks) lines.push(`  ${h.ok ? c.green("done") : c.red("FAILED")}  hook ${p(h.name)}: ${p(h.message)}`);
  const n = report.counts;
  const overall = { healthy: c.green, degraded: c.yellow, unhealthy: (s: string) => c.bold(c.red(s)) }[report.overall](report.overall.toUpperCase());
  // Said in words: a bare "5.9x overlap" left readers guessing what was divided by what.
  const overlap = report.sumCheckMs > report.wallTimeMs ? " (more than the wall time: the checks run concurrently)" : "";
  lines.push(
    "",
    `${report.results.length} checks: ${n.PASS} PASS, ${n.WARN} WARN, ${n.FAIL} FAIL, ${n.SKIP} SKIP. Overall ${overall} (exit ${report.exitCode}). Wall time ${seconds(report.wallTimeMs)}, sum of check times ${seconds(report.sumCheckMs)}${overlap}.`,
  );
  return lines.join("\n") + "\n";
}
