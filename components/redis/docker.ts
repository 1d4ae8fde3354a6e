/**
 * The docker realization: a master, N replicas and the Sentinels as containers on the
 * stack's network, each started from the rendered redis.conf / sentinel.conf.
 *
 * The configs hold the ACL users' passwords, so they travel as secret uploads, never as command
 * arguments or environment. They live in /data, which the image's entrypoint hands to
 * the `redis` user: Sentinel rewrites its file, and Redis rewrites its own after a
 * failover (CONFIG REWRITE), so both must be writable there.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { RedisOutputs } from "../contract/outputs";
import type { RealizedRedis, RedisDockerArgs, ResolvedRedisArgs } from "./types";
import { REDIS_USERS, type RedisUserPasswords } from "./acl";
import { renderRedisConf, renderSentinelConf } from "./render";

/** Redis image for the docker platform: pinned, so a rebuild never changes the engine underneath. */
export const DEFAULT_REDIS_IMAGE = "redis:7.2.5";

/** uid/gid of the `redis` user in the official image. */
const REDIS_UID = "999";
const DATA_DIR = "/data";

/**
 * Explicit file and process limits on every container. An engine applies its own default
 * otherwise, and where that default is above the host's hard limit (podman in a VM, seen
 * here) the container cannot start at all ("setrlimit RLIMIT_NOFILE: Operation not
 * permitted"). 16384 covers Redis' default maxclients (10000) plus its reserve of 32.
 */
export const REDIS_ULIMITS = [
  { name: "nofile", soft: 16384, hard: 16384 },
  { name: "nproc", soft: 4096, hard: 4096 },
];

/**
 * What a client on the host needs: Sentinel announces data nodes by their in-network
 * name and port (announce-hostnames, replica-announce-ip), which only resolve inside the
 * network; each maps to the port published on 127.0.0.1. Keys are "host:port" as
 * ioredis' natMap expects them.
 */
export function redisHostNatMap(nodes: { host: string; internalPort: number; hostPort: number }[]): Record<string, { host: string; port: number }> {
  return Object.fromEntries(nodes.map((n) => [`${n.host}:${n.internalPort}`, { host: "127.0.0.1", port: n.hostPort }]));
}
export const REDIS_CONF_PATH = `${DATA_DIR}/redis.conf`;
export const SENTINEL_CONF_PATH = `${DATA_DIR}/sentinel.conf`;

/**
 * The monitoring user's password, as its own file (0600, owner redis): the healthchecks
 * read it into their redis-cli's environment, so it never sits in the container spec.
 * Not the config file: CONFIG REWRITE (after a failover) stores ACL passwords as hashes.
 */
export const MONITOR_AUTH_PATH = `${DATA_DIR}/monitor.auth`;

const cliAs = (authFile: string, port: number) => `REDISCLI_AUTH="$(cat ${authFile})" redis-cli --no-auth-warning --user ${REDIS_USERS.monitoring} -p ${port}`;

/** Shell healthcheck of a data node: PING as the monitoring user answers PONG. */
export function redisHealthCommand(authFile: string, port: number): string {
  return `${cliAs(authFile, port)} ping | grep -q PONG`;
}

/**
 * Shell healthcheck of a Sentinel: it answers CKQUORUM with OK (peers found, quorum
 * reachable) and is out of TILT. A Sentinel whose timer stalled for over 2 s (a starved or
 * paused host) enters TILT for 30 s and acts on nothing meanwhile, while CKQUORUM keeps
 * saying OK: found on the real engine, where `up` called such a stack healed and the
 * suite's redis.sentinel-quorum then WARNed "(in TILT)" for the rest of the 30 s.
 */
export function sentinelHealthCommand(port: number, masterName: string, authFile: string = MONITOR_AUTH_PATH): string {
  if (!/^[a-zA-Z0-9._-]+$/.test(masterName)) throw new Error(`sentinel health: redis.sentinel.masterName must hold only letters, digits, ".", "_", "-"`);
  return `${cliAs(authFile, port)} sentinel ckquorum ${masterName} | grep -q '^OK' && ${cliAs(authFile, port)} info sentinel | grep -q '^sentinel_tilt:0'`;
}

