/**
 * The pack as a library: every policy, in arrays per area, and the pure runner. The
 * pack's entry point (index.ts) only wraps ALL_POLICIES in a PolicyPack; import this
 * file, never index.ts, from tests and tools.
 */
export { ALARM_POLICIES, ELASTICACHE_POLICIES, NETWORK_POLICIES, PGBOUNCER_POLICIES, PROTECTION_POLICIES, RDS_POLICIES, SECRET_POLICIES, TAGGING_POLICIES, POLICY_AREAS, ALL_POLICIES } from "./all";

export { checkPlainOutputs, knownSecretValues, type OutputViolation } from "./secrets";
export { runPolicies, hasMandatory, type Violation, type PolicyRun, type RunPoliciesInput } from "./runner";
export { loadPolicyConfig, enforcementLevelOf, PolicyConfigError } from "./enforcement";
