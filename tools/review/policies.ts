/**
 * The offline review's policy section: the pack's policies run in-process on the
 * program's run under mocks, with the stack's policy config (policies/config/<stack>.json),
 * plus the plain-output check stack policies cannot do. Violations are grouped by policy,
 * then resource; the section fails when a mandatory one is violated, as
 * `pulumi preview --policy-pack` would. Secret values are never printed.
 */
import * as path from "node:path";
import { checkPlainOutputs, hasMandatory, knownSecretValues, runPolicies, type Violation } from "../../policies/policies";
import { enforcementLevelOf, policyConfigFor } from "../../policies/enforcement";
import { noSecretInPlainOutput } from "../../policies/secrets";
import type { ReviewSection, SectionBuilder } from "./section";

interface Group {
  policy: string;
  enforcementLevel: string;
  description: string;
  findings: { resource: string; message: string }[];
}

function groupByPolicy(violations: Violation[]): Group[] {
  const groups = new Map<string, Group>();
  for (const v of violations) {
    const g = groups.get(v.policy) ?? { policy: v.policy, enforcementLevel: v.enforcementLevel, description: v.description, findings: [] };
    // A preview-only advisory result must not hide the policy's real level.
    if (v.enforcementLevel === "mandatory") g.enforcementLevel = "mandatory";
    g.findings.push({ resource: v.resourceName ? `${v.resourceType} ${v.resourceName}` : "(stack)", message: v.message });
    groups.set(v.policy, g);
  }
  return [...groups.values()].sort((a, b) => Number(b.enforcementLevel === "mandatory") - Number(a.enforcementLevel === "mandatory") || a.policy.localeCompare(b.policy));
}

export const policiesReviewSection: SectionBuilder = async ({ stack, settings, run }): Promise<ReviewSection> => {
  // The validated settings say whether this is production, not the stack's name.
  const production = settings?.production === true;
  const { config, file } = policyConfigFor(stack, production);
  const result = await runPolicies({ resources: run.resources, stack, config, production });
  const outputLevel = enforcementLevelOf(noSecretInPlainOutput, config);
  const outputViolations: Violation[] =
    outputLevel === "disabled"
      ? []
      : checkPlainOutputs(run.outputs, run.secretOutputs, knownSecretValues(run.resources)).map((o) => ({
          policy: o.policy,
          description: noSecretInPlainOutput.description,
          enforcementLevel: outputLevel,
          severity: noSecretInPlainOutput.severity,
          message: o.message,
          resourceType: "stack output",
          resourceName: o.path,
        }));
  const violations = [...result.violations, ...outputViolations];
  const groups = groupByPolicy(violations);
  const mandatory = violations.filter((v) => v.enforcementLevel === "mandatory").length;

  const lines = [
    `policy config: ${file ? path.relative(process.cwd(), file) : `none (policies/config/${stack}.json absent: every policy advisory)`}${production ? " (production: true: every production rule applies)" : ""}`,
    violations.length === 0 ? "no violations" : `${violations.length} violation(s), ${mandatory} mandatory, in ${groups.length} polic${groups.length === 1 ? "y" : "ies"}`,
  ];
  for (const g of groups) {
    lines.push("", `[${g.enforcementLevel}] ${g.policy}: ${g.description}`);
    const byResource = new Map<string, string[]>();
    for (const f of g.findings) byResource.set(f.resource, [...(byResource.get(f.resource) ?? []), f.message]);
    for (const [resource, messages] of byResource) {
      lines.push(`  ${resource}`);
      for (const m of messages) lines.push(`    - ${m}`);
    }
  }
  return {
    title: "Policies",
    text: lines.join("\n"),
    json: { configFile: file && path.relative(process.cwd(), file), violations, notApplicable: result.notApplicable.filter((n) => !n.reason.startsWith("Policy only applies")).length, mandatory },
    failed: hasMandatory(violations),
  };
};
