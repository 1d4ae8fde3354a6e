/**
 * Per-stack policy config (policies/config/<stack>.json, the file passed to
 * `pulumi preview --policy-pack-config`): loading, validation against each policy's
 * configSchema, and the effective enforcement level, resolved as the engine does:
 * the policy's own entry, then "all", then the policy's default, then the pack's.
 */
import * as path from "node:path";
import type { EnforcementLevel, Policy, PolicyPackConfig } from "@pulumi/policy";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import { InputFileError, jsonErrorWithoutText, readRegularFileSync } from "../components/boundedFile";

/** The pack's default (PolicyPack enforcementLevel): advisory unless a stack's config says otherwise. */
export const PACK_ENFORCEMENT: EnforcementLevel = "advisory";

/** policies/config, or DATA_TIER_POLICY_CONFIG_DIR (tests and CI can point the review at other configs). */
export function configDir(): string {
  return process.env.DATA_TIER_POLICY_CONFIG_DIR || path.join(__dirname, "config");
}

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export class PolicyConfigError extends Error {
  constructor(
    public readonly file: string,
    public readonly problems: string[],
  ) {
    super(`policy config ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicyConfigError";
  }
}

/** The stack's policy config file path (it may not exist). */
export function policyConfigPath(stack: string): string {
  return path.join(configDir(), `${stack}.json`);
}

/** Reads policies/config/<stack>.json; an absent file means every policy at the pack's default (advisory). */
export function loadPolicyConfig(stack: string, file = policyConfigPath(stack)): { config: PolicyPackConfig; file: string | null } {
  let text: string;
  try {
    text = readRegularFileSync(file, { what: "policy config" });
  } catch (e) {
    if (e instanceof InputFileError && e.reason === "missing") return { config: {}, file: null };
    if (e instanceof InputFileError) throw new PolicyConfigError(file, [e.message]);
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PolicyConfigError(file, [`not valid JSON (${jsonErrorWithoutText(e, text)})`]);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new PolicyConfigError(file, ["expected a JSON object keyed by policy name (and \"all\")"]);
  return { config: parsed as PolicyPackConfig, file };
}

/**
 * One JSON Schema validator per policy, compiled once: the policy's configSchema as the
 * engine reads it (its properties and required keys, plus enforcementLevel), no other
 * keys. Ajv enforces what the schema says (type, minimum/maximum, enum, items,
 * additionalProperties...), so the offline review refuses what `pulumi preview
 * --policy-pack-config` would, and nothing is hand-checked twice.
 */
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validators = new WeakMap<Policy, ValidateFunction>();

function validatorOf(policy: Policy): ValidateFunction {
  let v = validators.get(policy);
  if (!v) {
    const own = policy.configSchema ?? { properties: {} };
    v = ajv.compile({
      type: "object",
      properties: { ...own.properties, enforcementLevel: { enum: [...LEVELS] } },
      ...(own.required?.length ? { required: [...own.required] } : {}),
      additionalProperties: false,
    });
    validators.set(policy, v);
  }
  return v;
}

/** `/ports/0` -> `.ports[0]`: the key as the config file writes it. */
function keyPath(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((seg) => seg.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((seg) => (/^\d+$/.test(seg) ? `[${seg}]` : `.${seg}`))
    .join("");
}

/** The value itself for numbers and booleans (no text of the file is echoed). */
function shown(v: unknown): string {
  return typeof v === "number" || typeof v === "boolean" ? ` (it is ${v})` : "";
}

/** One ajv error in the words of this pack: the policy, the key, what was expected. */
function describeSchemaError(name: string, policy: Policy, e: ErrorObject): string {
  const at = `"${name}"${keyPath(e.instancePath)}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "additionalProperties":
      return e.instancePath === ""
        ? `"${name}".${String(p.additionalProperty)}: the policy has no such property (it takes: ${Object.keys(policy.configSchema?.properties ?? {}).join(", ") || "none"})`
        : `${at}.${String(p.additionalProperty)}: no such key`;
    case "required":
      return `"${name}".${String(p.missingProperty)}: required`;
    case "type":
      return `${at}: expected ${[p.type].flat().join(" or ")}`;
    case "enum":
      return `${at}: expected one of ${(p.allowedValues as unknown[]).map(String).join(", ")}`;
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const words = { minimum: "at least", maximum: "at most", exclusiveMinimum: "more than", exclusiveMaximum: "less than" }[e.keyword];
      return `${at}: expected ${words} ${String(p.limit)}${shown(e.data)}`;
    }
    default:
      return `${at}: ${e.message ?? e.keyword}`;
  }
}

