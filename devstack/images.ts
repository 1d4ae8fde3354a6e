/**
 * Images without a registry: each image the stack pins is built here from Debian's
 * packages (devstack/images/rootfs.sh lays out the root file system, the engine imports
 * it as a tar) and tagged with the pinned name, so the program's container specs run
 * unchanged. Built once: the image carries a hash of its recipe, the scripts and the
 * installed package versions, and an image whose hash matches is reused.
 *
 * On a normal Docker host the pinned public images are pulled instead (`--images pull`).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Docker from "dockerode";
import { IMAGE_CONTEXT } from "../components/pgbouncer/image";
import { PGBOUNCER_BIN } from "../components/pgbouncer/version";

export const BUILD_HASH_LABEL = "datatier.devstack.build-hash";
const HERE = join(__dirname, "images");
const PG_BIN = "/usr/lib/postgresql/15/bin";
const PATH_ENV = `PATH=${PG_BIN}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
const BASE_PACKAGES = ["bash", "dash", "coreutils", "sed", "grep", "findutils", "gosu"];
/** The shared libraries the pinned PgBouncer build links (ldd), as bookworm packages. */
export const PGBOUNCER_LIBRARY_PACKAGES = ["libevent-2.1-7", "libc-ares2", "libssl3"];

export interface Recipe {
  /** What the image stands in for (messages, docs). */
  role: "redis" | "postgres" | "pgbouncer" | "node";
  packages: string[];
  /** Users of the official image, with the uid/gid the components upload files as. */
  users: { name: string; uid: number; home: string }[];
  /** Extra files: [source, path in image, mode]. */
  files: [string, string, number][];
  /** Folders: [path, uid, mode]. */
  dirs: [string, number, number][];
  /** Dockerfile-style changes given to the import. */
  changes: string[];
  /** Files of the packages left out (extended regex on paths without the leading "/"). */
  exclude?: string;
}

/** The recipe for a pinned reference, by repository name; null when there is none. */
export function recipeFor(ref: string): Recipe | null {
  const repo = ref.split("@")[0].replace(/:[^/:]+$/, "").split("/").pop()!;
  if (repo === "redis") {
    return {
      role: "redis",
      packages: [...BASE_PACKAGES, "redis-server", "redis-tools"],
      users: [{ name: "redis", uid: 999, home: "/data" }],
      files: [[join(HERE, "redis-entrypoint.sh"), "/usr/local/bin/docker-entrypoint.sh", 0o755]],
      dirs: [["/data", 999, 0o755]],
      changes: ["WORKDIR /data", `ENV ${PATH_ENV}`, 'ENTRYPOINT ["docker-entrypoint.sh"]', 'CMD ["redis-server"]'],
    };
  }
  if (repo === "postgres") {
    return {
      role: "postgres",
      packages: [...BASE_PACKAGES, "tzdata", "postgresql-15", "postgresql-client-15"],
      users: [{ name: "postgres", uid: 999, home: "/var/lib/postgresql" }],
      files: [[join(HERE, "postgres-entrypoint.sh"), "/usr/local/bin/docker-entrypoint.sh", 0o755]],
      dirs: [
        ["/var/lib/postgresql", 999, 0o755],
        ["/run/postgresql", 999, 0o3777],
        ["/docker-entrypoint-initdb.d", 0, 0o755],
      ],
      changes: [`ENV ${PATH_ENV}`, "ENV PGDATA=/var/lib/postgresql/data", 'ENTRYPOINT ["docker-entrypoint.sh"]', 'CMD ["postgres"]'],
    };
  }
  if (repo === "pgbouncer") {
    // What components/pgbouncer/image/Dockerfile adds to the base: pg_isready, openssl,
    // its entrypoint, /etc/pgbouncer for the postgres user (uid 70 as in the Alpine base).
    // PgBouncer itself is the pinned build the sandbox runs (Debian bookworm's package is
    // 1.18), with the Debian libraries it links (the rootfs ldd pass copies them).
    return {
      role: "pgbouncer",
      packages: [...BASE_PACKAGES, ...PGBOUNCER_LIBRARY_PACKAGES, "postgresql-client-15", "openssl"],
      users: [{ name: "postgres", uid: 70, home: "/var/lib/postgresql" }],
      files: [
        [join(IMAGE_CONTEXT, "entrypoint.sh"), "/usr/local/bin/datatier-pgbouncer", 0o755],
        [PGBOUNCER_BIN, "/usr/bin/pgbouncer", 0o755],
      ],
      dirs: [
        ["/etc/pgbouncer", 70, 0o700],
        ["/var/lib/postgresql", 70, 0o755],
        ["/run/postgresql", 70, 0o3777],
      ],
      changes: [`ENV ${PATH_ENV}`, "USER postgres", 'ENTRYPOINT ["/usr/local/bin/datatier-pgbouncer"]'],
    };
  }
  if (repo === "node") {
    // The read router's base (readRouting.baseImage): the runtime only; it runs one bundled
    // file (components/readrouting/sidecar.ts bundleRouter), so npm and the headers stay out.
    return {
      role: "node",
      packages: [...BASE_PACKAGES, "nodejs"],
      users: [{ name: "node", uid: 1000, home: "/home/node" }],
      files: [],
      dirs: [
        ["/app", 0, 0o755],
        ["/etc/read-router", 0, 0o700],
        ["/var/lib/read-router", 0, 0o700],
      ],
      changes: [`ENV ${PATH_ENV}`, 'CMD ["node"]'],
      exclude: "^usr/lib/node_modules/|^usr/include/|^usr/share/systemtap/",
    };
  }
  return null;
}

