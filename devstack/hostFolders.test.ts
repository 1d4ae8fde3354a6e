/** down / down --purge remove exactly what the dev stack wrote in its folder. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTempDir } from "../testing/tempDir";
import { boundFolders, hostFolderProblems, purgeStackDir, recordHostFolders, removeHostFolders } from "./hostFolders";
import type { ContainerSpec, DevPlan } from "./plan";

const planBinding = (...hostPaths: string[]): DevPlan =>
  ({ stack: "dev", networks: [], volumes: [], images: [], waves: [[{ name: "c", volumes: hostPaths.map((hostPath) => ({ hostPath, containerPath: "/x", readOnly: false })) } as unknown as ContainerSpec]] }) as DevPlan;

/** What the runner and a container would leave in the stack's folder after `up`. */
function stackAfterUp(dir: string, plan: DevPlan): void {
  recordHostFolders(plan, dir);
  for (const f of boundFolders(plan)) {
    mkdirSync(f, { recursive: true, mode: 0o700 });
    writeFileSync(join(f, "state.json"), "{}");
  }
  writeFileSync(join(dir, "outputs.json"), "{}");
  writeFileSync(join(dir, "secrets.json"), "{}");
}

describe("the dev stack's host folders", () => {
  it("down removes the bound folders (a stale router state.json is never read as current) and keeps the passwords", () => {
    const dir = join(testTempDir("devstack-hf-"), "stack");
    const plan = planBinding(join(dir, "readrouter"), join(dir, "deeper", "more"));
    stackAfterUp(dir, plan);
    expect(removeHostFolders(dir).sort()).toEqual([join(dir, "deeper", "more"), join(dir, "readrouter")]);
    // "deeper" was created on the way to "more" and is empty now: removed too.
    expect(readdirSync(dir).sort()).toEqual(["host-folders.json", "outputs.json", "secrets.json"]);
  });

  it("down --purge leaves no file of the stack under the folder, and removes the folder itself", () => {
    const dir = join(testTempDir("devstack-hf-"), "stack");
    stackAfterUp(dir, planBinding(join(dir, "readrouter")));
    expect(purgeStackDir(dir, [join(dir, "outputs.json"), join(dir, "secrets.json")])).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it("down --purge keeps what the stack did not write (a --dir given as an existing folder with other files)", () => {
    const dir = testTempDir("devstack-hf-");
    writeFileSync(join(dir, "notes.txt"), "mine");
    mkdirSync(join(dir, "project"));
    stackAfterUp(dir, planBinding(join(dir, "readrouter")));
    expect(purgeStackDir(dir, [join(dir, "outputs.json"), join(dir, "secrets.json")]).sort()).toEqual([join(dir, "notes.txt"), join(dir, "project")]);
    expect(readdirSync(dir).sort()).toEqual(["notes.txt", "project"]);
  });

  it("refuses to record or remove a folder outside the stack's folder", () => {
    const root = testTempDir("devstack-hf-");
    const dir = join(root, "stack");
    const outside = join(root, "elsewhere");
    mkdirSync(outside);
    writeFileSync(join(outside, "keep.txt"), "x");
    const plan = planBinding(outside, join(dir, "readrouter"));
    expect(hostFolderProblems(plan, dir)).toEqual([`a container binds host folder ${outside}, outside the dev stack's folder ${dir} (--dir): \`down --purge\` could not tell it is the stack's`]);
    // Even a record naming it (written by hand, or by an older runner) does not make it removable.
    stackAfterUp(dir, plan);
    purgeStackDir(dir, []);
    expect(readdirSync(outside).sort()).toEqual(["keep.txt", "state.json"]);
    expect(existsSync(join(dir, "readrouter"))).toBe(false);
  });
});
