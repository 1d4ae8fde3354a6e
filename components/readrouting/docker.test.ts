/** The read router's container beside PgBouncer on the dev stack (docker), under Pulumi mocks. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { pgbouncerOutputs } from "../contract/outputs";
import { PgBouncer } from "../pgbouncer";
import { loadStackSettings, PROJECT_ROOT } from "../settings/stackFile";
import { parseRouterConfig } from "./config";
import { ROUTER_BUNDLE, ROUTER_CONFIG, ROUTER_STATE_DIR, ROUTER_STATE_FILE } from "./docker";
import { bundleRouter } from "./sidecar";

const settings = loadStackSettings("dev");
const CONTAINER = "docker:index/container:Container";
const PREFIX = "data-tier-dev";

let run: ProgramRun;
const byName = (r: ProgramRun, name: string): RecordedResource => {
  const found = r.resources.filter((x) => x.name === name);
  if (found.length !== 1) throw new Error(`expected one resource ${name}, found ${found.length}`);
  return found[0];
};
const router = () => byName(run, `${PREFIX}-pgbouncer-router-container`);
const upload = (c: RecordedResource, file: string) => c.inputs.uploads.find((u: { file: string }) => u.file === file);

beforeAll(async () => {
  run = await runProgram({ stack: "dev" });
}, 60_000);

describe("dev: the read router container", () => {
  it("runs the one router bundle on the pinned Node base, on the stack network, after PgBouncer, restarted unless stopped", () => {
    const component = single(run, "datatier:pgbouncer:PgBouncer");
    const c = router();
    expect(c.parent).toBe(component.urn);
    const image = byName(run, `${PREFIX}-pgbouncer-router-image`);
    expect(image.type).toBe("docker:index/remoteImage:RemoteImage");
    expect(image.inputs.name).toBe(settings.readRouting.baseImage);
    expect(c.propertyDependencies?.image).toContain(image.urn);
    expect(c.inputs.name).toBe(`${PREFIX}-pgbouncer-read-router`);
    expect(c.inputs.entrypoints).toEqual(["node"]);
    expect(c.inputs.command).toEqual([ROUTER_BUNDLE, ROUTER_CONFIG]);
    const bundle = upload(c, ROUTER_BUNDLE);
    expect(bundle.permissions).toBe("0644");
    // The esbuild bundle of main.ts: the bytes the sidecar's image runs.
    expect(bundle.contentBase64 === readFileSync(join(bundleRouter(), "router.js")).toString("base64")).toBe(true);
    expect(c.inputs.networksAdvanced[0].name).toBe(single(run, "docker:index/network:Network").inputs.name);
    expect(c.inputs.ports).toBeUndefined();
    const pgbouncer = byName(run, `${PREFIX}-pgbouncer-container`);
    expect(c.dependencies).toContain(pgbouncer.urn);
    expect(c.inputs.restart).toBe("unless-stopped");
    expect(c.inputs.ulimits.map((u: { name: string }) => u.name)).toEqual(["nofile", "nproc"]);
    expect(c.inputs.labels).toContainEqual({ label: "datatier.role", value: "read-router" });
  });

  it("shares PgBouncer's config folder through one volume, and writes its state to a host folder", () => {
    const volume = byName(run, `${PREFIX}-pgbouncer-config`);
    expect(volume.type).toBe("docker:index/volume:Volume");
    const pgbouncer = byName(run, `${PREFIX}-pgbouncer-container`);
    expect(pgbouncer.inputs.volumes).toEqual([{ volumeName: volume.inputs.name, containerPath: "/etc/pgbouncer" }]);
    expect(router().inputs.volumes).toEqual([
      { volumeName: volume.inputs.name, containerPath: "/etc/pgbouncer" },
      { hostPath: join(PROJECT_ROOT, ".devstack", "dev", "readrouter"), containerPath: ROUTER_STATE_DIR },
    ]);
  });

  it("gets a configuration with the stack's servers by container name and PgBouncer's console on the network", () => {
    const cfg = parseRouterConfig(JSON.parse(upload(router(), ROUTER_CONFIG).content), "upload");
    expect(cfg.primary).toEqual({ host: `${PREFIX}-postgres-primary`, port: settings.postgres.port });
    expect(cfg.replicas).toEqual([{ name: `${PREFIX}-postgres-replica-1`, host: `${PREFIX}-postgres-replica-1`, port: settings.postgres.port }]);
    expect(cfg.pgbouncer.console).toMatchObject({ host: `${PREFIX}-pgbouncer`, port: settings.pgbouncer.port, user: settings.pgbouncer.adminUser });
    expect(cfg.pgbouncer.iniPath).toBe("/etc/pgbouncer/pgbouncer.ini");
    // PgBouncer runs as uid 70 in its image: the rewritten ini is handed to it.
    expect(cfg.pgbouncer.iniOwner).toEqual({ uid: 70, gid: 70 });
    expect(cfg.intervalMs).toBe(settings.readRouting.intervalMs);
    expect(cfg.stateFile).toBe(ROUTER_STATE_FILE);
    expect(cfg.metrics).toBeNull();
    expect(cfg.tls).toBe(false);
  });

  it("holds the monitoring and console passwords only in its secret, root-only configuration upload", () => {
    const c = router();
    const cfgUpload = upload(c, ROUTER_CONFIG);
    expect(cfgUpload).toMatchObject({ owner: "0", group: "0", permissions: "0600" });
    expect(c.secretInputs).toContain("uploads");
    const cfg = JSON.parse(cfgUpload.content);
    const monitoring = byName(run, `${PREFIX}-postgres-monitoring-password`).state.result as string;
    const admin = byName(run, `${PREFIX}-pgbouncer-admin-password`).state.result as string;
    expect(cfg.monitoring.password).toBe(monitoring);
    expect(cfg.pgbouncer.console.password).toBe(admin);
    // Outside the upload: not in the container inputs, not in the contract part PgBouncer exports.
    const plain = JSON.stringify({ ...c.inputs, uploads: undefined }) + JSON.stringify(run.outputs.pgbouncer);
    for (const pw of [monitoring, admin]) expect(plain).not.toContain(pw);
    expect(c.inputs.envs).toBeUndefined();
  });

  it("is healthy once it finished a round within three intervals plus 2 s (node reads its state file)", () => {
    const h = router().inputs.healthcheck;
    expect(h.tests.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(h.tests[3]).toContain(ROUTER_STATE_FILE);
    expect(h.tests[3]).toContain(`<=${3 * settings.readRouting.intervalMs + 2000}`);
  });

  it("tells the suite where its state file is and how the pools' in-network servers map to the host", () => {
    const c = pgbouncerOutputs.parse(run.outputs.pgbouncer);
    expect(c.readRouting).toEqual({
      intervalMs: settings.readRouting.intervalMs,
      stateFile: join(PROJECT_ROOT, ".devstack", "dev", "readrouter", "state.json"),
      metricNamespace: null,
      natMap: {
        [`${PREFIX}-postgres-primary:${settings.postgres.port}`]: run.outputs.postgres.primary,
        [`${PREFIX}-postgres-replica-1:${settings.postgres.port}`]: { host: run.outputs.postgres.replicas[0].host, port: run.outputs.postgres.replicas[0].port },
      },
    });
  });
});

describe("dev: no router", () => {
  for (const [why, overrides] of [
    ["readRouting.enabled false", { readRouting: { enabled: false } }],
    ["no replicas", { postgres: { replicas: 0 } }],
  ] as const) {
    it(`${why}: no router container, no shared volume, PgBouncer keeps its files in its own container, no read routing in the contract`, async () => {
      const r = await runProgram({ stack: "dev", overrides });
      expect(r.resources.filter((x) => /router|pgbouncer-config/.test(x.name))).toEqual([]);
      expect(ofType(r, CONTAINER).find((x) => x.name === `${PREFIX}-pgbouncer-container`)!.inputs.volumes).toBeUndefined();
      expect(r.outputs.pgbouncer.readRouting).toBeNull();
    }, 60_000);
  }

  it("refuses a docker router without a host folder for its state, before registering anything", () => {
    const args = { settings: settings.pgbouncer, primaryHost: "p", port: 5432, database: "app", users: [{ name: "app", password: "x" }], docker: { networkName: "n" } };
    const rr = { settings: settings.readRouting, monitoring: { name: "m", password: "x" }, lag: { warning: 10, critical: 30 }, tls: false, metricNamespace: "DataTier", environment: "dev" };
    expect(() => new PgBouncer("pb", { ...args, readRouting: rr })).toThrow('PgBouncer pb: readRouting.stateDir is missing; on docker the read router writes its state to a host folder the smoke suite reads');
  });
});