function installedVersions(packages: string[]): string {
  const r = spawnSync("dpkg-query", ["-W", "-f=${Package} ${Version}\\n", ...packages], { encoding: "utf8" });
  return r.stdout ?? "";
}

/** Content hash of a build: recipe, scripts, files, and the versions of the packages copied. */
export function buildHash(ref: string, r: Recipe, versions = installedVersions(r.packages)): string {
  const h = createHash("sha256").update(ref).update(JSON.stringify(r)).update(versions).update(readFileSync(join(HERE, "rootfs.sh")));
  for (const [src] of r.files) h.update(readFileSync(src));
  return h.digest("hex").slice(0, 24);
}

function passwd(users: Recipe["users"]): string {
  return ["root:x:0:0:root:/root:/bin/bash", ...users.map((u) => `${u.name}:x:${u.uid}:${u.uid}::${u.home}:/bin/sh`), "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin", ""].join("\n");
}

function group(users: Recipe["users"]): string {
  return ["root:x:0:", ...users.map((u) => `${u.name}:x:${u.uid}:`), "nogroup:x:65534:", ""].join("\n");
}

/** Lays out the root file system of a recipe in `root` (for tests and the build). */
export function layRootfs(root: string, r: Recipe): void {
  const sh = spawnSync("bash", [join(HERE, "rootfs.sh"), root, ...r.packages], { encoding: "utf8", env: { ...process.env, ROOTFS_EXCLUDE: r.exclude ?? "" } });
  if (sh.status !== 0) throw new Error(`image root file system (${r.role}): ${(sh.stderr || sh.stdout).trim()}`);
  writeFileSync(join(root, "etc/passwd"), passwd(r.users));
  writeFileSync(join(root, "etc/group"), group(r.users));
  for (const [path, uid, mode] of r.dirs) {
    mkdirSync(join(root, path), { recursive: true });
    spawnSync("chown", [`${uid}:${uid}`, join(root, path)]);
    chmodSync(join(root, path), mode);
  }
  for (const [src, dest, mode] of r.files) {
    mkdirSync(join(root, dest, ".."), { recursive: true });
    copyFileSync(src, join(root, dest));
    chmodSync(join(root, dest), mode);
  }
}

