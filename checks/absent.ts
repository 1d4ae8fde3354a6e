/**
 * A report line for a part the outputs do not have: the checks of that part are not
 * built (there is nothing to connect to), and this SKIP says so, naming the output field,
 * so a reader sees what was not checked rather than a shorter report.
 */
import type { Check } from "./types";

export function absentCheck(id: string, group: Check["group"], title: string, reason: string): Check {
  return { id, group, title, run: async () => ({ status: "SKIP", message: reason }) };
}
