/**
 * Runs the pack's policies in-process on a program run recorded under mocks
 * (tools/evaluate/program.ts), adapting each recorded resource the way the engine does:
 * resource policies see its inputs (secrets unwrapped), stack policies see its state
 * (outputs, plus the id) with options, parent, dependencies and property dependencies
 * linked. Unknown values give an advisory "can't run during preview" result, as in the
 * engine; notApplicable() is recorded, not reported.
 *
 * No PolicyPack is constructed here (that would start the analyzer's gRPC server).
 */
import {
  type EnforcementLevel,
  type Policies,
  type PolicyPackConfig,
  type PolicyResource,
  type PolicyResourceOptions,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
  type StackValidationArgs,
  type StackValidationPolicy,
  UnknownValueError,
  unknownCheckingProxy,
} from "@pulumi/policy";
import type { RecordedResource } from "../tools/evaluate/program";
import { enforcementLevelOf, policyConfigFor, policyConfigPath, propertiesOf, validatePolicyConfig, withProductionRules } from "./enforcement";

export interface Violation {
  policy: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  severity?: string;
  message: string;
  /** The resource in violation; absent for a stack-wide violation. */
  urn?: string;
  resourceType?: string;
  resourceName?: string;
}

export interface NotApplicable {
  policy: string;
  reason: string;
  urn?: string;
}

export interface PolicyRun {
  violations: Violation[];
  notApplicable: NotApplicable[];
}

/** What a recorded resource must provide (RecordedResource satisfies it). */
export type PolicyInputResource = Pick<RecordedResource, "type" | "name" | "urn" | "custom" | "inputs" | "state" | "protect" | "ignoreChanges" | "additionalSecretOutputs" | "dependencies"> &
  Partial<Pick<RecordedResource, "parent" | "propertyDependencies" | "id" | "provider">>;

export interface RunPoliciesInput {
  resources: readonly PolicyInputResource[];
  stack: string;
  /** The policy pack config; default policyConfigFor(stack, production): policies/config/<stack>.json, the production config for a production stack without one, else every policy advisory. */
  config?: PolicyPackConfig;
  /** The stack's validated `production` setting: production rules apply whatever the stack is named. */
  production?: boolean;
  /** Policies to run; default every policy of the pack. */
  policies?: Policies;
}

class NotApplicableSignal extends Error {
  constructor(public readonly reason: string) {
    super(reason);
  }
}

function isTypeOf(type: string, cls: unknown): boolean {
  const isInstance = (cls as { isInstance?: (o: unknown) => boolean }).isInstance;
  return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function optionsOf(r: PolicyInputResource): PolicyResourceOptions {
  return {
    protect: r.protect,
    ignoreChanges: r.ignoreChanges,
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: r.additionalSecretOutputs,
    parent: r.parent,
  };
}

const isProvider = (r: PolicyInputResource) => r.type.startsWith("pulumi:providers:");

/** The provider resource a `urn::id` reference names, when the run recorded it. */
function providerOf(r: PolicyInputResource, all: readonly PolicyInputResource[]) {
  if (!r.provider) return undefined;
  const urn = r.provider.split("::").slice(0, -1).join("::");
  const p = all.find((x) => x.urn === urn);
  return p ? { type: p.type, props: p.inputs, urn: p.urn, name: p.name } : undefined;
}

/** ResourceValidationArgs for a recorded resource: props are its inputs, as the engine's analyze() gets them. */
export function resourceArgs(r: PolicyInputResource, all: readonly PolicyInputResource[], getConfig: () => object): ResourceValidationArgs {
  const props = unknownCheckingProxy(r.inputs) as Record<string, unknown>;
  return {
    type: r.type,
    props,
    urn: r.urn,
    name: r.name,
    opts: optionsOf(r),
    provider: providerOf(r, all),
    stackTags: new Map(),
    isType: (cls) => isTypeOf(r.type, cls),
    asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: getConfig as ResourceValidationArgs["getConfig"],
    notApplicable: (reason?: string): never => {
      throw new NotApplicableSignal(reason ?? "");
    },
  };
}

/** PolicyResources for a stack policy: state (plus id) as props, links resolved by URN. */
export function stackResources(all: readonly PolicyInputResource[]): PolicyResource[] {
  const byUrn = new Map<string, PolicyResource>();
  const out = all.map((r) => {
    const props = unknownCheckingProxy({ ...r.state, ...(r.id !== undefined ? { id: r.id } : {}) }) as Record<string, unknown>;
    const pr: PolicyResource = {
      type: r.type,
      props,
      urn: r.urn,
      name: r.name,
      opts: optionsOf(r),
      provider: providerOf(r, all),
      dependencies: [],
      propertyDependencies: {},
      isType: (cls) => isTypeOf(r.type, cls),
      asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
    byUrn.set(r.urn, pr);
    return pr;
  });
  all.forEach((r, i) => {
    const pr = out[i];
    if (r.parent) pr.parent = byUrn.get(r.parent);
    pr.dependencies = r.dependencies.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x);
    for (const [k, urns] of Object.entries(r.propertyDependencies ?? {})) {
      pr.propertyDependencies[k] = urns.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => !!x);
    }
  });
  return out;
}

