/**
 * No secret in a plain stack output.
 *
 * A stack policy cannot see stack outputs (StackValidationArgs holds resources only), so
 * the pack carries the policy for its name, description and per-stack enforcement
 * level, and reports itself not applicable inside `pulumi preview`. The check itself is
 * the pure `checkPlainOutputs`, which the offline review runs on the outputs of the
 * program run under mocks. What a resource-level check can see is covered by
 * ecs-no-plain-secret-env (pgbouncer.ts).
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { SECRET_OUTPUT_KEYS } from "../components/contract/outputs";

export const noSecretInPlainOutput: StackValidationPolicy = {
  name: "no-secret-in-plain-output",
  description: `Passwords, tokens and other credentials are exported only inside Pulumi-secret outputs (${SECRET_OUTPUT_KEYS.join(", ")}); checked by the offline review (npm run review), since stack policies cannot see outputs.`,
  severity: "critical",
  validateStack: (args) => {
    args.notApplicable("stack outputs are not visible to stack policies; `npm run review -- --stack <name>` runs checkPlainOutputs on them");
  },
};

/** Output keys that name a credential. */
const SECRET_KEY = /(password|passwd|secret|token|api_?key|private_?key|credential|verifier)/i;
/** Keys that only point at a credential (an ARN, an id) or describe it. */
const REFERENCE_KEY = /(Arns?|Ids?|Names?|Ref|Required|Enabled|Count|Length)$/;

export interface OutputViolation {
  policy: typeof noSecretInPlainOutput.name;
  /** Dotted path of the offending output, e.g. "redis.password". */
  path: string;
  message: string;
}

/** Minimum length of a known secret value worth matching (shorter ones match by accident). */
const MIN_SECRET_LENGTH = 8;

/**
 * Plain (non-secret) outputs that hold a credential: by key name, by value (any of
 * `knownSecrets`, e.g. the secret inputs of the stack's resources), and the contract's
 * secret outputs exported plain. Messages never contain the value.
 */
export function checkPlainOutputs(outputs: Record<string, unknown>, secretOutputs: readonly string[], knownSecrets: readonly string[] = []): OutputViolation[] {
  const found: OutputViolation[] = [];
  const secrets = knownSecrets.filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH);
  const report = (path: string, why: string) =>
    found.push({ policy: noSecretInPlainOutput.name, path, message: `Set output ${path} as a Pulumi secret (move it under credentials, exported with pulumi.secret): ${why}.` });

  const walk = (value: unknown, path: string, key: string) => {
    if (typeof value === "string") {
      if (secrets.some((s) => value.includes(s))) report(path, "its value is a secret input of a resource of this stack");
      else if (SECRET_KEY.test(key) && !REFERENCE_KEY.test(key) && value !== "" && !value.startsWith("arn:")) report(path, `its name says it holds a credential`);
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${path}[${i}]`, key));
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`, k);
    }
  };

  for (const [key, value] of Object.entries(outputs)) {
    if (secretOutputs.includes(key)) continue;
    if ((SECRET_OUTPUT_KEYS as readonly string[]).includes(key) && value !== undefined) {
      report(key, "the output contract exports it only as a secret");
      continue;
    }
    walk(value, key, key);
  }
  return found;
}

/** Values a run marked secret: resources' secret inputs and generated passwords. Never printed. */
export function knownSecretValues(resources: readonly { type: string; inputs: Record<string, unknown>; secretInputs?: string[]; state: Record<string, unknown> }[]): string[] {
  const values = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === "string") values.add(v);
    else if (Array.isArray(v)) v.forEach(add);
    else if (v && typeof v === "object") Object.values(v).forEach(add);
  };
  for (const r of resources) {
    for (const k of r.secretInputs ?? []) add(r.inputs[k]);
    if (r.type === "random:index/randomPassword:RandomPassword") add(r.state.result);
  }
  return [...values].filter((v) => v.length >= MIN_SECRET_LENGTH);
}

export const SECRET_POLICIES = [noSecretInPlainOutput];
