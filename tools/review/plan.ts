/**
 * The plan section of the offline review: what the program registers, grouped by
 * resource type, with the properties a reviewer looks at first. Secret inputs are
 * never printed; `--json` carries every input, each secret as "[secret]".
 */
import type { RecordedResource } from "../evaluate/program";
import { maskedInputs } from "./snapshot";
import type { ReviewInput, ReviewSection } from "./section";

/** Properties worth showing per resource type (input paths; dots for nesting). */
export const KEY_PROPERTIES: Record<string, string[]> = {
  "aws:elasticache/replicationGroup:ReplicationGroup": [
    "replicationGroupId", "engine", "engineVersion", "nodeType", "numCacheClusters", "numNodeGroups", "replicasPerNodeGroup",
    "automaticFailoverEnabled", "multiAzEnabled", "atRestEncryptionEnabled", "transitEncryptionEnabled", "snapshotRetentionLimit", "authToken",
  ],
  "aws:elasticache/parameterGroup:ParameterGroup": ["family", "parameters"],
  "aws:elasticache/subnetGroup:SubnetGroup": ["subnetIds"],
  "aws:rds/instance:Instance": [
    "identifier", "engine", "engineVersion", "instanceClass", "replicateSourceDb", "availabilityZone", "multiAz", "storageType", "allocatedStorage",
    "maxAllocatedStorage", "storageEncrypted", "backupRetentionPeriod", "deletionProtection", "publiclyAccessible", "performanceInsightsEnabled",
    "monitoringInterval", "parameterGroupName",
  ],
  "aws:rds/parameterGroup:ParameterGroup": ["family", "parameters"],
  "aws:rds/subnetGroup:SubnetGroup": ["subnetIds"],
  "aws:ecs/service:Service": ["desiredCount", "launchType", "networkConfiguration.assignPublicIp", "deploymentCircuitBreaker"],
  "aws:ecs/taskDefinition:TaskDefinition": ["family", "cpu", "memory", "networkMode"],
  "aws:lb/loadBalancer:LoadBalancer": ["loadBalancerType", "internal", "subnets"],
  "aws:lb/targetGroup:TargetGroup": ["port", "protocol", "targetType", "healthCheck"],
  "aws:lb/listener:Listener": ["port", "protocol"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["metricName", "comparisonOperator", "threshold", "evaluationPeriods", "datapointsToAlarm", "treatMissingData"],
  "aws:sns/topic:Topic": ["name", "kmsMasterKeyId"],
  "aws:ec2/securityGroup:SecurityGroup": ["description"],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["fromPort", "toPort", "referencedSecurityGroupId", "cidrIpv4", "cidrIpv6"],
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["fromPort", "toPort", "referencedSecurityGroupId", "cidrIpv4"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "retentionInDays"],
  "aws:appautoscaling/target:Target": ["minCapacity", "maxCapacity"],
  "docker:index/container:Container": ["image", "ports"],
  "random:index/randomPassword:RandomPassword": ["length", "special"],
};

export interface PlannedResource {
  type: string;
  name: string;
  protect: boolean;
  properties: Record<string, unknown>;
  /** Every input as the provider receives it, each secret value (at any depth) shown as "[secret]". */
  inputs: Record<string, unknown>;
}

function at(obj: Record<string, unknown>, path: string): unknown {
  return path.split(".").reduce<unknown>((cur, k) => (cur && typeof cur === "object" ? (cur as Record<string, unknown>)[k] : undefined), obj);
}

function brief(v: unknown): unknown {
  if (typeof v === "string" && v.length > 60) return `${v.slice(0, 57)}...`;
  if (Array.isArray(v) && v.length > 0 && typeof v[0] === "object") return `${v.length} item${v.length === 1 ? "" : "s"}`;
  return v;
}

export function planOf(resources: RecordedResource[]): PlannedResource[] {
  return resources
    .filter((r) => r.custom)
    .map((r) => {
      const properties: Record<string, unknown> = {};
      for (const path of KEY_PROPERTIES[r.type] ?? []) {
        const top = path.split(".")[0];
        const v = at(r.inputs, path);
        if (v === undefined) continue;
        properties[path] = r.secretInputs.includes(top) ? "[secret]" : brief(v);
      }
      return { type: r.type, name: r.name, protect: r.protect, properties, inputs: maskedInputs(r) };
    });
}

function render(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function planSection({ run }: ReviewInput): ReviewSection {
  const plan = planOf(run.resources);
  const byType = new Map<string, PlannedResource[]>();
  for (const p of plan) byType.set(p.type, [...(byType.get(p.type) ?? []), p]);
  const lines: string[] = [];
  for (const [type, items] of [...byType.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`${type} (${items.length})`);
    for (const item of items) {
      const props = Object.entries(item.properties).map(([k, v]) => `${k}=${render(v)}`);
      lines.push(`  ${item.name}${item.protect ? " [protected]" : ""}${props.length ? `  ${props.join("  ")}` : ""}`);
    }
  }
  const components = run.resources.filter((r) => !r.custom).length;
  lines.push("", `${plan.length} resources in ${byType.size} types, under ${components} components`);
  return { title: "Plan", text: lines.join("\n"), json: plan, failed: false };
}