/** Every problem of a config against the pack's policies (unknown policy, level, property, type, range), at once. */
export function validatePolicyConfig(config: PolicyPackConfig, policies: readonly Policy[], file: string): void {
  const problems: string[] = [];
  const byName = new Map(policies.map((p) => [p.name, p]));
  for (const [name, entry] of Object.entries(config)) {
    if (name === "all") {
      if (!LEVELS.includes(entry as EnforcementLevel)) problems.push(`"all": expected one of ${LEVELS.join(", ")}`);
      continue;
    }
    const policy = byName.get(name);
    if (!policy) {
      problems.push(`"${name}": no such policy in the pack (known: ${[...byName.keys()].join(", ")})`);
      continue;
    }
    if (typeof entry === "string") {
      if (!LEVELS.includes(entry as EnforcementLevel)) problems.push(`"${name}": expected one of ${LEVELS.join(", ")} or an object`);
      continue;
    }
    if (!entry || typeof entry !== "object") {
      problems.push(`"${name}": expected an enforcement level or an object`);
      continue;
    }
    const validate = validatorOf(policy);
    if (!validate(entry)) problems.push(...(validate.errors ?? []).map((e) => describeSchemaError(name, policy, e)));
  }
  if (problems.length > 0) throw new PolicyConfigError(file, problems);
}

/** Effective enforcement level of a policy under a config. */
export function enforcementLevelOf(policy: Policy, config: PolicyPackConfig): EnforcementLevel {
  const entry = config[policy.name];
  const own = typeof entry === "string" ? entry : entry?.enforcementLevel;
  return own ?? (config.all as EnforcementLevel | undefined) ?? policy.enforcementLevel ?? PACK_ENFORCEMENT;
}

/** A policy's config properties (without the level), as the engine hands them to getConfig(). */
export function propertiesOf(policy: Policy, config: PolicyPackConfig): Record<string, unknown> {
  const entry = config[policy.name];
  if (!entry || typeof entry === "string") return {};
  const { enforcementLevel: _level, ...props } = entry;
  return props;
}

/** The stack whose policy config is the production one (policies/config/prod.json). */
export const PRODUCTION_POLICY_CONFIG = "prod";

/**
 * The policy config a stack is reviewed under, chosen by its validated `production`
 * flag, not by its name: the stack's own file (policies/config/<stack>.json) when there is
 * one; otherwise, for a production stack, the production config; otherwise none (every
 * policy advisory). A `production: true` stack named "live" used to get every policy
 * advisory because no live.json existed.
 */
export function policyConfigFor(stack: string, production: boolean): { config: PolicyPackConfig; file: string | null } {
  const own = loadPolicyConfig(stack);
  if (own.file || !production) return own;
  const prod = loadPolicyConfig(PRODUCTION_POLICY_CONFIG);
  if (!prod.file) throw new PolicyConfigError(policyConfigPath(stack), [`stack "${stack}" has production: true but neither ${stack}.json nor ${PRODUCTION_POLICY_CONFIG}.json exists in ${configDir()}; a production stack is never reviewed with every policy advisory`]);
  return prod;
}

/** Whether a policy has a production switch (its rule applies only in production). */
export function hasProductionSwitch(policy: Policy): boolean {
  return policy.configSchema?.properties?.production !== undefined;
}

/**
 * A production stack's config with every production rule switched on, whatever the file
 * says: the settings are the source of truth for `production`. A file that switches a
 * production rule off (`production: false`) for a production stack is refused, naming it.
 */
export function withProductionRules(config: PolicyPackConfig, policies: readonly Policy[], file: string): PolicyPackConfig {
  const out: PolicyPackConfig = { ...config };
  const problems: string[] = [];
  for (const policy of policies) {
    if (!hasProductionSwitch(policy)) continue;
    const entry = config[policy.name];
    const obj = typeof entry === "string" ? { enforcementLevel: entry as EnforcementLevel } : entry && typeof entry === "object" ? entry : {};
    if ((obj as { production?: unknown }).production === false) {
      problems.push(`"${policy.name}".production: is false, but the stack's settings say production: true; remove it (production rules follow the settings)`);
      continue;
    }
    out[policy.name] = { ...obj, production: true } as PolicyPackConfig[string];
  }
  if (problems.length > 0) throw new PolicyConfigError(file, problems);
  return out;
}
