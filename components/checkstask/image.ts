/**
 * The checks image on AWS, built like the PgBouncer image (components/pgbouncer/image.ts):
 * an ECR repository with scan on push and immutable tags, the image built on the pinned
 * base and tagged by a hash of its inputs (the Dockerfile, the lock file and the suite's
 * sources), so an unchanged suite is not pushed again and a tag never names two builds.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** Build context: the repository root (the Dockerfile copies only what the bundle needs). */
export const CHECKS_BUILD_CONTEXT = join(__dirname, "..", "..");
export const CHECKS_DOCKERFILE = join(__dirname, "image", "Dockerfile");
/** What the image is built from, relative to the context. */
export const CHECKS_IMAGE_INPUTS = ["components/checkstask/image/Dockerfile", "package-lock.json", "tsconfig.json", "checks", "components"];

function files(root: string, path: string): string[] {
  const full = join(root, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full)
    .sort()
    .filter((n) => n !== "node_modules")
    .flatMap((n) => files(root, relative(root, join(full, n))));
}

/** Tag from the build inputs and the base image: same inputs, same tag. */
export function checksImageTag(baseImage: string, root = CHECKS_BUILD_CONTEXT): string {
  const h = createHash("sha256").update(baseImage);
  for (const f of CHECKS_IMAGE_INPUTS.flatMap((p) => files(root, p))) h.update(`\0${f}\0`).update(readFileSync(join(root, f)));
  return `c-${h.digest("hex").slice(0, 16)}`;
}

export function checksImage(parent: pulumi.Resource, name: string, o: { image?: string; baseImage: string; production: boolean; tags: Record<string, string> }): pulumi.Output<string> {
  if (o.image) return pulumi.output(o.image);
  const child = { parent };
  const repository = new aws.ecr.Repository(
    `${name}-repo`,
    { name, imageScanningConfiguration: { scanOnPush: true }, imageTagMutability: "IMMUTABLE", forceDelete: !o.production, tags: o.tags },
    child,
  );
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, child);
  const image = new docker.Image(
    `${name}-image`,
    {
      imageName: pulumi.interpolate`${repository.repositoryUrl}:${checksImageTag(o.baseImage)}`,
      build: { context: CHECKS_BUILD_CONTEXT, dockerfile: CHECKS_DOCKERFILE, platform: "linux/amd64", args: { BASE_IMAGE: o.baseImage } },
      registry: { server: repository.repositoryUrl, username: auth.userName, password: pulumi.secret(auth.password) },
    },
    child,
  );
  return image.repoDigest;
}
