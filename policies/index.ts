/**
 * The CrossGuard policy pack's entry point, run by the Pulumi CLI:
 *   pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json
 * Constructing a PolicyPack starts the analyzer's gRPC server, and a second one in the
 * same process exits it: nothing but the CLI may import this file (tests and tools
 * import ./policies instead).
 */
import { PolicyPack } from "@pulumi/policy";
import { ALL_POLICIES } from "./policies";
import { PACK_ENFORCEMENT } from "./enforcement";

new PolicyPack("data-tier", {
  description: "Data tier guardrails: RDS PostgreSQL, ElastiCache, PgBouncer on ECS/NLB, network, replica-lag alarms, tags, protection, secrets.",
  enforcementLevel: PACK_ENFORCEMENT,
  policies: ALL_POLICIES,
});
