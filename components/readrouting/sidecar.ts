/**
 * The read router as a sidecar in the PgBouncer task (AWS): same task, so it reaches the
 * admin console on localhost and rewrites the ini PgBouncer reads (a task volume at
 * /etc/pgbouncer shared by both containers). Its image is the router bundled into one
 * file (esbuild) on the pinned `readRouting.baseImage`, pushed to ECR and run by digest.
 * The monitoring role's and the console's passwords come from one Secrets Manager
 * secret (two JSON keys, injected by ECS as variables); the configuration document in
 * plain environment holds no secret.
 *
 * Not essential: a crashed router must never stop the task (PgBouncer keeps pooling on
 * the last set); the "router silent" alarm pages instead.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";
import { recordBuild, unchangedBuild } from "./buildIndex";
import { CONFIG_ENV, PASSWORD_ENV } from "./config";

export const READ_ROUTER_CONTAINER = "read-router";
/** Task volume holding pgbouncer.ini, mounted by PgBouncer and the router. */
export const CONFIG_VOLUME = "pgbouncer-config";
/** The uid/gid PgBouncer runs as in the edoburu images (Alpine `postgres`). */
export const PGBOUNCER_UID = 70;

const DOCKERFILE = `# The read router (components/readrouting), bundled into router.js by sidecar.ts.
ARG BASE_IMAGE
FROM \${BASE_IMAGE}
COPY router.js /app/router.js
# Root: it hands the rewritten pgbouncer.ini to PgBouncer's user (uid ${PGBOUNCER_UID}).
USER root
ENTRYPOINT ["node", "/app/router.js"]
`;

/**
 * Bundles the router (main.ts and everything it imports) into <dir>/router.js; returns the
 * context folder. Without `dir`, the folder is named by its content, so two evaluations of
 * the same program give the same build inputs (no spurious image update on every `up` or
 * `review --base`).
 */
export function bundleRouter(dir?: string): string {
  if (dir !== undefined) {
    buildRouter(dir);
    return dir;
  }
  // Keyed by the tree: worktrees and `review --base` checkouts keep their own index.
  const root = join(__dirname, "..", "..");
  const index = join(tmpdir(), `read-router-index-${createHash("sha256").update(root).digest("hex").slice(0, 16)}.json`);
  const known = unchangedBuild(index, root, ["Dockerfile", "router.js"]);
  if (known) return known;
  const staging = join(tmpdir(), `read-router-build-${process.pid}-${Date.now()}`);
  const inputs = buildRouter(staging);
  const h = createHash("sha256");
  for (const f of ["Dockerfile", "router.js"]) h.update(`\0${f}\0${readFileSync(join(staging, f), "utf8")}`);
  const final = join(tmpdir(), `read-router-image-${h.digest("hex").slice(0, 16)}`);
  try {
    if (!existsSync(final)) renameSync(staging, final);
  } catch (e) {
    // Another evaluation (review --base runs two) put the same bytes there first.
    if (!existsSync(join(final, "router.js"))) throw e;
  }
  rmSync(staging, { recursive: true, force: true });
  // This file holds the Dockerfile and esbuild's version shapes the bytes: inputs too.
  recordBuild(index, root, [...inputs, relative(root, __filename), relative(root, require.resolve("esbuild/package.json"))], final);
  return final;
}

/** Bundles the router into <dir> (router.js + Dockerfile); returns the files esbuild read. */
function buildRouter(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const { metafile } = buildSync({
    entryPoints: [join(__dirname, "main.ts")],
    // Module paths in the bundle relative to this tree, symlinks kept: the same sources give
    // the same bytes wherever the tree is (a review --base checkout links node_modules).
    absWorkingDir: join(__dirname, "..", ".."),
    preserveSymlinks: true,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outfile: join(dir, "router.js"),
    // pg's optional native binding is never used.
    external: ["pg-native"],
    logLevel: "error",
    legalComments: "none",
    metafile: true,
  });
  writeFileSync(join(dir, "Dockerfile"), DOCKERFILE);
  return Object.keys(metafile.inputs);
}

/** Tag from the build inputs (bundle + Dockerfile + base image). */
export function routerImageTag(baseImage: string, context: string): string {
  const h = createHash("sha256").update(baseImage);
  for (const f of ["Dockerfile", "router.js"]) h.update(`\0${f}\0${readFileSync(join(context, f), "utf8")}`);
  return `r-${h.digest("hex").slice(0, 16)}`;
}

/** ECR repository (scan on push, immutable tags) and the pushed image; returns its digest reference. */
export function readRouterImage(parent: pulumi.Resource, name: string, o: { baseImage: string; production: boolean; tags: Record<string, string> }): pulumi.Output<string> {
  const child = { parent };
  const context = bundleRouter();
  const repository = new aws.ecr.Repository(`${name}-router-repo`, { name: `${name}-read-router`, imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE", forceDelete: !o.production, tags: o.tags }, child);
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, child);
  const image = new docker.Image(
    `${name}-router-image`,
    {
      imageName: pulumi.interpolate`${repository.repositoryUrl}:${routerImageTag(o.baseImage, context)}`,
      build: { context, dockerfile: join(context, "Dockerfile"), platform: "linux/amd64", args: { BASE_IMAGE: o.baseImage } },
      registry: { server: repository.repositoryUrl, username: auth.userName, password: pulumi.secret(auth.password) },
    },
    child,
  );
  return image.repoDigest;
}

/** The sidecar's container definition (serialized by the caller with the task's others). */
export function readRouterContainerDefinition(o: { image: string; configJson: string; secretArn: string; logGroup: string; region: string; configDir: string; pgbouncerContainer: string }): Record<string, unknown> {
  return {
    name: READ_ROUTER_CONTAINER,
    image: o.image,
    essential: false,
    user: "0",
    environment: [{ name: CONFIG_ENV, value: o.configJson }],
    // ECS reads one key of a JSON secret with "<arn>:<json-key>::" (AWS ECS developer guide, "Pass Secrets Manager secrets").
    secrets: [
      { name: PASSWORD_ENV.monitoring, valueFrom: `${o.secretArn}:monitoring::` },
      { name: PASSWORD_ENV.console, valueFrom: `${o.secretArn}:console::` },
    ],
    mountPoints: [{ sourceVolume: CONFIG_VOLUME, containerPath: o.configDir }],
    // PgBouncer first: its entrypoint writes the ini the router rewrites.
    dependsOn: [{ containerName: o.pgbouncerContainer, condition: "HEALTHY" }],
    stopTimeout: 10,
    logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": o.logGroup, "awslogs-region": o.region, "awslogs-stream-prefix": READ_ROUTER_CONTAINER } },
  };
}

/** The task role's only permission: publish the router's metrics, in its namespace only. */
export function metricsPolicy(namespace: string): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["cloudwatch:PutMetricData"], Resource: "*", Condition: { StringEquals: { "cloudwatch:namespace": namespace } } }],
  };
}