export interface ImageResult {
  ref: string;
  outcome: "present" | "cached" | "built" | "pulled";
  ms: number;
}

async function existing(docker: Docker, ref: string): Promise<Docker.ImageInspectInfo | null> {
  try {
    return await docker.getImage(ref).inspect();
  } catch {
    return null;
  }
}

/** Makes each pinned image available: reuse, build from Debian packages, or pull. */
export async function ensureImages(docker: Docker, refs: string[], mode: "build" | "pull", log: (s: string) => void): Promise<ImageResult[]> {
  const out: ImageResult[] = [];
  for (const ref of refs) {
    const t0 = performance.now();
    const done = (outcome: ImageResult["outcome"]) => out.push({ ref, outcome, ms: Math.round(performance.now() - t0) });
    const have = await existing(docker, ref);
    const recipe = recipeFor(ref);
    if (mode === "pull") {
      if (have) done("present");
      else {
        log(`pulling ${ref}`);
        await new Promise<void>((resolve, reject) => docker.pull(ref, (e: Error | null, s: NodeJS.ReadableStream) => (e ? reject(e) : docker.modem.followProgress(s, (err) => (err ? reject(err) : resolve())))));
        done("pulled");
      }
      continue;
    }
    if (!recipe) {
      if (have) done("present");
      else throw new Error(`image ${ref} is not in the engine and the dev-stack runner has no Debian recipe for it (devstack/images.ts recipeFor); use --images pull on a host that reaches a registry`);
      continue;
    }
    const hash = buildHash(ref, recipe);
    if (have?.Config?.Labels?.[BUILD_HASH_LABEL] === hash) {
      done("cached");
      continue;
    }
    log(`building ${ref} from Debian packages (${recipe.packages.slice(BASE_PACKAGES.length).join(", ")})`);
    const work = mkdtempSync(join(tmpdir(), "devstack-image-"));
    try {
      const root = join(work, "root");
      layRootfs(root, recipe);
      const tar = join(work, "rootfs.tar");
      const t = spawnSync("tar", ["--numeric-owner", "-C", root, "-cf", tar, "."], { encoding: "utf8" });
      if (t.status !== 0) throw new Error(`image ${ref}: tar failed: ${t.stderr.trim()}`);
      const [repo, tag] = splitRef(ref);
      const changes = [...recipe.changes, `LABEL ${BUILD_HASH_LABEL}=${hash}`];
      // Imported under a name of our own, then tagged: podman's compat import ignores `tag`.
      const buildName = `localhost/datatier-devstack/${recipe.role}`;
      const stream = await docker.importImage(createReadStream(tar) as unknown as string, { repo: buildName, tag: hash, changes } as never);
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream as unknown as NodeJS.ReadableStream, (err) => (err ? reject(err) : resolve())));
      const [built] = await docker.listImages({ filters: JSON.stringify({ label: [`${BUILD_HASH_LABEL}=${hash}`] }) });
      if (!built) throw new Error(`image ${ref}: the engine did not keep the imported image (no image labelled ${BUILD_HASH_LABEL}=${hash})`);
      await docker.getImage(built.Id).tag({ repo, tag });
      const now = await existing(docker, ref);
      if (now?.Config?.Labels?.[BUILD_HASH_LABEL] !== hash) throw new Error(`image ${ref}: imported, but the engine does not show it under that name with the build label`);
      done("built");
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  return out;
}

/** "a/b:tag" -> ["a/b", "tag"]; a digest reference cannot be built under its name. */
export function splitRef(ref: string): [string, string] {
  if (ref.includes("@")) throw new Error(`image ${ref} is pinned by digest: a local build cannot carry that digest; pin a tag for the dev stack`);
  const m = /^(.*?)(?::([^/:]+))?$/.exec(ref)!;
  return [m[1], m[2] ?? "latest"];
}
