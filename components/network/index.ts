import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link DataTierNetwork}. */
export interface DataTierNetworkArgs {
  /** VPC the data tier lives in. */
  vpcId: pulumi.Input<string>;
  /** Security groups of the application tier: the only clients of PgBouncer and Redis. */
  appSecurityGroupIds: string[];
  /** Operator / bastion security groups, admitted to Redis and Postgres directly. @default [] */
  adminSecurityGroupIds?: string[];
  /** @default 6379 */
  redisPort?: number;
  /** @default 5432 */
  postgresPort?: number;
  /** @default 6432 */
  pgbouncerPort?: number;
  /** Tags for every resource. */
  tags: Record<string, string>;
}

/**
 * The data tier's security groups and the only paths between them:
 * app -> Redis, app -> PgBouncer -> Postgres, plus named admin groups to Redis and
 * Postgres. No CIDR ingress at all; PgBouncer's only other egress is HTTPS (image
 * pulls, Secrets Manager, CloudWatch Logs).
 */
export class DataTierNetwork extends pulumi.ComponentResource {
  /** Security group of the ElastiCache nodes. */
  public readonly redisSecurityGroupId: pulumi.Output<string>;
  /** Security group of the RDS instances. */
  public readonly postgresSecurityGroupId: pulumi.Output<string>;
  /** Security group of the PgBouncer tasks and its load balancer. */
  public readonly pgbouncerSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: DataTierNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("datatier:network:DataTierNetwork", name, {}, opts);
    const a = { adminSecurityGroupIds: [], redisPort: 6379, postgresPort: 5432, pgbouncerPort: 6432, ...args };
    const child = { parent: this };
    const sg = (role: string, description: string) =>
      new aws.ec2.SecurityGroup(`${name}-${role}`, { vpcId: a.vpcId, description, tags: { ...a.tags, Name: `${name}-${role}`, DataTier: role } }, child);

    const redis = sg("redis", "Redis (ElastiCache): application and admin security groups only");
    const postgres = sg("postgres", "PostgreSQL (RDS): PgBouncer and admin security groups only");
    const pgbouncer = sg("pgbouncer", "PgBouncer (ECS Fargate + NLB): application security groups only");

    const ingress = (role: string, target: aws.ec2.SecurityGroup, port: number, sources: pulumi.Input<string>[], why: string) =>
      sources.forEach((source, i) => {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-${role}-in-${i}`,
          { securityGroupId: target.id, referencedSecurityGroupId: source, ipProtocol: "tcp", fromPort: port, toPort: port, description: why, tags: a.tags },
          child,
        );
      });
    ingress("redis-app", redis, a.redisPort, a.appSecurityGroupIds, "application to Redis");
    // A group both app and admin would give the same Redis rule twice, which EC2 refuses as a duplicate: once is enough.
    ingress("redis-admin", redis, a.redisPort, a.adminSecurityGroupIds.filter((g) => !a.appSecurityGroupIds.includes(g)), "operators to Redis");
    ingress("pgbouncer-app", pgbouncer, a.pgbouncerPort, a.appSecurityGroupIds, "application to PgBouncer");
    ingress("postgres-pgbouncer", postgres, a.postgresPort, [pgbouncer.id], "PgBouncer to PostgreSQL");
    ingress("postgres-admin", postgres, a.postgresPort, a.adminSecurityGroupIds, "operators to PostgreSQL");

    new aws.vpc.SecurityGroupEgressRule(
      `${name}-pgbouncer-out-postgres`,
      { securityGroupId: pgbouncer.id, referencedSecurityGroupId: postgres.id, ipProtocol: "tcp", fromPort: a.postgresPort, toPort: a.postgresPort, description: "PgBouncer to PostgreSQL", tags: a.tags },
      child,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-pgbouncer-out-https`,
      { securityGroupId: pgbouncer.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "ECR, Secrets Manager, CloudWatch Logs", tags: a.tags },
      child,
    );

    this.redisSecurityGroupId = redis.id;
    this.postgresSecurityGroupId = postgres.id;
    this.pgbouncerSecurityGroupId = pgbouncer.id;
    this.registerOutputs({
      redisSecurityGroupId: this.redisSecurityGroupId,
      postgresSecurityGroupId: this.postgresSecurityGroupId,
      pgbouncerSecurityGroupId: this.pgbouncerSecurityGroupId,
    });
  }
}
