/**
 * The docker realization: one PgBouncer container (the pinned image) on the stack's
 * network in front of the Postgres containers, its port published on 127.0.0.1 only.
 * pgbouncer.ini and the userlist travel as secret uploads, never as arguments or
 * environment.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { PgBouncerSettings } from "../settings/schema";
import { healthCheckCommand } from "./health";
import { HBA_FILE, pgbouncerFileLimit } from "./render";

/** uid of the `postgres` user the pinned (Alpine) image runs PgBouncer as. */
export const IMAGE_POSTGRES_UID = "70";
export const DOCKER_CONFIG_DIR = "/etc/pgbouncer";

export interface PgBouncerDockerArgs {
  /** Name of the Docker network the container joins (it must exist already). */
  networkName: pulumi.Input<string>;
  /** Host port on 127.0.0.1. @default settings.port */
  hostPort?: number;
  /** Container and host name. @default the component name */
  containerName?: string;
}

/** The stack's tags as container labels. */
export const tagLabels = (tags: Record<string, string>) => Object.entries(tags).map(([k, v]) => ({ label: `datatier.${k.toLowerCase()}`, value: v }));

export function pgbouncerContainer(
  parent: pulumi.Resource,
  name: string,
  o: {
    s: PgBouncerSettings;
    placement: PgBouncerDockerArgs;
    ini: pulumi.Output<string>;
    userlist: pulumi.Output<string>;
    /** The rendered hba file (roles tied to pools); none: auth_type from the settings. */
    hba?: pulumi.Output<string | undefined>;
    tags: Record<string, string>;
    /** A volume for the config folder, shared with the read router (which rewrites the ini); none without a router. */
    configVolume?: docker.Volume;
  },
): { container: docker.Container; hostPort: number } {
  const child = { parent };
  const s = o.s;
  const host = o.placement.containerName ?? name;
  const hostPort = o.placement.hostPort ?? s.port;
  const image = new docker.RemoteImage(`${name}-image`, { name: s.image ?? s.baseImage, keepLocally: true }, child);
  const upload = (file: string, content: pulumi.Output<string>) => ({ file, content: pulumi.secret(content), owner: IMAGE_POSTGRES_UID, group: IMAGE_POSTGRES_UID, permissions: "0600" });
  const container = new docker.Container(
    `${name}-container`,
    {
      name: host,
      hostname: host,
      image: image.imageId,
      // Bypass the image's env-driven config generator: the rendered file is the config.
      entrypoints: ["pgbouncer"],
      command: [`${DOCKER_CONFIG_DIR}/pgbouncer.ini`],
      networksAdvanced: [{ name: o.placement.networkName, aliases: [host] }],
      ports: [{ internal: s.port, external: hostPort, ip: "127.0.0.1" }],
      uploads: pulumi.output(o.hba).apply((hba) => [
        upload(`${DOCKER_CONFIG_DIR}/pgbouncer.ini`, o.ini),
        upload(`${DOCKER_CONFIG_DIR}/userlist.txt`, o.userlist),
        ...(hba ? [upload(`${DOCKER_CONFIG_DIR}/${HBA_FILE}`, pulumi.output(hba))] : []),
      ]),
      ...(o.configVolume ? { volumes: [{ volumeName: o.configVolume.name, containerPath: DOCKER_CONFIG_DIR }] } : {}),
      // nproc too: an engine whose default is above the host's hard limit (podman in a VM)
      // cannot start the container otherwise.
      ulimits: [
        { name: "nofile", soft: pgbouncerFileLimit(s), hard: pgbouncerFileLimit(s) },
        { name: "nproc", soft: 4096, hard: 4096 },
      ],
      healthcheck: { tests: ["CMD-SHELL", healthCheckCommand(s.port)], interval: "5s", timeout: "4s", retries: 5, startPeriod: "5s" },
      restart: "unless-stopped",
      labels: [...tagLabels(o.tags), { label: "datatier.role", value: "pgbouncer" }],
    },
    child,
  );
  return { container, hostPort };
}
