/**
 * The internal Network Load Balancer in front of the PgBouncer tasks: private subnets,
 * a TCP listener on the PgBouncer port, an `ip` target group (awsvpc tasks) with TCP
 * health checks.
 *
 * The NLB sits in the PgBouncer security group (app groups admitted on the port, by
 * components/network). Without client IP preservation the tasks see the NLB's own
 * address, so the group must also admit itself on the port, and let itself out to it:
 * those two rules are added here, next to the reason for them.
 */
import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Load balancers and target groups take 32 characters at most: longer names keep a hash. */
export function elbName(base: string): string {
  if (base.length <= 32) return base;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 6);
  return `${base.slice(0, 25).replace(/-+$/, "")}-${hash}`;
}

/**
 * The target group's name: the base plus a digest of the inputs that force its
 * replacement (port, protocol, target type, VPC; hashicorp/terraform-provider-aws
 * internal/service/elbv2/target_group.go). A replacement then gets a new name, so the
 * default create-before-delete works (a target group cannot be deleted first: the
 * listener uses it) and never meets "DuplicateTargetGroupName".
 */
export function targetGroupName(base: string, forcing: { port: number; protocol: string; targetType: string; vpcId: string }): string {
  const digest = createHash("sha256").update(JSON.stringify([forcing.port, forcing.protocol, forcing.targetType, forcing.vpcId])).digest("hex").slice(0, 6);
  return elbName(`${base}-${digest}`);
}

export interface PgBouncerNlbArgs {
  port: number;
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  securityGroupId: pulumi.Input<string>;
  production: boolean;
  tags: Record<string, string>;
}

export interface PgBouncerNlb {
  loadBalancer: aws.lb.LoadBalancer;
  targetGroup: aws.lb.TargetGroup;
  listener: aws.lb.Listener;
}

export function pgbouncerNlb(parent: pulumi.Resource, name: string, a: PgBouncerNlbArgs): PgBouncerNlb {
  const child = { parent };
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-nlb-to-tasks-in`,
    { securityGroupId: a.securityGroupId, referencedSecurityGroupId: a.securityGroupId, ipProtocol: "tcp", fromPort: a.port, toPort: a.port, description: "NLB to PgBouncer tasks (traffic and health checks)", tags: a.tags },
    child,
  );
  new aws.vpc.SecurityGroupEgressRule(
    `${name}-nlb-to-tasks-out`,
    { securityGroupId: a.securityGroupId, referencedSecurityGroupId: a.securityGroupId, ipProtocol: "tcp", fromPort: a.port, toPort: a.port, description: "NLB to PgBouncer tasks (traffic and health checks)", tags: a.tags },
    child,
  );

  const loadBalancer = new aws.lb.LoadBalancer(
    `${name}-nlb`,
    {
      name: elbName(`${name}`),
      loadBalancerType: "network",
      internal: true,
      subnets: a.subnetIds,
      securityGroups: [a.securityGroupId],
      // Tasks may sit in any zone; without cross-zone a zone with no task drops its share.
      enableCrossZoneLoadBalancing: true,
      enableDeletionProtection: a.production,
      tags: a.tags,
    },
    child,
  );
  const targetGroup = new aws.lb.TargetGroup(
    `${name}-tg`,
    {
      name: pulumi.output(a.vpcId).apply((vpcId) => targetGroupName(`${name}-tg`, { port: a.port, protocol: "TCP", targetType: "ip", vpcId })),
      targetType: "ip",
      protocol: "TCP",
      port: a.port,
      vpcId: a.vpcId,
      // Long-lived pooled client connections: give them time to finish on a deploy.
      deregistrationDelay: 60,
      connectionTermination: true,
      healthCheck: { enabled: true, protocol: "TCP", port: "traffic-port", interval: 10, healthyThreshold: 3, unhealthyThreshold: 3 },
      tags: a.tags,
    },
    child,
  );
  const listener = new aws.lb.Listener(
    `${name}-listener`,
    { loadBalancerArn: loadBalancer.arn, port: a.port, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }], tags: a.tags },
    child,
  );
  return { loadBalancer, targetGroup, listener };
}