function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
  return typeof (p as StackValidationPolicy).validateStack === "function";
}

async function runOne(
  policy: ResourceValidationPolicy | StackValidationPolicy,
  level: EnforcementLevel,
  call: (report: (message: string, urn?: string) => void) => Promise<void> | void,
  subject: { urn?: string; type?: string; name?: string },
  byUrn: Map<string, PolicyInputResource>,
  result: PolicyRun,
): Promise<void> {
  const report = (message: string, urn?: string) => {
    const target = urn ?? subject.urn;
    const r = target ? byUrn.get(target) : undefined;
    result.violations.push({
      policy: policy.name,
      description: policy.description,
      enforcementLevel: level,
      severity: policy.severity,
      message,
      urn: target,
      resourceType: r?.type ?? subject.type,
      resourceName: r?.name ?? subject.name,
    });
  };
  try {
    await call(report);
  } catch (e) {
    if (e instanceof NotApplicableSignal) {
      result.notApplicable.push({ policy: policy.name, reason: e.reason, urn: subject.urn });
    } else if (e instanceof UnknownValueError) {
      result.violations.push({ policy: policy.name, description: policy.description, enforcementLevel: "advisory", severity: policy.severity, message: `can't run policy '${policy.name}' during preview: ${(e as Error).message}`, urn: subject.urn, resourceType: subject.type, resourceName: subject.name });
    } else {
      throw new Error(`policy ${policy.name} failed${subject.name ? ` on ${subject.type} ${subject.name}` : ""}: ${(e as Error).message}`, { cause: e });
    }
  }
}

/**
 * Runs every policy (or `input.policies`) on a recorded program run under the stack's
 * policy config. Throws PolicyConfigError (naming the file and every problem) on a bad config.
 */
export async function runPolicies(input: RunPoliciesInput): Promise<PolicyRun> {
  // Loaded lazily: the pack's policies import @pulumi/aws.
  const policies = input.policies ?? (await import("./all")).ALL_POLICIES;
  let config = input.config;
  let file = "(config passed in)";
  if (!config) {
    const loaded = policyConfigFor(input.stack, input.production === true);
    config = loaded.config;
    file = loaded.file ?? policyConfigPath(input.stack);
  }
  validatePolicyConfig(config, policies, file);
  if (input.production === true) config = withProductionRules(config, policies, file);

  const result: PolicyRun = { violations: [], notApplicable: [] };
  const byUrn = new Map(input.resources.map((r) => [r.urn, r]));
  const custom = input.resources.filter((r) => r.custom && !isProvider(r));
  let stackView: PolicyResource[] | undefined;

  for (const policy of policies) {
    const level = enforcementLevelOf(policy, config);
    if (level === "disabled") continue;
    const props = propertiesOf(policy, config);
    const getConfig = () => ({ ...props });
    if (isStackPolicy(policy)) {
      stackView ??= stackResources(input.resources);
      const args: StackValidationArgs = {
        resources: stackView,
        stackTags: new Map(),
        getConfig: getConfig as StackValidationArgs["getConfig"],
        notApplicable: (reason?: string): never => {
          throw new NotApplicableSignal(reason ?? "");
        },
      };
      await runOne(policy, level, (report) => policy.validateStack(args, report), {}, byUrn, result);
      continue;
    }
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    // The engine's fast path: a single typed validation skips other types silently.
    const onlyType = validations.length === 1 ? (validations[0] as { __pulumiType?: string }).__pulumiType : undefined;
    for (const r of custom) {
      if (onlyType && r.type !== onlyType) continue;
      const args = resourceArgs(r, input.resources, getConfig);
      await runOne(policy, level, async (report) => {
        for (const v of validations) await v(args, report);
      }, { urn: r.urn, type: r.type, name: r.name }, byUrn, result);
    }
  }
  return result;
}

/** True when a mandatory policy was violated: `pulumi preview` would fail. */
export function hasMandatory(violations: readonly Violation[]): boolean {
  return violations.some((v) => v.enforcementLevel === "mandatory" || v.enforcementLevel === "remediate");
}
