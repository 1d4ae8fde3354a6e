/** The runner follows the program: what runs is what the components register. */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runProgram, type ProgramRun } from "../testing/harness";
import { testTempDir } from "../testing/tempDir";
import { createBody, demux, healthCommand, specHash } from "./apply";
import { recipeFor, splitRef } from "./images";
import { DEVSTACK_LABEL, durationMs, planFromRun, PlanError, waves, type ContainerSpec, type DevPlan } from "./plan";
import { postgresStatements } from "./postgresql";
import { defaultDir } from "./dir";
import { boundFolders, hostFolderProblems } from "./hostFolders";
import { tarFiles } from "./tar";

const names = (p: DevPlan) => p.waves.flat().map((c) => c.name);

describe("plan from the dev program", () => {
  let run: ProgramRun;
  let plan: DevPlan;
  beforeAll(async () => {
    run = await runProgram({ stack: "dev" });
    plan = planFromRun(run);
  });

  it("takes the network, volumes, pinned images and containers the program registers, labelled", () => {
    expect(plan.networks.map((n) => n.name)).toEqual(["data-tier-dev"]);
    expect(plan.volumes.map((v) => v.name).sort()).toEqual(["data-tier-dev-pgbouncer-config", "data-tier-dev-postgres-primary-data", "data-tier-dev-redis-master-data"]);
    expect(plan.images.sort()).toEqual(["edoburu/pgbouncer:v1.24.1-p1", "node:22.12.0-alpine3.21", "postgres:15.8", "redis:7.2.5"]);
    // Redis master + 2 replicas + 3 Sentinels, Postgres primary + replica, PgBouncer, its read router.
    expect(names(plan)).toHaveLength(1 + 2 + 3 + 1 + 1 + 1 + 1);
    for (const c of plan.waves.flat()) expect(c.labels[DEVSTACK_LABEL]).toBe("dev");
    // The image is resolved through the recorded dependency, not the mock's image id.
    const master = plan.waves.flat().find((c) => c.name === "data-tier-dev-redis-master")!;
    expect(master.image).toBe("redis:7.2.5");
    expect(master.uploads[0]).toMatchObject({ file: "/data/redis.conf", uid: 999, gid: 999, mode: 0o600 });
    expect(master.health!.intervalMs).toBe(5000);
  });

  it("orders containers so that replicas follow their primary and Sentinels follow the data nodes", () => {
    const wave = (n: string) => plan.waves.findIndex((w) => w.some((c) => c.name === n));
    expect(wave("data-tier-dev-redis-replica-1")).toBeGreaterThan(wave("data-tier-dev-redis-master"));
    expect(wave("data-tier-dev-redis-sentinel-1")).toBeGreaterThan(wave("data-tier-dev-redis-replica-2"));
    expect(wave("data-tier-dev-postgres-replica-1")).toBeGreaterThan(wave("data-tier-dev-postgres-primary"));
  });

  it("turns a container into an Engine API body: ports on 127.0.0.1, aliases, ulimits, volumes, spec hash", () => {
    const c = plan.waves.flat().find((x) => x.name === "data-tier-dev-postgres-primary")!;
    const body = createBody(c);
    expect(body.HostConfig!.PortBindings).toEqual({ "5432/tcp": [{ HostIp: "127.0.0.1", HostPort: "5432" }] });
    expect(body.NetworkingConfig!.EndpointsConfig!["data-tier-dev"].Aliases).toEqual(["data-tier-dev-postgres-primary"]);
    expect(body.HostConfig!.Mounts).toEqual([{ Type: "volume", Source: "data-tier-dev-postgres-primary-data", Target: "/var/lib/postgresql/data", ReadOnly: false }]);
    expect(body.HostConfig!.Ulimits!.map((u) => u.Name)).toEqual(["nofile", "nproc"]);
    expect(body.Labels!["datatier.devstack.spec-hash"]).toBe(specHash(c));
    expect(specHash({ ...c, env: [...c.env, "X=1"] })).not.toBe(specHash(c));
  });

  it("binds a host folder (created when missing) beside named volumes, and starts the read router after PgBouncer and the Postgres replicas", () => {
    const router = plan.waves.flat().find((x) => x.name === "data-tier-dev-pgbouncer-read-router")!;
    const body = createBody(router);
    expect(body.HostConfig!.Mounts).toEqual([
      { Type: "volume", Source: "data-tier-dev-pgbouncer-config", Target: "/etc/pgbouncer", ReadOnly: false },
      { Type: "bind", Source: expect.stringMatching(/\/\.devstack\/dev\/readrouter$/), Target: "/var/lib/read-router", ReadOnly: false },
    ]);
    // After the replicas too: its first round then measures a replica that is up (else reads go to the primary for a round).
    expect(router.after.sort()).toEqual(["data-tier-dev-pgbouncer", "data-tier-dev-postgres-replica-1"]);
    // The bundle travels as contentBase64 and is written decoded.
    const bundle = router.uploads.find((u) => u.file === "/app/router.js")!;
    expect(bundle.base64).toBe(true);
    expect(Buffer.from(bundle.content, "base64").toString("utf8")).toMatch(/^"use strict";/);
    const wave = (n: string) => plan.waves.findIndex((w) => w.some((c) => c.name === n));
    expect(wave("data-tier-dev-pgbouncer-read-router")).toBeGreaterThan(wave("data-tier-dev-pgbouncer"));
    expect(wave("data-tier-dev-pgbouncer-read-router")).toBeGreaterThan(wave("data-tier-dev-postgres-replica-1"));
    // Every host folder lies under the stack's folder, so `down --purge` can remove it.
    expect(boundFolders(plan)).toEqual([join(defaultDir("dev"), "readrouter")]);
    expect(hostFolderProblems(plan, defaultDir("dev"))).toEqual([]);
    expect(hostFolderProblems(plan, "/somewhere/else")).toEqual([expect.stringMatching(/binds host folder .*\/\.devstack\/dev\/readrouter, outside the dev stack's folder \/somewhere\/else \(--dir\)/)]);
  });

  it("binds the host folders under the runner's --dir (handed to the program as devstack:dir), and the contract names the state file there", async () => {
    const dir = testTempDir("devstack-dir-");
    const moved = await runProgram({ stack: "dev", overrides: { "devstack:dir": dir } });
    expect(boundFolders(planFromRun(moved))).toEqual([join(dir, "readrouter")]);
    expect(moved.outputs.pgbouncer.readRouting.stateFile).toBe(join(dir, "readrouter", "state.json"));
  });

  it("refuses a relative host folder and a volume that names neither a volume nor a folder", () => {
    const broken = structuredClone(run);
    const c = broken.resources.find((r) => r.name === "data-tier-dev-pgbouncer-router-container")!;
    c.inputs.volumes = [{ hostPath: "relative/dir", containerPath: "/x" }, { containerPath: "/y" }];
    expect(() => planFromRun(broken)).toThrow(/volume hostPath "relative\/dir" is not an absolute path[\s\S]*a volume at \/y has neither volumeName nor hostPath/);
  });

  it("realizes the program's Postgres roles and grants as SQL", () => {
    const sql = postgresStatements(run).map((s) => s.sql);
    expect(sql.some((s) => s.startsWith(`ALTER ROLE "pgbouncer_auth" LOGIN CONNECTION LIMIT 10 PASSWORD '`))).toBe(true);
    expect(sql).toContain(`GRANT "pg_monitor" TO "datatier_monitor"`);
    expect(sql).toContain(`GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "app_readonly"`);
    expect(sql).toContain(`ALTER DEFAULT PRIVILEGES FOR ROLE "app" IN SCHEMA "public" GRANT SELECT ON TABLES TO "app_readonly"`);
    // The application roles' defaults (components/postgres/appRoleDefaults.ts): dropped by the runner before, so the dev stack's roles had none.
    for (const role of ["app", "app_readonly"]) {
      expect(sql).toContain(`ALTER ROLE "${role}" SET statement_timeout = 30000`);
      expect(sql).toContain(`ALTER ROLE "${role}" SET idle_in_transaction_session_timeout = 60000`);
    }
    expect(sql.filter((s) => / SET (statement_timeout|idle_in)/.test(s))).toHaveLength(4);
  });

  it("a Role input the runner does not apply is an error naming it, never dropped; 0 resets a default, as the provider does", () => {
    const role = run.resources.find((r) => r.type === "postgresql:index/role:Role" && r.inputs.name === "app")!;
    expect(() => postgresStatements({ ...run, resources: [{ ...role, inputs: { ...role.inputs, bypassRowLevelSecurity: true } }] })).toThrow(/postgresql Role ".*": input\(s\) bypassRowLevelSecurity not applied by the dev-stack runner/);
    const reset = postgresStatements({ ...run, resources: [{ ...role, inputs: { ...role.inputs, statementTimeout: 0 } }] }).map((s) => s.sql);
    expect(reset).toContain(`ALTER ROLE "app" RESET statement_timeout`);
    expect(() => postgresStatements({ ...run, resources: [{ ...role, inputs: { ...role.inputs, statementTimeout: "1; DROP ROLE x" } }] })).toThrow(/statementTimeout must be a whole number of ms/);
  });
});

describe("the runner follows the program", () => {
  it("runs redis.replicas replica containers: 2 in dev, 3 when the setting says 3", async () => {
    const three = planFromRun(await runProgram({ stack: "dev", overrides: { redis: { replicas: 3 } } }));
    const replicas = names(three).filter((n) => /redis-replica-\d$/.test(n));
    expect(replicas).toEqual(["data-tier-dev-redis-replica-1", "data-tier-dev-redis-replica-2", "data-tier-dev-redis-replica-3"]);
    const r3 = three.waves.flat().find((c) => c.name === "data-tier-dev-redis-replica-3")!;
    expect(r3.ports[0]).toEqual({ internal: 6379, external: 6382, ip: "127.0.0.1", protocol: "tcp" });
  });
});

describe("plan errors", () => {
  it("names every unsupported input and resource at once instead of dropping them", () => {
    const fake = {
      stack: "x",
      outputs: {},
      secretOutputs: [],
      resources: [
        { type: "docker:index/container:Container", name: "c", urn: "u1", custom: true, inputs: { name: "c", image: "redis:7", privileged: true }, secretInputs: [], secretPaths: [], deleteBeforeReplace: false, state: {}, protect: false, retainOnDelete: false, ignoreChanges: [], additionalSecretOutputs: [], dependencies: [] },
        { type: "docker:index/service:Service", name: "s", urn: "u2", custom: true, inputs: {}, secretInputs: [], secretPaths: [], deleteBeforeReplace: false, state: {}, protect: false, retainOnDelete: false, ignoreChanges: [], additionalSecretOutputs: [], dependencies: [] },
      ],
    } as ProgramRun;
    expect(() => planFromRun(fake)).toThrow(PlanError);
    try {
      planFromRun(fake);
    } catch (e) {
      expect((e as PlanError).problems).toEqual(['docker:index/service:Service "s": resource type not supported by the dev-stack runner', 'Container "c": input "privileged" is not supported by the dev-stack runner']);
    }
  });

  it("refuses a dependency cycle", () => {
    const c = (name: string, after: string[]) => ({ name, after }) as ContainerSpec;
    expect(() => waves([c("a", ["b"]), c("b", ["a"])])).toThrow(/cycle: a, b/);
  });

  it("reads the Engine API's multiplexed output frames", () => {
    const frame = (stream: number, text: string) => Buffer.concat([Buffer.from([stream, 0, 0, 0]), Buffer.from([0, 0, 0, Buffer.byteLength(text)]), Buffer.from(text)]);
    expect(demux(Buffer.concat([frame(1, "PONG\n"), frame(2, "warn\n")]))).toBe("PONG\nwarn\n");
    expect(demux(Buffer.from("plain text"))).toBe("plain text");
  });

  it("parses Go durations and health tests", () => {
    expect(durationMs("5s")).toBe(5000);
    expect(durationMs("1m30s")).toBe(90_000);
    expect(() => durationMs("5 s")).toThrow(/not a duration/);
    expect(healthCommand({ test: ["CMD-SHELL", "redis-cli ping"], intervalMs: 1, timeoutMs: 1, retries: 1, startPeriodMs: 0 })).toEqual(["/bin/sh", "-c", "redis-cli ping"]);
  });
});

describe("images and uploads", () => {
  it("has a Debian recipe for each pinned image, and none for an unknown one", () => {
    expect(recipeFor("redis:7.2.5")!.packages).toContain("redis-server");
    expect(recipeFor("postgres:15.8")!.packages).toContain("postgresql-15");
    expect(recipeFor("edoburu/pgbouncer:v1.24.1-p1")!.changes).toContain("USER postgres");
    expect(recipeFor("nginx:1")).toBeNull();
    expect(splitRef("edoburu/pgbouncer:v1.24.1-p1")).toEqual(["edoburu/pgbouncer", "v1.24.1-p1"]);
    expect(() => splitRef("redis@sha256:" + "a".repeat(64))).toThrow(/pinned by digest/);
  });

  it("writes a tar the system tar reads back with owner, mode and content", () => {
    const dir = testTempDir("devstack-tar-");
    const long = `/var/lib/postgresql/${"d".repeat(90)}/file.conf`;
    writeFileSync(join(dir, "a.tar"), tarFiles([{ path: "/data/redis.conf", content: "port 6379\n", uid: 999, gid: 998, mode: 0o600 }, { path: long, content: "x", uid: 0, gid: 0, mode: 0o644 }]));
    const list = spawnSync("tar", ["--numeric-owner", "-tvf", join(dir, "a.tar")], { encoding: "utf8" });
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/^-rw------- 999\/998\s+10 .* data\/redis\.conf$/m);
    expect(list.stdout).toContain(long.slice(1));
    spawnSync("tar", ["-C", dir, "-xf", join(dir, "a.tar")]);
    expect(readFileSync(join(dir, "data/redis.conf"), "utf8")).toBe("port 6379\n");
    expect(() => tarFiles([{ path: "../etc/x", content: "", uid: 0, gid: 0, mode: 0 }])).toThrow(/absolute path/);
  });
});
