/**
 * What AWS, docker or PostgreSQL would refuse in the resources the program registers,
 * judged on the evaluated program (every input as the provider receives it), not on
 * the settings: values against the AWS API models (components/aws/models), and the
 * cross-resource rules the program creates itself (duplicate security group rules,
 * one NLB subnet per zone, metric-math alarms over 10 metrics, tag keys equal but for
 * case, docker container names / images / host ports, PostgreSQL role names).
 *
 * Each problem names the settings key the value came from (found by value in the
 * settings), or the resource and input when the program derived it. The review exits 2
 * on any: a refusal at review, never at `pulumi up`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- recorded inputs are provider-shaped */
import { checkApiShapes } from "../../components/aws/models";
import { CONTAINER_NAME, imageReferenceProblem, networkNameProblem } from "../../components/docker/reference";
import { roleNameProblem } from "../../components/postgres/catalogue/roleNames";
import type { SettingsProblem } from "../../components/settings/load";
import type { Settings } from "../../components/settings/schema";
import type { RecordedResource } from "../evaluate/program";

/** CloudWatch: a metric-math alarm reads at most 10 metrics (PutMetricAlarm, "Metrics"). */
export const MAX_ALARM_METRICS = 10;

/** Settings leaves as [dotted path, value]. */
function leaves(v: unknown, path: string[] = []): [string[], unknown][] {
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [[path, v]];
}

/**
 * The settings key a sent value came from: a leaf equal to it, else the longest string
 * leaf (3+ characters) a short value (512 characters at most) contains. Undefined when
 * the program derived it (the problem then names the resource and input).
 */
export function settingsKeyFor(settings: Settings, value: unknown, prefer: string[] = []): string | undefined {
  // Identity settings (project, environment, ...) are in every name: never "the" key, unless preferred.
  const identity = ["project", "environment", "platform", "region", "production"];
  const all = leaves(settings).filter(([p]) => (p.length > 0 && !identity.includes(p[0])) || prefer.includes(p.join(".")));
  const exact = all.filter(([, x]) => x === value || (typeof x === "number" && String(x) === value));
  const pick = (c: [string[], unknown][]) => c.find(([p]) => prefer.includes(p.join("."))) ?? c[0];
  // As keys are written elsewhere: list items as [n].
  const key = (p: string[]) => p.map((x, i) => (/^\d+$/.test(x) ? `[${x}]` : i === 0 ? x : `.${x}`)).join("");
  if (exact.length) return key(pick(exact)[0]);
  // A long document (a JSON secret, a dashboard) holds many settings: none of them is "the" key.
  if (typeof value !== "string" || value.length > 512) return undefined;
  const inside = all.filter(([, x]) => typeof x === "string" && x.length >= 3 && value.includes(x)).sort((a, b) => String(b[1]).length - String(a[1]).length);
  return inside.length ? key(pick(inside)[0]) : undefined;
}

export interface Found {
  key?: string;
  where: string;
  value?: unknown;
  message: string;
}

function problem(project: string, f: Found): SettingsProblem {
  return { key: f.key ? `${project}:${f.key}` : f.where, value: f.value, message: f.key ? `${f.message} (${f.where})` : `${f.message} (derived by the program)` };
}

/** What the cross-resource rules read of a resource (a recorded resource, or a policy's view of one). */
export type CheckedResource = Pick<RecordedResource, "type" | "name" | "custom" | "inputs">;

const ofType = <R extends CheckedResource>(rs: R[], type: string) => rs.filter((r) => r.custom && r.type === type);

/** Security group rules the program would create twice (EC2 refuses a duplicate rule). */
export function duplicateRules(rs: CheckedResource[], settings?: Settings): Found[] {
  const out: Found[] = [];
  for (const [type, dir] of [["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ingress"], ["aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress"]] as const) {
    const seen = new Map<string, string>();
    for (const r of ofType(rs, type)) {
      const i = r.inputs;
      const k = [i.securityGroupId, i.referencedSecurityGroupId ?? i.cidrIpv4 ?? i.cidrIpv6 ?? i.prefixListId, i.ipProtocol, i.fromPort, i.toPort].join("|");
      const first = seen.get(k);
      if (first) out.push({ key: settings && settingsKeyFor(settings, i.referencedSecurityGroupId ?? i.cidrIpv4), where: `${r.name} and ${first}`, value: i.referencedSecurityGroupId ?? i.cidrIpv4, message: `gives the same ${dir} rule (port ${i.fromPort}) twice; EC2 refuses a duplicate security group rule` });
      else seen.set(k, r.name);
    }
  }
  return out;
}

/** Load balancers with two subnets in one zone (ELBv2 CreateLoadBalancer: one subnet per zone). */
function subnetsPerZone(rs: RecordedResource[], settings: Settings): Found[] {
  const zoneOf = new Map(settings.network.privateSubnets.map((s) => [s.id, s.availabilityZone]));
  const out: Found[] = [];
  for (const r of ofType(rs, "aws:lb/loadBalancer:LoadBalancer")) {
    const byZone = new Map<string, string[]>();
    for (const id of (r.inputs.subnets ?? []) as string[]) {
      const z = zoneOf.get(id);
      if (z) byZone.set(z, [...(byZone.get(z) ?? []), id]);
    }
    for (const [zone, ids] of byZone) if (ids.length > 1) out.push({ key: "network.privateSubnets", where: r.name, value: ids, message: `puts ${ids.length} subnets of ${zone} behind the load balancer; ELBv2 accepts one subnet per availability zone` });
  }
  return out;
}

