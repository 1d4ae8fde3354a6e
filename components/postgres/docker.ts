/**
 * The docker realization: a primary and N streaming replicas as containers on the
 * stack's network, started from the rendered postgresql.conf / pg_hba.conf. Replicas
 * bootstrap themselves with pg_basebackup from the primary on first start.
 *
 * Passwords travel only as secret uploads (a password file the image's entrypoint reads,
 * an init script, a .pgpass), never as command arguments or plain environment.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PostgresDockerArgs, RealizedPostgres, ResolvedPostgresArgs } from "./types";
import { renderPgHba, renderPostgresConf } from "./render";
import { rolePassword, scramSalt } from "./roles";
import { scramVerifier } from "./scram";

/** PostgreSQL image for the docker platform: pinned, so a rebuild never changes the engine underneath. */
export const DEFAULT_POSTGRES_IMAGE = "postgres:15.8";

/** uid/gid of the `postgres` user in the official image. */
const POSTGRES_UID = "999";
/** The postgres user's home: exists in the image, so uploads need no new folders. */
const HOME = "/var/lib/postgresql";
export const PGDATA = `${HOME}/data/pgdata`;
export const CONF_PATH = `${HOME}/postgresql.conf`;
export const HBA_PATH = `${HOME}/pg_hba.conf`;
export const SUPERUSER_PASSWORD_PATH = `${HOME}/.superuser-password`;
export const PGPASS_PATH = `${HOME}/.pgpass`;
export const REPLICATION_INIT_PATH = "/docker-entrypoint-initdb.d/10-replication-role.sql";

/**
 * Explicit limits: without them the engine's default applies, and where that is above the
 * host's hard limit (podman in a VM) the container does not start ("setrlimit
 * RLIMIT_NOFILE: Operation not permitted").
 */
export const POSTGRES_ULIMITS = [
  { name: "nofile", soft: 16384, hard: 16384 },
  { name: "nproc", soft: 4096, hard: 4096 },
];

const SERVER_ARGS = ["-c", `config_file=${CONF_PATH}`, "-c", `hba_file=${HBA_PATH}`];

/** A SQL string literal; passwords here are alphanumeric, quoting is defence in depth. */
export function sqlLiteral(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f]/.test(value)) throw new Error("sql literal: control characters are not allowed");
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Init script the image runs once on an empty data dir: the streaming replication role,
 * with the SCRAM verifier of its password (never the password: the init script's SQL
 * runs on a server with pg_stat_statements loaded). `salt` keeps the script the same
 * between runs, so the upload does not change on every preview.
 */
export function replicationRoleSql(user: string, password: string, salt?: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(user)) throw new Error(`replication role: "${user}" is not a lower-case role name`);
  return `CREATE ROLE ${user} WITH REPLICATION LOGIN PASSWORD ${sqlLiteral(scramVerifier(password, salt))};\n`;
}

/** A .pgpass line for the replication connection (":" and "\" escaped as libpq expects). */
export function pgpassLine(host: string, port: number, user: string, password: string): string {
  const esc = (v: string) => v.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return `${esc(host)}:${port}:replication:${esc(user)}:${esc(password)}\n`;
}

/**
 * Shell run by a replica container: on an empty data dir, wait for the primary and
 * clone it with pg_basebackup (-R writes standby.signal and primary_conninfo; -C creates
 * the slot, or reuses it when a recreated replica finds it there), then run the server
 * as postgres. The password comes from the uploaded .pgpass.
 */
export function replicaBootstrapScript(o: { primaryHost: string; primaryPort: number; user: string; slot: string }): string {
  for (const [k, v] of Object.entries({ primaryHost: o.primaryHost, user: o.user, slot: o.slot })) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v)) throw new Error(`replica bootstrap: ${k} must be letters, digits, ".", "_" or "-"`);
  }
  const backup = `gosu postgres pg_basebackup -h ${o.primaryHost} -p ${o.primaryPort} -U ${o.user} -D "$PGDATA" -R -X stream -S ${o.slot}`;
  return [
    "set -eu",
    `export PGPASSFILE=${PGPASS_PATH}`,
    'if [ ! -s "$PGDATA/PG_VERSION" ]; then',
    '  mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"',
    `  until gosu postgres pg_isready -q -h ${o.primaryHost} -p ${o.primaryPort}; do sleep 1; done`,
    `  ${backup} -C || { find "$PGDATA" -mindepth 1 -delete; ${backup}; }`,
    "fi",
    `exec gosu postgres postgres ${SERVER_ARGS.join(" ")}`,
  ].join("\n");
}

/** Healthcheck command: accepting connections (a hot standby counts). */
export function postgresHealthCommand(port: number, database: string, user: string): string {
  return `pg_isready -q -h 127.0.0.1 -p ${port} -d ${database} -U ${user}`;
}

