/** Helpers shared by the PostgresCluster tests (runs under mocks). */
import { expect } from "vitest";
import { single, type ProgramRun, type RecordedResource } from "../../testing/harness";

export const INSTANCE = "aws:rds/instance:Instance";
export const ROLE = "postgresql:index/role:Role";
export const PASSWORD = "random:index/randomPassword:RandomPassword";
export const MOCK_MASTER_PASSWORD = "mock-rds-managed-master-password";

/** Resources whose parent is the PostgresCluster component. */
export function pgChildren(run: ProgramRun): RecordedResource[] {
  const component = single(run, "datatier:postgres:PostgresCluster");
  return run.resources.filter((r) => r.parent === component.urn);
}

export function pgOfType(run: ProgramRun, type: string): RecordedResource[] {
  return pgChildren(run).filter((r) => r.type === type);
}

export function pgNamed(run: ProgramRun, suffix: string): RecordedResource {
  const found = pgChildren(run).filter((r) => r.name.endsWith(suffix));
  if (found.length !== 1) throw new Error(`expected one child named *${suffix}, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

/** Every password the component generated (or read), for leak checks. */
export function pgPasswords(run: ProgramRun, extra: string[] = []): string[] {
  const generated = pgOfType(run, PASSWORD).map((r) => String(r.state.result));
  for (const pw of generated) expect(pw.length).toBeGreaterThanOrEqual(16);
  return [...generated, ...extra];
}

/**
 * No password in a top-level input that is not a secret, in any resource of the run,
 * nor in any plain stack output.
 */
export function expectNoPlainPassword(run: ProgramRun, passwords: string[]): void {
  expect(passwords.length).toBeGreaterThan(0);
  for (const r of run.resources) {
    for (const [key, value] of Object.entries(r.inputs)) {
      if (r.secretInputs.includes(key)) continue;
      const text = JSON.stringify(value) ?? "";
      for (const pw of passwords) expect(text.includes(pw), `${r.type} ${r.name} input "${key}" holds a password in plain`).toBe(false);
    }
  }
  for (const [key, value] of Object.entries(run.outputs)) {
    if (run.secretOutputs.includes(key)) continue;
    const text = JSON.stringify(value) ?? "";
    for (const pw of passwords) expect(text.includes(pw), `stack output "${key}" holds a password in plain`).toBe(false);
  }
}
