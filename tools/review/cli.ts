/**
 * `npm run review -- --stack <name>`: the offline review. Validates the stack's
 * settings (every problem at once), evaluates the real program under Pulumi's mocks
 * (no cloud account, no Pulumi CLI) and prints the plan, then each section.
 *
 * With `--base <git-ref>` it also evaluates the program and stack file at that ref and
 * prints what would change per resource (create, update, replace, delete); in
 * production a replace or delete of a data-bearing resource fails the review unless
 * `--allow-replace`.
 *
 * Exit codes: 0 clean; 1 a section failed (e.g. a mandatory policy violated, a refused
 * replacement); 2 invalid settings or stack file, or a base that cannot be evaluated;
 * 4 internal error.
 */
import { Command } from "commander";
import pc from "picocolors";
import { useColour } from "../../checks/report/console";
import { SettingsError, parseSettings } from "../../components/settings";
import { StackFileError, readStackFile } from "../../components/settings/stackFile";
import { postgresReviewSection } from "./postgres";
import { redisReviewSection } from "./redis";
import { alarmsReviewSection } from "./alarms";
import { flagsReviewSection } from "./flags";
import { BaseError, newDigestKey, snapshotAtRef, type BaseSnapshot } from "./base";
import { changesSection } from "./changes";
import { planSection } from "./plan";
import type { ReviewSection, SectionBuilder } from "./section";

/** Sections printed after the plan, in order (alarm catalogue, policy violations). */
export const SECTIONS: SectionBuilder[] = [redisReviewSection, postgresReviewSection, alarmsReviewSection, flagsReviewSection, (i) => import("./policies").then((m) => m.policiesReviewSection(i))];

export const EXIT = { ok: 0, failed: 1, invalidSettings: 2, internal: 4 } as const;

export interface ReviewOptions {
  stack: string;
  file?: string;
  json?: boolean;
  /** Git ref to diff against (`--base`). */
  base?: string;
  /** Accept replacing or deleting data-bearing resources in production (`--allow-replace`). */
  allowReplace?: boolean;
  /** Repository the base ref is read from (default: this one). */
  repoRoot?: string;
  /** An already evaluated base and the digest key it was made with (tests reuse one evaluation). */
  baseSnapshot?: { snapshot: BaseSnapshot; key: string };
  /** Writes lines; the CLI passes console.log. */
  print?: (line: string) => void;
  color?: boolean;
}

export async function review(opts: ReviewOptions): Promise<number> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const c = pc.createColors(opts.color ?? false);
  const started = Date.now();
  let settings;
  try {
    const sf = readStackFile(opts.stack, { file: opts.file });
    settings = parseSettings(sf.raw);
  } catch (e) {
    if (e instanceof SettingsError || e instanceof StackFileError) {
      if (opts.json) print(JSON.stringify({ stack: opts.stack, ok: false, problems: e instanceof SettingsError ? e.problems : [{ message: e.message }] }, null, 2));
      else print(c.red(e.message));
      return EXIT.invalidSettings;
    }
    throw e;
  }

  // The base first: a bad ref fails fast, before the (slower) current run.
  const key = opts.baseSnapshot?.key ?? newDigestKey();
  let base: BaseSnapshot | undefined = opts.baseSnapshot?.snapshot;
  if (opts.base !== undefined && base === undefined) {
    try {
      base = await snapshotAtRef({ ref: opts.base, stack: opts.stack, file: opts.file, key, repoRoot: opts.repoRoot });
    } catch (e) {
      if (!(e instanceof BaseError)) throw e;
      if (opts.json) print(JSON.stringify({ stack: opts.stack, ok: false, problems: [{ message: e.message }] }, null, 2));
      else print(c.red(e.message));
      return EXIT.invalidSettings;
    }
  }

  // Loaded only now: importing the harness pulls in the Pulumi runtime (~1 s).
  const { runProgram } = await import("../evaluate/program");
  const run = await runProgram({ stack: opts.stack, file: opts.file });
  const input = { stack: opts.stack, settings, run };
  const sections: ReviewSection[] = [planSection(input)];
  if (base) sections.push(changesSection(input, { base, key, allowReplace: opts.allowReplace === true }));
  for (const build of SECTIONS) sections.push(await build(input));
  const failed = sections.filter((s) => s.failed).map((s) => s.title);
  const elapsedMs = Date.now() - started;

  if (opts.json) {
    print(JSON.stringify({ stack: opts.stack, platform: settings.platform, production: settings.production, ok: failed.length === 0, failed, elapsedMs, sections: Object.fromEntries(sections.map((s) => [s.title, s.json])) }, null, 2));
  } else {
    print(c.bold(`Offline review of stack "${opts.stack}" (platform ${settings.platform}${settings.production ? ", production" : ""}): settings valid`));
    for (const s of sections) {
      print("");
      print(c.bold(`== ${s.title}${s.failed ? c.red(" (failed)") : ""}`));
      print(s.text);
    }
    print("");
    print(failed.length === 0 ? c.green(`Review passed in ${elapsedMs} ms.`) : c.red(`Review failed (${failed.join(", ")}) in ${elapsedMs} ms.`));
  }
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

async function cli(argv: string[]): Promise<void> {
  const program = new Command()
    .name("review")
    .description("Offline review of a stack: settings, plan, alarm catalogue and policy violations, under Pulumi mocks.")
    // Not requiredOption: commander checks required options before unknown ones, so a
    // typo'd flag would be reported as a missing --stack.
    .option("-s, --stack <name>", "stack name (reads Pulumi.<name>.yaml)")
    .option("-f, --file <path>", "stack file to read instead of Pulumi.<name>.yaml")
    .option("--json", "print one JSON document instead of the report")
    .option("--base <git-ref>", "also evaluate the program and stack file at this git ref and show what would change per resource")
    .option("--allow-replace", "production: accept replacing or deleting data-bearing resources (with --base)")
    .option("--no-color", "never colour the report")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.invalidSettings));
  program.parse(argv);
  const o = program.opts<{ stack?: string; file?: string; json?: boolean; color: boolean; base?: string; allowReplace?: boolean }>();
  const stack = o.stack ?? program.error("error: required option '-s, --stack <name>' not specified");
  // The suite's rule (NO_COLOR, FORCE_COLOR, TTY), so both tools colour alike.
  const color = o.color && useColour(process.stdout, process.env);
  const code = await review({ stack, file: o.file, json: o.json, color, base: o.base, allowReplace: o.allowReplace });
  process.exitCode = code;
}

if (require.main === module) {
  cli(process.argv).catch((e) => {
    console.error(`review: internal error: ${(e as Error).stack ?? e}`);
    process.exit(EXIT.internal);
  });
}