export function realizeDockerPostgres(parent: pulumi.Resource, name: string, a: ResolvedPostgresArgs, placement: PostgresDockerArgs): RealizedPostgres {
  const p = a.settings.postgres;
  const prefix = placement.containerPrefix ?? name;
  const hostPort = placement.hostPort ?? p.port;
  const child = { parent };
  const replicationUser = a.roleNames.replication;
  const labels = (role: string) => [
    ...Object.entries(a.tags).map(([k, v]) => ({ label: `datatier.${k.toLowerCase()}`, value: v })),
    { label: "datatier.role", value: role },
  ];
  const upload = (file: string, content: pulumi.Input<string>, secret: boolean) => ({
    file,
    content: secret ? pulumi.secret(content) : content,
    owner: POSTGRES_UID,
    group: POSTGRES_UID,
    permissions: "0600",
  });
  const health = {
    tests: ["CMD-SHELL", postgresHealthCommand(p.port, p.databaseName, p.masterUsername)],
    interval: "5s",
    timeout: "3s",
    retries: 10,
    startPeriod: "30s",
  };
  const conf = (role: "primary" | "replica") => renderPostgresConf(a.settings, { role, port: p.port, listenAddresses: "*", socketDir: "/var/run/postgresql" });
  // Containers reach each other (and the provider, through the published port) from the network's own subnet.
  const hba = renderPgHba({ replicationUser, localCidr: "samenet" });

  const superuserPassword = rolePassword(parent, `${name}-superuser-password`);
  const replicationPassword = rolePassword(parent, `${name}-replication-password`);

  const image = new docker.RemoteImage(`${name}-image`, { name: placement.image ?? DEFAULT_POSTGRES_IMAGE, keepLocally: true }, child);
  const dataVolume = new docker.Volume(`${name}-primary-data`, { name: `${prefix}-primary-data`, labels: labels("postgres-primary-data") }, child);

  const primaryHost = `${prefix}-primary`;
  const primary = new docker.Container(
    `${name}-primary`,
    {
      name: primaryHost,
      hostname: primaryHost,
      image: image.imageId,
      command: ["postgres", ...SERVER_ARGS],
      envs: [`POSTGRES_USER=${p.masterUsername}`, `POSTGRES_DB=${p.databaseName}`, `POSTGRES_PASSWORD_FILE=${SUPERUSER_PASSWORD_PATH}`, `PGDATA=${PGDATA}`],
      networksAdvanced: [{ name: placement.networkName, aliases: [primaryHost] }],
      ports: [{ internal: p.port, external: hostPort, ip: "127.0.0.1" }],
      volumes: [{ volumeName: dataVolume.name, containerPath: `${HOME}/data` }],
      uploads: [
        upload(CONF_PATH, conf("primary"), false),
        upload(HBA_PATH, hba, false),
        upload(SUPERUSER_PASSWORD_PATH, superuserPassword, true),
        upload(REPLICATION_INIT_PATH, pulumi.all([replicationPassword, scramSalt(parent, `${name}-replication-salt`)]).apply(([pw, salt]) => replicationRoleSql(replicationUser, pw, salt)), true),
      ],
      ulimits: POSTGRES_ULIMITS,
      healthcheck: health,
      // Created = healthy: replicas and the role provider connect right after.
      wait: true,
      waitTimeout: 180,
      restart: "unless-stopped",
      labels: labels("postgres-primary"),
    },
    child,
  );

  const replicas = Array.from({ length: p.replicas }, (_, i) => {
    const host = `${prefix}-replica-${i + 1}`;
    return new docker.Container(
      `${name}-replica-${i + 1}`,
      {
        name: host,
        hostname: host,
        image: image.imageId,
        entrypoints: ["bash", "-c"],
        command: [replicaBootstrapScript({ primaryHost, primaryPort: p.port, user: replicationUser, slot: `replica_${i + 1}` })],
        envs: [`PGDATA=${PGDATA}`],
        networksAdvanced: [{ name: placement.networkName, aliases: [host] }],
        ports: [{ internal: p.port, external: hostPort + i + 1, ip: "127.0.0.1" }],
        uploads: [
          upload(CONF_PATH, conf("replica"), false),
          upload(HBA_PATH, hba, false),
          upload(PGPASS_PATH, replicationPassword.apply((pw) => pgpassLine(primaryHost, p.port, replicationUser, pw)), true),
        ],
        ulimits: POSTGRES_ULIMITS,
        healthcheck: health,
        restart: "unless-stopped",
        labels: labels("postgres-replica"),
      },
      { ...child, dependsOn: [primary] },
    );
  });

  const loopback = (port: number) => ({ host: "127.0.0.1", port });
  return {
    primaryInstanceId: primary.name,
    replicaInstanceIds: replicas.map((r) => r.name),
    primaryAddress: pulumi.output(primaryHost),
    replicaAddresses: replicas.map((_, i) => pulumi.output(`${prefix}-replica-${i + 1}`)),
    port: pulumi.output(p.port),
    contractPrimary: pulumi.output(loopback(hostPort)),
    contractReplicas: pulumi.output(replicas.map((_, i) => ({ id: `${prefix}-replica-${i + 1}`, ...loopback(hostPort + i + 1) }))),
    tls: false,
    admin: { host: pulumi.output("127.0.0.1"), port: pulumi.output(hostPort), username: pulumi.output(p.masterUsername), password: superuserPassword, sslmode: "disable", superuser: true, dependsOn: [primary] },
    masterSecretArn: undefined,
    replicaContainers: replicas,
  };
}
