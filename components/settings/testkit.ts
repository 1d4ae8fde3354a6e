/** Test helper: the problems parseSettings reports for a committed stack file with overrides. */
import { deepMerge } from "./defaults";
import { SettingsError, parseSettings, type SettingsProblem } from "./load";
import { readStackFile } from "./stackFile";

/** Problems reported for a committed stack file with `over` merged onto its values (arrays replace). */
export function problems(stack: "dev" | "prod", over: Record<string, unknown>, opts: { awsRegion?: string | null } = {}): SettingsProblem[] {
  const raw = readStackFile(stack).raw;
  const values = deepMerge(raw.values, over);
  const awsRegion = opts.awsRegion === null ? undefined : (opts.awsRegion ?? raw.awsRegion);
  try {
    parseSettings({ ...raw, values, awsRegion });
  } catch (e) {
    if (e instanceof SettingsError) return e.problems;
    throw e;
  }
  return [];
}
