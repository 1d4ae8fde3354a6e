import { describe, expect, it } from "vitest";
import { OUTPUTS_ENV } from "../../components/checkstask/task";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import { RECONCILE_EXIT } from "../reconcile/run";
import { entry, RECONCILE_COMMAND } from "./entry";

describe("the checks task's entrypoint with `reconcile`", () => {
  it("runs the reconciliation on the injected outputs (here: a usage error it reports), not the suite", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { [OUTPUTS_ENV]: JSON.stringify(sampleOutputs()) };
    const code = await entry([RECONCILE_COMMAND, "--pair", "nope"], env, { write: (s: string) => out.push(s) }, { write: (s: string) => err.push(s) });
    expect(code).toBe(RECONCILE_EXIT.usage);
    expect(err.join("")).toBe("error: --pair nope: not a legacy table of postgres.partitionPairs (expected one of revenue_transactions)\n");
    // No suite report line, and the outputs document left the environment.
    expect(out.join("")).toBe("");
    expect(env[OUTPUTS_ENV]).toBeUndefined();
  });
});
