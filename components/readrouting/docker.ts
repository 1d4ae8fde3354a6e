/**
 * The read router as a container beside PgBouncer (docker). The same router as the
 * sandbox process and the AWS sidecar: the one bundle (sidecar.ts bundleRouter) on the
 * pinned Node base, started with a configuration file.
 *
 * What the AWS sidecar gets from sharing PgBouncer's task, this container gets the same
 * way: PgBouncer's config folder is a named volume mounted by both (a task volume on
 * ECS), so the router rewrites the very pgbouncer.ini PgBouncer reloads. It reaches the
 * admin console and the servers on the stack network, not through PgBouncer's network
 * namespace: a container joined to another's namespace loses its network when that one
 * is stopped or recreated (the pgbouncer-down drill, an `up` with a changed ini), and
 * the router has to keep working across PgBouncer's restarts (on ECS the task restarts
 * as a whole, so the sidecar never has to).
 *
 * Its configuration holds the monitoring role's and the console's passwords: it travels
 * as a secret upload readable by root only, never as environment or arguments. Its state
 * file is written to a host folder bound into the container, where the smoke suite
 * reads it (contract `pgbouncer.readRouting.stateFile`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DOCKER_CONFIG_DIR } from "../pgbouncer/docker";
import { bundleRouter } from "./sidecar";

/** Where the bundle, the configuration and the state live inside the container. */
export const ROUTER_BUNDLE = "/app/router.js";
export const ROUTER_CONFIG = "/etc/read-router/config.json";
export const ROUTER_STATE_DIR = "/var/lib/read-router";
export const ROUTER_STATE_FILE = `${ROUTER_STATE_DIR}/state.json`;

/** The volume holding PgBouncer's config folder, mounted by PgBouncer and the router. */
export function pgbouncerConfigVolume(parent: pulumi.Resource, name: string, labels: { label: string; value: string }[]): docker.Volume {
  return new docker.Volume(`${name}-config`, { name: `${name}-config`, labels: [...labels, { label: "datatier.role", value: "pgbouncer-config" }] }, { parent });
}

/**
 * Health: the router finished a round within three intervals plus 2 s (the bound the
 * `pgbouncer.read-router` check and the sandbox use). Node itself reads the state file:
 * the image has no shell tools to rely on.
 */
export function routerHealthCommand(intervalMs: number): string[] {
  const bound = 3 * intervalMs + 2000;
  const script = `const s=JSON.parse(require("fs").readFileSync("${ROUTER_STATE_FILE}","utf8"));process.exit(s.lastCheckAt&&Date.now()-Date.parse(s.lastCheckAt)<=${bound}?0:1)`;
  return ["CMD", "node", "-e", script];
}

export interface ReadRouterContainerArgs {
  /** Pinned Node image (settings readRouting.baseImage). */
  baseImage: string;
  intervalMs: number;
  /** The configuration document (components/readrouting/config.ts), passwords inside: kept secret. */
  configJson: pulumi.Output<string>;
  networkName: pulumi.Input<string>;
  /** PgBouncer's config volume (pgbouncerConfigVolume). */
  configVolume: docker.Volume;
  /** Host folder bound at ROUTER_STATE_DIR: the state file is read there by the suite. */
  stateDir: string;
  /** The PgBouncer container: created first (its upload puts the ini into the volume). */
  pgbouncer: docker.Container;
  /** Also created after these, once healthy (the replicas it routes to; see ReadRoutingArgs.startAfter). */
  startAfter?: pulumi.Resource[];
  labels: { label: string; value: string }[];
}

export function readRouterContainer(parent: pulumi.Resource, name: string, o: ReadRouterContainerArgs): docker.Container {
  const child = { parent };
  const host = `${name}-read-router`;
  const image = new docker.RemoteImage(`${name}-router-image`, { name: o.baseImage, keepLocally: true }, child);
  // As the provider's contentBase64: bytes to copy, not configuration text (the bundle's
  // code holds words like "undefined" that the program's input scan rightly refuses in values).
  const bundle = readFileSync(join(bundleRouter(), "router.js")).toString("base64");
  return new docker.Container(
    `${name}-router-container`,
    {
      name: host,
      hostname: host,
      image: image.imageId,
      entrypoints: ["node"],
      command: [ROUTER_BUNDLE, ROUTER_CONFIG],
      networksAdvanced: [{ name: o.networkName, aliases: [host] }],
      uploads: [
        { file: ROUTER_BUNDLE, contentBase64: bundle, owner: "0", group: "0", permissions: "0644" },
        { file: ROUTER_CONFIG, content: pulumi.secret(o.configJson), owner: "0", group: "0", permissions: "0600" },
      ],
      volumes: [
        { volumeName: o.configVolume.name, containerPath: DOCKER_CONFIG_DIR },
        { hostPath: o.stateDir, containerPath: ROUTER_STATE_DIR },
      ],
      // As on PgBouncer's container: podman in a VM starts nothing without them.
      ulimits: [
        { name: "nofile", soft: 1024, hard: 1024 },
        { name: "nproc", soft: 4096, hard: 4096 },
      ],
      healthcheck: { tests: routerHealthCommand(o.intervalMs), interval: "2s", timeout: "4s", retries: 10, startPeriod: "2s" },
      restart: "unless-stopped",
      labels: [...o.labels, { label: "datatier.role", value: "read-router" }],
    },
    { ...child, dependsOn: [o.pgbouncer, ...(o.startAfter ?? [])] },
  );
}
