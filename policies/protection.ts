/**
 * In production, stateful resources carry Pulumi's `protect` option, so no `pulumi up`
 * or `destroy` can delete them without an explicit unprotect first.
 */
import type { StackValidationPolicy } from "@pulumi/policy";
import { TYPES, configOf, label, productionSchema, setting } from "./common";

/** Resources holding data or the settings/credentials data depends on. */
export const STATEFUL_TYPES: readonly string[] = [TYPES.rdsInstance, TYPES.replicationGroup, TYPES.secret, TYPES.rdsParameterGroup, TYPES.elasticacheParameterGroup];

export interface ProtectStatefulConfig {
  production: boolean;
  types: string[];
}

const protectSchema = productionSchema({
  types: { type: "array", items: { type: "string" }, default: [...STATEFUL_TYPES], description: "Resource types that must be protected in production." },
});

export const protectStatefulInProd: StackValidationPolicy = {
  name: "protect-stateful-in-prod",
  description: "In production, RDS instances, ElastiCache replication groups, secrets and parameter groups are protected (resource option protect: true).",
  severity: "high",
  configSchema: protectSchema,
  validateStack: (args, reportViolation) => {
    const config = configOf<ProtectStatefulConfig>(protectSchema, args);
    if (!config.production) args.notApplicable("production rule: the stack's policy config does not set production: true");
    for (const r of args.resources) {
      if (config.types.includes(r.type) && !r.opts.protect) {
        reportViolation(`Set the resource option protect to true on ${label(r.type)} ${r.name} (components protect stateful resources when ${setting("production")} is true).`, r.urn);
      }
    }
  },
};

export const PROTECTION_POLICIES = [protectStatefulInProd];