export function realizeDockerRedis(parent: pulumi.Resource, name: string, a: ResolvedRedisArgs, placement: RedisDockerArgs, passwords: pulumi.Output<RedisUserPasswords>): RealizedRedis {
  const s = a.settings;
  const prefix = placement.containerPrefix ?? name;
  const hostPort = placement.hostPort ?? s.port;
  const sentinelHostPort = placement.sentinelHostPort ?? s.sentinel.port;
  const child = { parent };
  const labels = (role: string) => [
    ...Object.entries(a.tags).map(([k, v]) => ({ label: `datatier.${k.toLowerCase()}`, value: v })),
    { label: "datatier.role", value: role },
  ];

  const image = new docker.RemoteImage(`${name}-image`, { name: placement.image ?? DEFAULT_REDIS_IMAGE, keepLocally: true }, child);
  const masterVolume = new docker.Volume(`${name}-master-data`, { name: `${prefix}-master-data`, labels: labels("redis-master-data") }, child);

  const masterHost = `${prefix}-master`;
  const redisHealth: docker.types.input.ContainerHealthcheck = {
    tests: ["CMD-SHELL", redisHealthCommand(MONITOR_AUTH_PATH, s.port)],
    interval: "5s",
    timeout: "3s",
    retries: 5,
    startPeriod: "5s",
  };
  const upload = (file: string, content: pulumi.Output<string>) => [
    { file, content: pulumi.secret(content), owner: REDIS_UID, group: REDIS_UID, permissions: "0600" },
    { file: MONITOR_AUTH_PATH, content: pulumi.secret(passwords.apply((pw) => pw.monitoring)), owner: REDIS_UID, group: REDIS_UID, permissions: "0600" },
  ];

  const node = (role: string, host: string, external: number, replicaOf: { host: string; port: number } | undefined, deps: pulumi.Resource[]) =>
    new docker.Container(
      `${name}-${role}`,
      {
        name: host,
        hostname: host,
        image: image.imageId,
        command: ["redis-server", REDIS_CONF_PATH],
        networksAdvanced: [{ name: placement.networkName, aliases: [host] }],
        ports: [{ internal: s.port, external, ip: "127.0.0.1" }],
        volumes: role === "master" ? [{ volumeName: masterVolume.name, containerPath: DATA_DIR }] : [],
        // announceIp = the container name: otherwise the master lists its replicas by
        // bridge IP, Sentinel promotes one by that IP, and after a failover nothing (in the
        // network or on the host) finds the new master by a stable name.
        uploads: upload(REDIS_CONF_PATH, passwords.apply((pw) => renderRedisConf(s, { bind: "0.0.0.0", port: s.port, dir: DATA_DIR, passwords: pw, replicaOf, announceIp: host }))),
        ulimits: REDIS_ULIMITS,
        healthcheck: redisHealth,
        restart: "unless-stopped",
        labels: labels(role === "master" ? "redis-master" : "redis-replica"),
      },
      { ...child, dependsOn: deps },
    );

  const master = node("master", masterHost, hostPort, undefined, []);
  const replicas = Array.from({ length: s.replicas }, (_, i) =>
    node(`replica-${i + 1}`, `${prefix}-replica-${i + 1}`, hostPort + i + 1, { host: masterHost, port: s.port }, [master]),
  );

  const sentinels = Array.from({ length: s.sentinel.count }, (_, i) => {
    const host = `${prefix}-sentinel-${i + 1}`;
    return new docker.Container(
      `${name}-sentinel-${i + 1}`,
      {
        name: host,
        hostname: host,
        image: image.imageId,
        command: ["redis-server", SENTINEL_CONF_PATH, "--sentinel"],
        networksAdvanced: [{ name: placement.networkName, aliases: [host] }],
        ports: [{ internal: s.sentinel.port, external: sentinelHostPort + i, ip: "127.0.0.1" }],
        uploads: upload(
          SENTINEL_CONF_PATH,
          passwords.apply((pw) => renderSentinelConf(s, { bind: "0.0.0.0", port: s.sentinel.port, dir: DATA_DIR, masterHost, masterPort: s.port, passwords: pw })),
        ),
        ulimits: REDIS_ULIMITS,
        // Healthy = this Sentinel sees enough others to authorize a failover (CKQUORUM), not
        // just PONG: on a real engine a Sentinel answers PING seconds before it has found
        // its peers, and the stack is not failover-ready until then.
        healthcheck: { tests: ["CMD-SHELL", sentinelHealthCommand(s.sentinel.port, s.sentinel.masterName)], interval: "5s", timeout: "3s", retries: 5, startPeriod: "5s" },
        restart: "unless-stopped",
        labels: labels("redis-sentinel"),
      },
      { ...child, dependsOn: [master, ...replicas] },
    );
  });

  const loopback = (port: number) => ({ host: "127.0.0.1", port });
  const contract: pulumi.Output<RedisOutputs> = pulumi.output({
    primary: loopback(hostPort),
    readers: replicas.map((_, i) => loopback(hostPort + i + 1)),
    nodes: [{ name: "master", ...loopback(hostPort) }, ...replicas.map((_, i) => ({ name: `replica-${i + 1}`, ...loopback(hostPort + i + 1) }))],
    sentinels: sentinels.map((_, i) => loopback(sentinelHostPort + i)),
    sentinelMasterName: s.sentinel.masterName,
    expectedReplicas: s.replicas,
    natMap: redisHostNatMap([
      { host: masterHost, internalPort: s.port, hostPort },
      ...replicas.map((_, i) => ({ host: `${prefix}-replica-${i + 1}`, internalPort: s.port, hostPort: hostPort + i + 1 })),
    ]),
    tls: false,
    authRequired: true,
    users: { application: REDIS_USERS.application, monitoring: REDIS_USERS.monitoring, operator: REDIS_USERS.operator },
    aws: null,
  });
  return { contract, replicationGroupId: undefined, memberClusterIds: pulumi.output([]) };
}
