/**
 * The PgBouncer image on AWS: an ECR repository (scan on push, immutable tags) and the
 * image built from components/pgbouncer/image/ on the pinned base, pushed to it. The
 * tag is a hash of the build inputs, so an immutable tag is never reused for different
 * content and an unchanged build is not pushed again.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as aws from "@pulumi/aws";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/** Build context of the image: Dockerfile + entrypoint, nothing secret. */
export const IMAGE_CONTEXT = join(__dirname, "image");
const CONTEXT_FILES = ["Dockerfile", "entrypoint.sh"];

/** Tag from the build inputs (context files + base image): same inputs, same tag. */
export function imageTag(baseImage: string, read: (file: string) => string = (f) => readFileSync(join(IMAGE_CONTEXT, f), "utf8")): string {
  const h = createHash("sha256").update(baseImage);
  for (const f of CONTEXT_FILES) h.update(`\0${f}\0${read(f)}`);
  return `b-${h.digest("hex").slice(0, 16)}`;
}

export interface PgBouncerImage {
  /** Image reference for the task definition (by digest when built here). */
  imageRef: pulumi.Output<string>;
  repository?: aws.ecr.Repository;
}

/** Builds and pushes the image unless `image` names one already. */
export function pgbouncerImage(parent: pulumi.Resource, name: string, o: { image?: string; baseImage: string; production: boolean; tags: Record<string, string> }): PgBouncerImage {
  if (o.image) return { imageRef: pulumi.output(o.image) };
  const child = { parent };
  const repository = new aws.ecr.Repository(
    `${name}-repo`,
    {
      name: name,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: "IMMUTABLE",
      // A dev stack can be torn down with its images; production keeps them.
      forceDelete: !o.production,
      tags: o.tags,
    },
    child,
  );
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, child);
  const image = new docker.Image(
    `${name}-image`,
    {
      imageName: pulumi.interpolate`${repository.repositoryUrl}:${imageTag(o.baseImage)}`,
      build: { context: IMAGE_CONTEXT, dockerfile: join(IMAGE_CONTEXT, "Dockerfile"), platform: "linux/amd64", args: { BASE_IMAGE: o.baseImage } },
      registry: { server: repository.repositoryUrl, username: auth.userName, password: pulumi.secret(auth.password) },
    },
    child,
  );
  return { imageRef: image.repoDigest, repository };
}
