/**
 * Per-stack policy config (policies/config/<stack>.json, the file passed to
 * `pulumi preview --policy-pack-config`): loading, validation against each policy's
 * configSchema, and the effective enforcement level, resolved as the engine does:
 * the policy's own entry, then "all", then the policy's default, then the pack's.
 */
import * as path from "node:path";
import type { EnforcementLevel, Policy, PolicyPackConfig } from "@pulumi/policy";
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

function typeOk(schema: Record<string, unknown>, v: unknown): boolean {
  switch (schema.type) {
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "string":
      return typeof v === "string";
    case "array":
      return Array.isArray(v) && (!schema.items || v.every((x) => typeOk(schema.items as Record<string, unknown>, x)));
    case "object":
      return !!v && typeof v === "object" && !Array.isArray(v);
    default:
      return true;
  }
}

/** Every problem of a config against the pack's policies (unknown policy, level, property or type), at once. */
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
    for (const [k, v] of Object.entries(entry)) {
      if (k === "enforcementLevel") {
        if (!LEVELS.includes(v as EnforcementLevel)) problems.push(`"${name}".enforcementLevel: expected one of ${LEVELS.join(", ")}`);
        continue;
      }
      const schema = policy.configSchema?.properties?.[k] as Record<string, unknown> | undefined;
      if (!schema) problems.push(`"${name}".${k}: the policy has no such property (it takes: ${Object.keys(policy.configSchema?.properties ?? {}).join(", ") || "none"})`);
      else if (!typeOk(schema, v)) problems.push(`"${name}".${k}: expected ${schema.type}`);
    }
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
