/**
 * Vitest reporter: where a run's time goes, per project (unit, integration): files, tests,
 * wall time from the first file's start to the last file's end, and the slowest files.
 * Listed before "default" in vitest.config.mts, so vitest's own summary stays the last
 * lines of the output (CI reads its closing line and exit code).
 */
import { performance } from "node:perf_hooks";
import type { Reporter, TestModule, Vitest } from "vitest/node";

export interface ProjectSpan {
  start: number;
  end: number;
  files: number;
  tests: number;
  /** [milliseconds, file] per test file: setup, import and tests. */
  perFile: [number, string][];
}

/** One line per project, in the order the projects ran, then its slowest files. */
export function formatProjectDurations(spans: Map<string, ProjectSpan>, slowest = 5): string[] {
  return [...spans.entries()]
    .sort((a, b) => a[1].start - b[1].start)
    .flatMap(([name, s]) => {
      const top = [...s.perFile].sort((a, b) => b[0] - a[0]).slice(0, slowest);
      return [
        `project ${name}: ${s.files} files, ${s.tests} tests in ${((s.end - s.start) / 1000).toFixed(1)} s wall`,
        `  slowest: ${top.map(([ms, f]) => `${f} ${(ms / 1000).toFixed(1)} s`).join(", ")}`,
      ];
    });
}

export default class ProjectDurations implements Reporter {
  private ctx?: Vitest;
  private spans = new Map<string, ProjectSpan>();

  onInit(ctx: Vitest): void {
    this.ctx = ctx;
  }

  private span(m: TestModule): ProjectSpan {
    const name = m.project.name || "default";
    let s = this.spans.get(name);
    if (!s) this.spans.set(name, (s = { start: performance.now(), end: 0, files: 0, tests: 0, perFile: [] }));
    return s;
  }

  onTestModuleStart(m: TestModule): void {
    this.span(m);
  }

  onTestModuleEnd(m: TestModule): void {
    const s = this.span(m);
    const d = m.diagnostic();
    s.end = performance.now();
    s.files++;
    s.tests += [...m.children.allTests()].length;
    s.perFile.push([d.setupDuration + d.collectDuration + d.duration, m.relativeModuleId]);
  }

  onTestRunEnd(): void {
    if (this.spans.size === 0) return;
    const log = (l: string) => (this.ctx ? this.ctx.logger.log(l) : console.log(l));
    log("");
    for (const line of formatProjectDurations(this.spans)) log(line);
  }
}