export function alarmMetrics(rs: CheckedResource[]): Found[] {
  return ofType(rs, "aws:cloudwatch/metricAlarm:MetricAlarm")
    .filter((r) => ((r.inputs.metricQueries ?? []) as any[]).filter((q) => q.metric).length > MAX_ALARM_METRICS)
    .map((r) => ({ key: "redis.clusterMode.shards", where: r.name, message: `reads ${(r.inputs.metricQueries as any[]).filter((q) => q.metric).length} metrics; CloudWatch allows ${MAX_ALARM_METRICS} per metric-math alarm` }));
}

/** Tag keys equal but for case on one resource (IAM refuses them as duplicates). */
export function tagCase(rs: CheckedResource[], settings?: Settings): Found[] {
  const out: Found[] = [];
  for (const r of rs.filter((x) => x.custom && x.inputs.tags && typeof x.inputs.tags === "object")) {
    const seen = new Map<string, string>();
    for (const k of Object.keys(r.inputs.tags)) {
      const first = seen.get(k.toLowerCase());
      if (first !== undefined) out.push({ key: !settings ? undefined : Object.hasOwn(settings.tags, k) ? `tags.${k}` : Object.hasOwn(settings.tags, first) ? `tags.${first}` : undefined, where: r.name, value: k, message: `and "${first}" are one tag key to IAM (keys are case-insensitive); AWS refuses the duplicate` });
      else seen.set(k.toLowerCase(), k);
    }
  }
  return out;
}

/** The docker plan by the engine's own rules: container names, image references, host ports published once and in range. */
function dockerPlan(rs: RecordedResource[], settings: Settings): Found[] {
  const out: Found[] = [];
  const portKeys = ["postgres.port", "redis.port", "redis.sentinel.port", "pgbouncer.port"];
  const ports = new Map<string, string>();
  for (const r of ofType(rs, "docker:index/container:Container")) {
    const name = String(r.inputs.name ?? r.name);
    if (!CONTAINER_NAME.test(name)) out.push({ key: settingsKeyFor(settings, name), where: r.name, value: name, message: "is not a container name docker accepts ([a-zA-Z0-9][a-zA-Z0-9_.-]+)" });
    const why = typeof r.inputs.image === "string" ? imageReferenceProblem(r.inputs.image) : undefined;
    if (why) out.push({ key: settingsKeyFor(settings, r.inputs.image), where: r.name, message: why });
    for (const p of (r.inputs.ports ?? []) as any[]) {
      const external = Number(p.external);
      const key = settingsKeyFor(settings, Number(p.internal), portKeys) ?? portKeys.find((k) => k.endsWith("port"));
      if (!Number.isInteger(external) || external < 1 || external > 65535) {
        out.push({ key, where: r.name, value: external, message: "publishes a host port outside 1-65535 (a replica or Sentinel takes the port after its primary's)" });
        continue;
      }
      const slot = `${p.ip ?? "0.0.0.0"}:${external}/${p.protocol ?? "tcp"}`;
      const first = ports.get(slot);
      if (first) out.push({ key, where: `${r.name} and ${first}`, value: external, message: `both publish host port ${slot}; docker binds a host port once (replicas and Sentinels take the ports after their primary's)` });
      else ports.set(slot, r.name);
    }
  }
  // Volumes: moby's same restricted pattern.
  for (const r of ofType(rs, "docker:index/volume:Volume")) {
    const name = String(r.inputs.name ?? r.name);
    if (!CONTAINER_NAME.test(name)) out.push({ key: settingsKeyFor(settings, name), where: r.name, value: name, message: `is not a volume name the engine accepts (${CONTAINER_NAME.source})` });
  }
  // Networks: podman's pattern (libpod NameRegex), and the names docker or podman will not create.
  for (const r of ofType(rs, "docker:index/network:Network")) {
    const name = String(r.inputs.name ?? r.name);
    const why = networkNameProblem(name);
    if (why) out.push({ key: settingsKeyFor(settings, name), where: r.name, value: name, message: why });
  }
  for (const r of [...ofType(rs, "docker:index/remoteImage:RemoteImage"), ...ofType(rs, "docker:index/image:Image")]) {
    const ref = r.inputs.name ?? r.inputs.imageName;
    const why = typeof ref === "string" ? imageReferenceProblem(ref) : undefined;
    if (why) out.push({ key: settingsKeyFor(settings, ref), where: r.name, message: why });
  }
  return out;
}

function roles(rs: RecordedResource[], settings: Settings): Found[] {
  return ofType(rs, "postgresql:index/role:Role").flatMap((r) => {
    const why = typeof r.inputs.name === "string" ? roleNameProblem(r.inputs.name, { master: false, platform: settings.platform }) : undefined;
    return why ? [{ key: settingsKeyFor(settings, r.inputs.name), where: r.name, value: r.inputs.name, message: why }] : [];
  });
}

/** Every refusal found in the evaluated program, each as a settings problem (exit 2). */
export function programProblems(resources: RecordedResource[], settings: Settings, project: string): SettingsProblem[] {
  const api = checkApiShapes(resources).problems.map((p): Found => ({
    key: settingsKeyFor(settings, p.value),
    where: `${p.resource} input ${p.input}, ${p.member}`,
    value: p.value,
    message: p.message,
  }));
  return [...api, ...duplicateRules(resources, settings), ...subnetsPerZone(resources, settings), ...alarmMetrics(resources), ...tagCase(resources, settings), ...dockerPlan(resources, settings), ...roles(resources, settings)].map((f) => problem(project, f));
}
