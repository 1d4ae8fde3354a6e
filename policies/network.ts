/**
 * Network policies: nothing in the data tier is open to the whole internet. The
 * resource policy sees each rule alone (data ports, inline rules of a tagged group);
 * the stack policy joins standalone rules with the security group they open, to catch
 * any other port of a data-tier group.
 */
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { TYPES, configOf } from "./common";

/** Tag key components/network puts on the data tier's security groups (value: redis, postgres, pgbouncer). */
export const DATA_TIER_TAG = "DataTier";

export const WORLD_CIDRS: readonly string[] = ["0.0.0.0/0", "::/0"];

/** Postgres, Redis, PgBouncer. */
export const DATA_PORTS: readonly number[] = [5432, 6379, 6432];

/** One ingress permission, whichever resource type it came from. */
export interface Ingress {
  protocol: string;
  fromPort?: number;
  toPort?: number;
  cidrs: string[];
}

/** Normalises the three ways @pulumi/aws expresses an ingress rule; undefined for egress. */
export function ingressOf(type: string, props: Record<string, unknown>): Ingress[] | undefined {
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  switch (type) {
    case TYPES.securityGroup:
      return (Array.isArray(props.ingress) ? (props.ingress as Record<string, unknown>[]) : []).map((r) => ({
        protocol: String(r.protocol ?? "tcp"),
        fromPort: num(r.fromPort),
        toPort: num(r.toPort),
        cidrs: [...list(r.cidrBlocks), ...list(r.ipv6CidrBlocks)],
      }));
    case TYPES.ingressRule:
      return [
        {
          protocol: String(props.ipProtocol ?? "tcp"),
          fromPort: num(props.fromPort),
          toPort: num(props.toPort),
          cidrs: [props.cidrIpv4, props.cidrIpv6].filter((x): x is string => typeof x === "string"),
        },
      ];
    case TYPES.securityGroupRule:
      if (props.type !== "ingress") return undefined;
      return [{ protocol: String(props.protocol ?? "tcp"), fromPort: num(props.fromPort), toPort: num(props.toPort), cidrs: [...list(props.cidrBlocks), ...list(props.ipv6CidrBlocks)] }];
    default:
      return undefined;
  }
}

function allPorts(rule: Ingress): boolean {
  return rule.protocol === "-1" || rule.protocol.toLowerCase() === "all" || (rule.fromPort === 0 && rule.toPort === 65535);
}

export function isWorldOpen(rule: Ingress): boolean {
  return rule.cidrs.some((c) => WORLD_CIDRS.includes(c));
}

/** The data ports a world-open rule exposes. */
export function exposedPorts(rule: Ingress, ports: readonly number[]): number[] {
  if (!isWorldOpen(rule)) return [];
  if (allPorts(rule)) return [...ports];
  const from = rule.fromPort ?? rule.toPort;
  const to = rule.toPort ?? rule.fromPort;
  if (from === undefined || to === undefined) return [];
  return ports.filter((p) => p >= from && p <= to);
}

function portText(rule: Ingress): string {
  return allPorts(rule) ? "all ports" : rule.fromPort === rule.toPort ? `port ${rule.fromPort}` : `ports ${rule.fromPort}-${rule.toPort}`;
}

function worldText(rule: Ingress): string {
  return rule.cidrs.filter((c) => WORLD_CIDRS.includes(c)).join(" and ");
}

function isDataTierGroup(props: Record<string, unknown>): boolean {
  const tags = props.tags as Record<string, unknown> | undefined;
  return !!tags && typeof tags === "object" && DATA_TIER_TAG in tags;
}

export interface PortsConfig {
  ports: number[];
}

const portsSchema = {
  properties: {
    ports: { type: "array", items: { type: "integer", minimum: 1, maximum: 65535 }, default: [...DATA_PORTS], description: "Data-tier ports never opened to 0.0.0.0/0 or ::/0." },
  },
} as const;

export const noPublicIngressToDataPorts: ResourceValidationPolicy = {
  name: "no-public-ingress-to-data-ports",
  description: "No security group rule admits 0.0.0.0/0 or ::/0 to a data-tier port (5432, 6379, 6432 by default), and no inline rule of a data-tier security group admits them to any port.",
  severity: "critical",
  configSchema: portsSchema,
  validateResource: (args: ResourceValidationArgs, reportViolation) => {
    const rules = ingressOf(args.type, args.props);
    if (!rules) return;
    const { ports } = configOf<PortsConfig>(portsSchema, args);
    const taggedGroup = args.type === TYPES.securityGroup && isDataTierGroup(args.props);
    for (const rule of rules) {
      const exposed = exposedPorts(rule, ports);
      if (exposed.length > 0) {
        reportViolation(`Set the source of the ingress rule on ${portText(rule)} to a security group or private CIDR instead of ${worldText(rule)}; it exposes data-tier port(s) ${exposed.join(", ")}.`);
      } else if (taggedGroup && isWorldOpen(rule)) {
        reportViolation(`Set the source of the inline ingress rule on ${portText(rule)} of data-tier security group ${args.name} to a security group instead of ${worldText(rule)}.`);
      }
    }
  },
};

/** The security group a standalone rule opens: by id, else by the engine's property dependency. */
function targetGroup(rule: PolicyResource, groups: PolicyResource[]): PolicyResource | undefined {
  const id = rule.props.securityGroupId;
  return (
    groups.find((g) => typeof id === "string" && id !== "" && g.props.id === id) ??
    groups.find((g) => (rule.propertyDependencies.securityGroupId ?? []).some((d) => d.urn === g.urn))
  );
}

export const noPublicIngressToDataTierGroups: StackValidationPolicy = {
  name: "no-public-ingress-to-data-tier-groups",
  description: `No standalone ingress rule admits 0.0.0.0/0 or ::/0 to any port of a security group tagged ${DATA_TIER_TAG} (data ports themselves are no-public-ingress-to-data-ports' concern).`,
  severity: "critical",
  configSchema: portsSchema,
  validateStack: (args, reportViolation) => {
    const { ports } = configOf<PortsConfig>(portsSchema, args);
    const groups = args.resources.filter((r) => r.type === TYPES.securityGroup && isDataTierGroup(r.props));
    for (const r of args.resources) {
      if (r.type === TYPES.securityGroup) continue;
      for (const rule of ingressOf(r.type, r.props) ?? []) {
        if (!isWorldOpen(rule) || exposedPorts(rule, ports).length > 0) continue;
        const group = targetGroup(r, groups);
        if (group) {
          reportViolation(`Set the source of ingress rule ${r.name} (${portText(rule)}) on data-tier security group ${group.name} to a security group instead of ${worldText(rule)}.`, r.urn);
        }
      }
    }
  },
};

export const NETWORK_POLICIES = [noPublicIngressToDataPorts, noPublicIngressToDataTierGroups];
