/**
 * A part of the offline review's report (`npm run review -- --stack <name>`): the
 * plan, the alarm catalogue, the policy violations. Each section is computed from
 * the validated settings and the program's run under mocks.
 */
import type { Settings } from "../../components/settings";
import type { ProgramRun } from "../evaluate/program";

export interface ReviewInput {
  stack: string;
  settings: Settings;
  run: ProgramRun;
}

export interface ReviewSection {
  /** Heading printed above the section. */
  title: string;
  /** Human report (plain text; the CLI adds colour on a TTY). */
  text: string;
  /** Machine-readable form for `--json`. */
  json: unknown;
  /** True when this section must make the review exit non-zero (e.g. a mandatory policy violated). */
  failed: boolean;
}

export type SectionBuilder = (input: ReviewInput) => ReviewSection | Promise<ReviewSection>;
