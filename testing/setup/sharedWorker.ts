/**
 * Setup file of the unit project, whose test files share worker processes (isolate:
 * false in vitest.config.mts: loading vitest, the Pulumi SDK and the providers once per
 * worker instead of once per file halves the suite's CPU time). What a file changes in
 * the process's global state must not reach the next file: its environment (stubbed
 * variables, and PULUMI_CONFIG, where Pulumi keeps a program's config), spies, stubbed
 * globals and exit code are put back after it. Pulumi's mocks need nothing: every
 * evaluation (tools/evaluate/program.ts) and every test that sets mocks sets its own.
 */
import { afterAll, vi } from "vitest";

const env = { ...process.env };

afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
  process.exitCode = undefined;
});
