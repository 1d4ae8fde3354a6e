/**
 * One PgBouncer on every platform: the pin in version.env, the install script that builds
 * it, the sandbox and dev-stack image that run the build, and the AWS base image, which
 * must carry the same major.minor. A drift in any of them fails here.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import { recipeFor } from "../../devstack/images";
import { DAEMON_BINARIES } from "../../sandbox/procs";
import { PGBOUNCER_BIN as SANDBOX_BIN } from "../../sandbox/pgbouncer";
import { majorMinor, parseEnvFile, pgbouncerBinaryProblem, pgbouncerPinProblems, PGBOUNCER_BIN, PGBOUNCER_VERSION, VERSION_ENV } from "./version";

const ROOT = join(__dirname, "..", "..");

describe("the pinned PgBouncer version", () => {
  it("is one version >= 1.21 (max_prepared_statements), with a source and its sha256", () => {
    const env = parseEnvFile(readFileSync(VERSION_ENV, "utf8"));
    expect(env.PGBOUNCER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    const [maj, min] = env.PGBOUNCER_VERSION.split(".").map(Number);
    expect(maj > 1 || (maj === 1 && min >= 21)).toBe(true);
    expect(env.PGBOUNCER_DEBIAN_SUITE).toMatch(/^[a-z]+$/);
    expect(env.PGBOUNCER_ORIG_SHA256).toMatch(/^[0-9a-f]{64}$/);
    // apt's own client fetches it by package name: no archive host is written anywhere.
    expect(Object.values(env).join(" ")).not.toMatch(/https?:/);
  });

  it("the install script sources the pin and writes no version of its own", () => {
    const script = readFileSync(join(ROOT, "scripts", "install-system-packages.sh"), "utf8");
    expect(script).toContain("components/pgbouncer/version.env");
    expect(script).not.toMatch(/\b1\.\d{2}\.\d+\b/);
    // Debian bookworm's own package (1.18) is no longer what the sandbox needs.
    expect(script).not.toMatch(/need\+=\(pgbouncer\)/);
    // Fetched by apt-get source (signed, Debian's patches applied), never by a URL.
    expect(script).toMatch(/apt-get source --download-only/);
    expect(script).not.toMatch(/\bcurl\b|\bwget\b|https?:\/\//);
  });

  it("the sandbox, the test harness and the dev-stack image run the pinned build", () => {
    expect(PGBOUNCER_BIN).toBe(`/opt/pgbouncer-${PGBOUNCER_VERSION}/bin/pgbouncer`);
    expect(SANDBOX_BIN).toBe(PGBOUNCER_BIN);
    expect(DAEMON_BINARIES).toContain(PGBOUNCER_BIN);
    const recipe = recipeFor(loadStackSettings("dev").pgbouncer.baseImage)!;
    expect(recipe.files.map(([src]) => src)).toContain(PGBOUNCER_BIN);
    expect(recipe.packages).not.toContain("pgbouncer");
  });

  it.each(["dev", "prod"])("the %s stack's base image carries the same major.minor", (stack) => {
    const s = loadStackSettings(stack);
    expect(pgbouncerPinProblems(s.pgbouncer.baseImage)).toEqual([]);
    expect(majorMinor(s.pgbouncer.baseImage)).toBe(majorMinor(PGBOUNCER_VERSION));
  });

  it("refuses an image of another version, one without a version, and a digest-only pin", () => {
    expect(pgbouncerPinProblems("edoburu/pgbouncer:v1.23.1-p3", "1.24.1")[0]).toMatch(/runs PgBouncer 1\.23; expected 1\.24\.x/);
    expect(pgbouncerPinProblems("edoburu/pgbouncer:1.18.0", "1.24.1")[0]).toMatch(/runs PgBouncer 1\.18/);
    expect(pgbouncerPinProblems("edoburu/pgbouncer:latest", "1.24.1")[0]).toMatch(/names no PgBouncer version/);
    expect(pgbouncerPinProblems(`edoburu/pgbouncer@sha256:${"a".repeat(64)}`, "1.24.1")[0]).toMatch(/names no PgBouncer version/);
    expect(pgbouncerPinProblems("registry.example:5000/pgbouncer:1.24.0", "1.24.1")).toEqual([]);
  });

  it("reads major.minor from tags and version banners", () => {
    expect(majorMinor("v1.24.1-p1")).toBe("1.24");
    expect(majorMinor("PgBouncer 1.18.0")).toBe("1.18");
    expect(majorMinor("1.3")).toBe("1.3");
    expect(majorMinor("latest")).toBeNull();
  });

  it("names the install command when the build is missing", () => {
    expect(pgbouncerBinaryProblem(() => false)).toMatch(/scripts\/install-system-packages\.sh/);
    expect(pgbouncerBinaryProblem(() => true)).toBeNull();
  });
});
