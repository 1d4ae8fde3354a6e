import { basename, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { PgBouncerOutputs } from "../contract/outputs";
import { ENV_PLACEHOLDER, type RouterConfig } from "../readrouting/config";
import { pgbouncerConfigVolume, readRouterContainer, ROUTER_STATE_FILE } from "../readrouting/docker";
import { PGBOUNCER_UID, readRouterImage } from "../readrouting/sidecar";
import type { PgBouncerSettings, ReadRoutingSettings } from "../settings/schema";
import { DOCKER_CONFIG_DIR, pgbouncerContainer, tagLabels, type PgBouncerDockerArgs } from "./docker";
import { CONTAINER_CONFIG_DIR, pgbouncerEcs } from "./ecs";
import { pgbouncerImage } from "./image";
import { pgbouncerNlb } from "./nlb";
import { HBA_FILE, poolUsersFor, readOnlyDatabaseName, readWriteDatabaseName, renderPgBouncerHba, renderPgBouncerIni, renderUserlist, type PgBouncerRuntime, type PoolUsers, type ServerLogin } from "./render";

export * from "./render";
export type { PgBouncerDockerArgs } from "./docker";

/** AWS placement: Fargate tasks and the internal NLB in the private subnets. */
export interface PgBouncerAwsArgs {
  /** AWS region (the awslogs driver needs it). */
  region: string;
  /** VPC of the target group. */
  vpcId: pulumi.Input<string>;
  /** Private subnets for the tasks and the NLB (two or more zones in production). */
  subnetIds: pulumi.Input<string>[];
  /** The data tier's PgBouncer security group (components/network): app groups in, Postgres out. */
  securityGroupId: pulumi.Input<string>;
}

/** A login PgBouncer admits and passes on to Postgres. */
export interface PgBouncerUser {
  name: pulumi.Input<string>;
  /**
   * Password (secret) clients give PgBouncer (the auth file). Without `serverPassword`
   * PgBouncer also logs in to the server with it, so it must then be the role's own.
   */
  password: pulumi.Input<string>;
  /**
   * The role's password on PostgreSQL when it differs from `password` (secret; docker,
   * issue 20: no bypass). The user's pool (`pools` "read-write" or "read-only") then logs in
   * to the servers as this role with it (user=/password= on its [databases] line), and
   * the client's `password` is PgBouncer's only.
   */
  serverPassword?: pulumi.Input<string>;
  /**
   * The pools this role may use (auth_type = hba, issue 20): an application role one
   * pool, monitoring both. When no user says, every user may use both pools (as before).
   */
  pools?: "read-write" | "read-only" | "both";
}

/** Arguments of {@link PgBouncer}; exactly one of `aws` and `docker`. */
export interface PgBouncerArgs {
  /** The stack's validated PgBouncer settings (components/settings/schema.ts). */
  settings: PgBouncerSettings;
  /** Production: NLB deletion protection, secrets kept 30 days after deletion, ECR images kept. @default false */
  production?: boolean;
  /** Primary host as PgBouncer reaches it (RDS address, or container name on the docker network). */
  primaryHost: pulumi.Input<string>;
  /** Replica hosts, all on `port`; empty sends the read-only pool to the primary. @default [] */
  replicaHosts?: pulumi.Input<string>[];
  /** Server port of the primary and the replicas. */
  port: pulumi.Input<number>;
  /** Database on the servers; the pools are `<database>` and `<database>_ro`. */
  database: string;
  /** Logins in the auth file; duplicates by name (e.g. all the master user) are kept once. */
  users: PgBouncerUser[];
  /** Tags for every taggable resource (labels on docker). @default {} */
  tags?: Record<string, string>;
  /** Realize on ECS Fargate behind an internal NLB. */
  aws?: PgBouncerAwsArgs;
  /** Realize as a local container. */
  docker?: PgBouncerDockerArgs;
  /** Run the read router beside PgBouncer (AWS: a sidecar in the task); none when absent. */
  readRouting?: ReadRoutingArgs;
}

/** What the read router needs beyond PgBouncer's own arguments. */
export interface ReadRoutingArgs {
  settings: ReadRoutingSettings;
  /** The role the router measures the servers with (pg_monitor, owner of the heartbeat table). */
  monitoring: { name: pulumi.Input<string>; password: pulumi.Input<string> };
  /** Replica-lag levels, seconds (effective thresholds). */
  lag: { warning: number; critical: number };
  /** Servers demand TLS. */
  tls: boolean;
  /** Namespace and `Environment` dimension of its CloudWatch metrics. */
  metricNamespace: string;
  environment: string;
  /** Docker: host folder bound into the router's container for its state file (the suite reads it there). */
  stateDir?: string;
  /**
   * Docker: containers the router starts after, once they are healthy (the replicas): its
   * first round then measures servers that are up, instead of routing reads to the primary
   * until a replica that is still starting answers.
   */
  startAfter?: pulumi.Resource[];
  /**
   * Docker: each server's in-network "host:port" (as PgBouncer's pools name it) -> where
   * the host reaches it; the contract hands it to the suite's read-pool check.
   */
  natMap?: pulumi.Input<Record<string, { host: string; port: number }>>;
}

/** Mutually exclusive or impossible args, refused before anything is registered. */
export function checkPgBouncerArgs(name: string, args: PgBouncerArgs): void {
  const s = args.settings;
  if (!args.aws === !args.docker) throw new Error(`PgBouncer ${name}: give exactly one of "aws" and "docker" (got ${args.aws ? "both" : "neither"})`);
  if (args.users.length === 0) throw new Error(`PgBouncer ${name}: "users" is empty; PgBouncer would admit nobody`);
  if (s.tls.server === "verify-ca" || s.tls.server === "verify-full") {
    throw new Error(`PgBouncer ${name}: pgbouncer.tls.server "${s.tls.server}" needs a CA bundle in the image, which this component does not ship; use "require"`);
  }
  if (args.docker && s.tls.client !== "disable") {
    throw new Error(`PgBouncer ${name}: pgbouncer.tls.client "${s.tls.client}" has no certificate on the docker platform; use "disable"`);
  }
  if (args.docker && args.readRouting && !args.readRouting.stateDir) throw new Error(`PgBouncer ${name}: readRouting.stateDir is missing; on docker the read router writes its state to a host folder the smoke suite reads`);
  const split = args.users.filter((u) => u.serverPassword !== undefined);
  if (split.length && args.aws) throw new Error(`PgBouncer ${name}: users' serverPassword is for docker; on AWS the read router's config travels as a plain task variable and the security groups keep applications off RDS`);
  for (const u of split) {
    if (u.pools !== "read-write" && u.pools !== "read-only") throw new Error(`PgBouncer ${name}: a user with a serverPassword needs pools "read-write" or "read-only" (the pool that logs in as it); got ${u.pools === undefined ? "none" : `"${u.pools}"`}`);
  }
  for (const pool of ["read-write", "read-only"] as const) {
    if (split.filter((u) => u.pools === pool).length > 1) throw new Error(`PgBouncer ${name}: more than one user with a serverPassword on the ${pool} pool; a pool logs in to the servers as one role`);
  }
  if (args.aws && args.aws.subnetIds.length === 0) throw new Error(`PgBouncer ${name}: aws.subnetIds is empty; the tasks and the NLB need private subnets`);
}

/** Server-side facts for the renderer, once the hosts are known. */
function runtimeFor(s: PgBouncerSettings, dir: string, database: string, primary: string, replicas: string[], port: number, poolUsers?: PoolUsers, serverLogins?: ServerLogins): PgBouncerRuntime {
  return {
    ...(poolUsers ? { poolUsers, hbaFile: `${dir}/${HBA_FILE}` } : {}),
    ...(serverLogins && (serverLogins.readWrite || serverLogins.readOnly) ? { serverLogins } : {}),
    listenAddr: "0.0.0.0",
    listenPort: s.port,
    primary: { host: primary, port },
    replicas: replicas.map((host) => ({ host, port })),
    database,
    authFile: `${dir}/userlist.txt`,
    tls: s.tls.client === "disable" ? undefined : { clientCertFile: `${dir}/tls.crt`, clientKeyFile: `${dir}/tls.key` },
  };
}

type ServerLogins = { readWrite?: ServerLogin; readOnly?: ServerLogin };

/** The pools' server logins from the users that carry a serverPassword (none: each client logs in as itself). */
export function serverLoginsFor(users: { name: string; pools?: PgBouncerUser["pools"]; serverPassword?: string }[]): ServerLogins {
  const of = (pool: "read-write" | "read-only") => {
    const u = users.find((x) => x.serverPassword !== undefined && x.pools === pool);
    return u ? { user: u.name, password: u.serverPassword! } : undefined;
  };
  const readWrite = of("read-write");
  const readOnly = of("read-only");
  return { ...(readWrite ? { readWrite } : {}), ...(readOnly ? { readOnly } : {}) };
}

/** Where the router finds the servers and the console, and where it reports. */
interface RouterPlacement {
  instance: string;
  primary: string;
  replicas: { name: string; host: string }[];
  port: number;
  monitoring: { user: string; password: string };
  console: { host: string; password: string };
  stateFile: string | null;
  metrics: RouterConfig["metrics"];
}

/** The router's configuration document, one shape for the AWS sidecar and the docker container. */
function routerConfig(s: PgBouncerSettings, rr: ReadRoutingArgs, dir: string, database: string, p: RouterPlacement, poolUsers?: PoolUsers, serverLogins?: ServerLogins): RouterConfig {
  const { primary: _p, replicas: _r, database: _d, ...runtime } = runtimeFor(s, dir, database, p.primary, [], p.port, poolUsers, serverLogins);
  return {
    instance: p.instance,
    intervalMs: rr.settings.intervalMs,
    connectTimeoutMs: rr.settings.connectTimeoutMs,
    lag: rr.lag,
    primary: { host: p.primary, port: p.port },
    replicas: p.replicas.map((r) => ({ ...r, port: p.port })),
    database,
    tls: rr.tls,
    monitoring: p.monitoring,
    pgbouncer: { settings: s, runtime, iniPath: `${dir}/pgbouncer.ini`, iniOwner: { uid: PGBOUNCER_UID, gid: PGBOUNCER_UID }, console: { host: p.console.host, port: s.port, user: s.adminUser, password: p.console.password } },
    stateFile: p.stateFile,
    metrics: p.metrics,
  };
}

/**
 * PgBouncer in transaction pooling in front of PostgreSQL: a read-write pool to the
 * primary and a read-only pool over the replicas (docs/pgbouncer.md). On AWS, Fargate
 * tasks behind an internal NLB, configured from Secrets Manager; on docker, one
 * container. Admin and stats console passwords are generated here.
 */
export class PgBouncer extends pulumi.ComponentResource {
  /** Stack-output contract part for PgBouncer (no secret inside). */
  public readonly contract: pulumi.Output<PgBouncerOutputs>;
  /** Password of `settings.adminUser` on the admin console (secret). */
  public readonly adminPassword: pulumi.Output<string>;
  /** Password of `settings.statsUser` on the admin console (secret). */
  public readonly statsPassword: pulumi.Output<string>;
  /** Where clients connect: the NLB's DNS name, or 127.0.0.1 on docker. */
  public readonly endpoint: pulumi.Output<{ host: string; port: number }>;
  /** ECS cluster name; undefined off AWS. */
  public readonly clusterName: pulumi.Output<string> | undefined;
  /** ECS service name; undefined off AWS. */
  public readonly serviceName: pulumi.Output<string> | undefined;
  /** Target group ARN suffix (CloudWatch `TargetGroup` dimension); undefined off AWS. */
  public readonly targetGroupArnSuffix: pulumi.Output<string> | undefined;
  /** NLB ARN suffix (CloudWatch `LoadBalancer` dimension); undefined off AWS. */
  public readonly loadBalancerArnSuffix: pulumi.Output<string> | undefined;
  /** Tasks (or containers) the service starts with. */
  public readonly desiredCount: number;
  /** Whether a read router runs beside PgBouncer (its alarms follow). */
  public readonly readRouter: boolean;

  constructor(name: string, args: PgBouncerArgs, opts?: pulumi.ComponentResourceOptions) {
    checkPgBouncerArgs(name, args);
    super("datatier:pgbouncer:PgBouncer", name, {}, opts);
    const s = args.settings;
    const a = { production: false, replicaHosts: [] as pulumi.Input<string>[], tags: {} as Record<string, string>, ...args };
    const child = { parent: this };
    this.readRouter = !!args.aws && !!args.readRouting;

    // Letters and digits only: no quoting surprises in the userlist, URLs or shells.
    const password = (role: string) =>
      pulumi.secret(new random.RandomPassword(`${name}-${role}-password`, { length: 40, special: false, minUpper: 4, minLower: 4, minNumeric: 4 }, { ...child, additionalSecretOutputs: ["result"] }).result);
    this.adminPassword = password("admin");
    this.statsPassword = password("stats");

    const dir = args.aws ? CONTAINER_CONFIG_DIR : DOCKER_CONFIG_DIR;
    // Which pools each role may use; undefined (no hba) when no user says.
    const poolUsers: pulumi.Output<PoolUsers | undefined> = pulumi.all(a.users.map((u) => u.name)).apply((names) => poolUsersFor(names.map((n, i) => ({ name: n, pools: a.users[i].pools }))));
    const hba = poolUsers.apply((pu) => (pu ? renderPgBouncerHba(s, a.database, pu) : undefined));
    // The pools' server logins (docker): secret, as the ini and the router config that hold them.
    const serverLogins: pulumi.Output<ServerLogins> = pulumi.secret(
      pulumi
        .all(a.users.map((u) => pulumi.all([u.name, u.serverPassword === undefined ? undefined : pulumi.output(u.serverPassword)])))
        .apply((us) => serverLoginsFor(us.map(([n, sp], i) => ({ name: n, pools: a.users[i].pools, serverPassword: sp })))),
    );
    const ini = pulumi
      .all([pulumi.output(a.primaryHost), pulumi.all(a.replicaHosts.map((h) => pulumi.output(h))), pulumi.output(a.port), poolUsers, serverLogins])
      .apply(([primary, replicas, port, pu, sl]) => renderPgBouncerIni(s, runtimeFor(s, dir, a.database, primary, replicas, port, pu, sl)));
    const userlist = pulumi
      .all([pulumi.all(a.users.map((u) => pulumi.all([u.name, u.password]))), this.adminPassword, this.statsPassword])
      .apply(([users, admin, stats]) => {
        const byName = new Map<string, string>();
        for (const [n, pw] of [...users, [s.adminUser, admin], [s.statsUser, stats]]) if (!byName.has(n)) byName.set(n, pw);
        return renderUserlist([...byName].map(([n, secret]) => ({ name: n, secret })));
      });
    const secretUserlist = pulumi.secret(userlist);

    const common = {
      readWriteDatabase: readWriteDatabaseName(a.database),
      readOnlyDatabase: readOnlyDatabaseName(a.database),
      adminUser: s.adminUser,
      statsUser: s.statsUser,
      poolMode: s.poolMode,
      maxClientConn: s.maxClientConn,
      defaultPoolSize: s.defaultPoolSize,
      maxWaitingClients: s.maxWaitingClients,
    };

    if (args.aws) {
      const w = args.aws;
      const image = pgbouncerImage(this, name, { image: s.image, baseImage: s.baseImage, production: a.production, tags: a.tags });
      const rr = args.readRouting;
      const readRouter = rr && {
        imageRef: readRouterImage(this, name, { baseImage: rr.settings.baseImage, production: a.production, tags: a.tags }),
        configJson: pulumi
          .all([pulumi.output(a.primaryHost), pulumi.all(a.replicaHosts.map((h) => pulumi.output(h))), pulumi.output(a.port), pulumi.output(rr.monitoring.name), poolUsers])
          .apply(([primary, replicas, port, monitoringUser, pu]) =>
            JSON.stringify(
              routerConfig(s, rr, dir, a.database, {
                // One heartbeat row per task (main.ts resolves "hostname").
                instance: "hostname",
                primary,
                replicas: replicas.map((host, i) => ({ name: `replica-${i + 1}`, host })),
                port,
                // Placeholders: ECS injects the passwords as variables (config.ts PASSWORD_ENV).
                monitoring: { user: monitoringUser, password: ENV_PLACEHOLDER },
                // Same task: the console is on localhost.
                console: { host: "127.0.0.1", password: ENV_PLACEHOLDER },
                stateFile: null,
                metrics: { namespace: rr.metricNamespace, region: w.region, dimensions: { Environment: rr.environment } },
              }, pu),
            ),
          ),
        passwords: pulumi.secret(pulumi.all([pulumi.output(rr.monitoring.password), this.adminPassword]).apply(([monitoring, console]) => ({ monitoring, console }))),
        metricNamespace: rr.metricNamespace,
      };
      const nlb = pgbouncerNlb(this, name, { port: s.port, vpcId: w.vpcId, subnetIds: w.subnetIds, securityGroupId: w.securityGroupId, production: a.production, tags: a.tags });
      const ecs = pgbouncerEcs(this, name, {
        s,
        production: a.production,
        region: w.region,
        imageRef: image.imageRef,
        ini: pulumi.secret(ini),
        userlist: secretUserlist,
        hba,
        subnetIds: w.subnetIds,
        securityGroupId: w.securityGroupId,
        targetGroupArn: nlb.targetGroup.arn,
        dependsOn: [nlb.listener],
        tags: a.tags,
        readRouter,
      });
      this.endpoint = nlb.loadBalancer.dnsName.apply((host) => ({ host, port: s.port }));
      this.clusterName = ecs.cluster.name;
      this.serviceName = ecs.service.name;
      this.targetGroupArnSuffix = nlb.targetGroup.arnSuffix;
      this.loadBalancerArnSuffix = nlb.loadBalancer.arnSuffix;
      this.desiredCount = s.desiredCount;
      this.contract = pulumi
        .all([this.endpoint, ecs.cluster.name, ecs.service.name, nlb.targetGroup.arn, nlb.loadBalancer.arn])
        .apply(([endpoint, clusterName, serviceName, targetGroupArn, loadBalancerArn]) => ({
          endpoint,
          ...common,
          readRouting: rr ? { intervalMs: rr.settings.intervalMs, stateFile: null, metricNamespace: rr.metricNamespace } : null,
          aws: { clusterName, serviceName, targetGroupArn, loadBalancerArn, desiredCount: s.desiredCount },
        }));
    } else {
      const d = args.docker!;
      const rr = args.readRouting;
      const configVolume = rr && pgbouncerConfigVolume(this, name, tagLabels(a.tags));
      const { container, hostPort } = pgbouncerContainer(this, name, { s, placement: d, ini: pulumi.secret(ini), userlist: secretUserlist, hba, tags: a.tags, configVolume });
      if (rr && configVolume) {
        const pgbouncerHost = d.containerName ?? name;
        const configJson = pulumi
          .all([pulumi.output(a.primaryHost), pulumi.all(a.replicaHosts.map((h) => pulumi.output(h))), pulumi.output(a.port), pulumi.output(rr.monitoring.name), pulumi.output(rr.monitoring.password), this.adminPassword, poolUsers, serverLogins])
          .apply(([primary, replicas, port, monitoringUser, monitoringPassword, adminPassword, pu, sl]) =>
            JSON.stringify(
              routerConfig(s, rr, dir, a.database, {
                instance: `${pgbouncerHost}-read-router`.slice(0, 64),
                primary,
                // Named by their container, as the contract names the replicas.
                replicas: replicas.map((host) => ({ name: host, host })),
                port,
                monitoring: { user: monitoringUser, password: monitoringPassword },
                // Beside PgBouncer on the stack network (docker.ts says why not in its namespace).
                console: { host: pgbouncerHost, password: adminPassword },
                stateFile: ROUTER_STATE_FILE,
                metrics: null,
              }, pu, sl),
            ),
          );
        readRouterContainer(this, name, {
          baseImage: rr.settings.baseImage,
          intervalMs: rr.settings.intervalMs,
          configJson: pulumi.secret(configJson),
          networkName: d.networkName,
          configVolume,
          stateDir: rr.stateDir!,
          pgbouncer: container,
          startAfter: rr.startAfter ?? [],
          labels: tagLabels(a.tags),
        });
      }
      this.endpoint = pulumi.output({ host: "127.0.0.1", port: hostPort });
      this.desiredCount = 1;
      const readRouting = rr ? pulumi.output(rr.natMap ?? {}).apply((natMap) => ({ intervalMs: rr.settings.intervalMs, stateFile: join(rr.stateDir!, basename(ROUTER_STATE_FILE)), metricNamespace: null, natMap })) : pulumi.output(null);
      this.contract = pulumi.all([this.endpoint, readRouting]).apply(([endpoint, readRouting]) => ({ endpoint, ...common, readRouting, aws: null }));
    }

    this.registerOutputs({
      contract: this.contract,
      adminPassword: this.adminPassword,
      statsPassword: this.statsPassword,
      endpoint: this.endpoint,
      clusterName: this.clusterName,
      serviceName: this.serviceName,
      targetGroupArnSuffix: this.targetGroupArnSuffix,
      loadBalancerArnSuffix: this.loadBalancerArnSuffix,
      desiredCount: this.desiredCount,
    });
  }
}
