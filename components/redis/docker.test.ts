/** The dev stack's Redis as containers, resource by resource, under Pulumi mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, within, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { redisOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";
import { REDIS_ROLES, type RedisUserPasswords } from "./acl";
import { DEFAULT_REDIS_IMAGE, MONITOR_AUTH_PATH, REDIS_CONF_PATH, SENTINEL_CONF_PATH } from "./docker";
import { renderRedisConf, renderSentinelConf } from "./render";

const CONTAINER = "docker:index/container:Container";
const settings = loadStackSettings("dev");
const r = settings.redis;

const containers = (run: ProgramRun, role: string) => ofType(run, CONTAINER).filter((c) => c.inputs.labels.some((l: { label: string; value: string }) => l.label === "datatier.role" && l.value === role));
/** Every ACL user's password, by the RandomPassword each comes from (the application's keeps the old name). */
const passwordsOf = (run: ProgramRun): RedisUserPasswords => {
  const all = ofType(run, "random:index/randomPassword:RandomPassword");
  const of = (suffix: string) => all.find((x) => x.name.endsWith(suffix))!.state.result as string;
  return Object.fromEntries(REDIS_ROLES.map((r) => [r, of(r === "application" ? "-redis-password" : `-${r}-password`)])) as RedisUserPasswords;
};
type Upload = { file: string; content: string; owner: string; permissions: string };
/** The rendered config; the second upload is the monitoring password for the healthcheck. */
const upload = (c: RecordedResource) => {
  expect(c.inputs.uploads).toHaveLength(2);
  return c.inputs.uploads[0] as Upload;
};

describe("dev: master, replicas and Sentinels as containers", () => {
  let run: ProgramRun & { all?: ProgramRun["resources"] };
  beforeAll(async () => {
    run = within(await runProgram({ stack: "dev" }), "datatier:redis:RedisCluster");
  });

  it("has one master, two replicas and three Sentinels from the pinned image", () => {
    expect(containers(run, "redis-master").map((c) => c.inputs.name)).toEqual(["data-tier-dev-redis-master"]);
    expect(containers(run, "redis-replica").map((c) => c.inputs.name)).toEqual(["data-tier-dev-redis-replica-1", "data-tier-dev-redis-replica-2"]);
    expect(containers(run, "redis-sentinel")).toHaveLength(3);
    const image = single(run, "docker:index/remoteImage:RemoteImage");
    expect(image.inputs.name).toBe(DEFAULT_REDIS_IMAGE);
    expect(DEFAULT_REDIS_IMAGE).toMatch(/^redis:\d+\.\d+\.\d+$/);
    for (const c of ofType(run, CONTAINER)) {
      expect(c.inputs.image).toBe(image.state.imageId);
      expect(c.inputs.networksAdvanced).toEqual([{ name: "data-tier-dev", aliases: [c.inputs.name] }]);
      expect(c.inputs.healthcheck.tests[0]).toBe("CMD-SHELL");
    }
  });

  it("starts the master and replicas from the rendered redis.conf, as a secret upload", () => {
    const pw = passwordsOf(run);
    const [master] = containers(run, "redis-master");
    expect(master.secretInputs).toContain("uploads");
    expect(master.inputs.command).toEqual(["redis-server", REDIS_CONF_PATH]);
    expect(upload(master)).toMatchObject({ file: REDIS_CONF_PATH, owner: "999", permissions: "0600" });
    expect(upload(master).content).toBe(renderRedisConf(r, { bind: "0.0.0.0", port: r.port, dir: "/data", passwords: pw, announceIp: "data-tier-dev-redis-master" }));
    containers(run, "redis-replica").forEach((rep) => {
      expect(rep.secretInputs).toContain("uploads");
      expect(upload(rep).content).toBe(renderRedisConf(r, { bind: "0.0.0.0", port: r.port, dir: "/data", passwords: pw, replicaOf: { host: "data-tier-dev-redis-master", port: r.port }, announceIp: rep.inputs.name }));
      expect(upload(rep).content).toContain("replicaof data-tier-dev-redis-master 6379");
    });
  });

  it("starts the Sentinels from the rendered sentinel.conf with the settings' quorum", () => {
    const pw = passwordsOf(run);
    for (const s of containers(run, "redis-sentinel")) {
      expect(s.secretInputs).toContain("uploads");
      expect(s.inputs.command).toEqual(["redis-server", SENTINEL_CONF_PATH, "--sentinel"]);
      const text = upload(s).content;
      expect(text).toBe(renderSentinelConf(r, { bind: "0.0.0.0", port: r.sentinel.port, dir: "/data", masterHost: "data-tier-dev-redis-master", masterPort: r.port, passwords: pw }));
      expect(text).toContain(`sentinel monitor ${r.sentinel.masterName} data-tier-dev-redis-master ${r.port} ${r.sentinel.quorum}`);
    }
  });

  // Found on a real engine (npm run dev-stack): without an announced name the master lists
  // its replicas by bridge IP, Sentinel promotes one by that IP, and nothing outside the
  // network (nor the contract's natMap) can name the new master after a failover.
  it("has every data node announce its container name, so Sentinel names nodes by name after a failover", () => {
    for (const c of [...containers(run, "redis-master"), ...containers(run, "redis-replica")]) {
      expect(upload(c).content).toContain(`replica-announce-ip ${c.inputs.name}\n`);
    }
  });

  it("maps every in-network node address to its published 127.0.0.1 port for host-side clients (natMap)", () => {
    const out = redisOutputs.parse(run.outputs.redis);
    const nodes = [...containers(run, "redis-master"), ...containers(run, "redis-replica")];
    expect(Object.keys(out.natMap ?? {}).sort()).toEqual(nodes.map((c) => `${c.inputs.name}:${r.port}`).sort());
    for (const c of nodes) expect(out.natMap![`${c.inputs.name}:${r.port}`]).toEqual({ host: "127.0.0.1", port: c.inputs.ports[0].external });
  });

  // Found on a real engine: podman in a VM cannot start a container without explicit
  // limits ("setrlimit RLIMIT_NOFILE: Operation not permitted"); Docker accepts them too.
  // Found on a real engine: a Sentinel answers PING before it has found its peers, so the
  // stack looked healthy while SENTINEL CKQUORUM still said NOQUORUM.
  // And a Sentinel in TILT answers CKQUORUM OK while it acts on nothing (render.int.test.ts runs it).
  it("judges a Sentinel healthy by CKQUORUM out of TILT, not PING", () => {
    for (const c of containers(run, "redis-sentinel")) {
      const cli = `REDISCLI_AUTH="$(cat ${MONITOR_AUTH_PATH})" redis-cli --no-auth-warning --user monitor -p ${r.sentinel.port}`;
      expect(c.inputs.healthcheck.tests).toEqual(["CMD-SHELL", `${cli} sentinel ckquorum ${r.sentinel.masterName} | grep -q '^OK' && ${cli} info sentinel | grep -q '^sentinel_tilt:0'`]);
    }
  });

  it("gives every container the monitoring user's password as a 0600 secret file for its healthcheck, and no other", () => {
    const pw = passwordsOf(run);
    for (const c of ofType(run, CONTAINER)) {
      const auth = c.inputs.uploads[1] as Upload;
      expect(auth).toMatchObject({ file: MONITOR_AUTH_PATH, content: pw.monitoring, owner: "999", permissions: "0600" });
      expect(c.inputs.healthcheck.tests[1]).toContain(`--user monitor`);
    }
  });

  it("sets explicit nofile and nproc limits on every container", () => {
    for (const c of ofType(run, CONTAINER)) {
      expect(c.inputs.ulimits.map((u: { name: string }) => u.name).sort()).toEqual(["nofile", "nproc"]);
      expect(c.inputs.ulimits.find((u: { name: string }) => u.name === "nofile").soft).toBeGreaterThanOrEqual(10_032);
    }
  });

  it("keeps the master's data on a volume", () => {
    const volume = single(run, "docker:index/volume:Volume");
    const [master] = containers(run, "redis-master");
    expect(master.inputs.volumes).toEqual([{ volumeName: volume.state.name, containerPath: "/data" }]);
    for (const rep of containers(run, "redis-replica")) expect(rep.inputs.volumes ?? []).toEqual([]);
  });

  it("publishes every port on 127.0.0.1 only", () => {
    const published = ofType(run, CONTAINER).flatMap((c) => c.inputs.ports);
    expect(published).toHaveLength(6);
    expect(published.every((p: { ip: string }) => p.ip === "127.0.0.1")).toBe(true);
    expect(published.map((p: { external: number }) => p.external).sort((x: number, y: number) => x - y)).toEqual([6379, 6380, 6381, 26379, 26380, 26381]);
  });

  it("never puts a password in a command, env, healthcheck, label or plain output; each role's goes only where it belongs", () => {
    const pws = passwordsOf(run);
    expect(new Set(Object.values(pws)).size).toBe(REDIS_ROLES.length);
    const plain = Object.fromEntries(Object.entries(run.outputs).filter(([k]) => !run.secretOutputs.includes(k)));
    for (const pw of Object.values(pws)) {
      for (const c of ofType(run, CONTAINER)) {
        const { uploads: _uploads, ...rest } = c.inputs;
        expect(JSON.stringify(rest), c.name).not.toContain(pw);
        expect(c.inputs.envs ?? []).toEqual([]);
      }
      expect(JSON.stringify(plain)).not.toContain(pw);
    }
    expect(run.secretOutputs).toContain("applicationCredentials");
    expect(run.outputs.applicationCredentials.redisPassword).toBe(pws.application);
    // The application gets only its own; the operator's secrets hold monitoring and operator, never the application's.
    for (const role of ["replication", "sentinel", "monitoring", "operator"] as const) expect(JSON.stringify(run.outputs.applicationCredentials), role).not.toContain(pws[role]);
    expect(run.outputs.credentials).toMatchObject({ redisMonitoringPassword: pws.monitoring, redisOperatorPassword: pws.operator });
    expect(JSON.stringify(run.outputs.credentials)).not.toContain(pws.application);
  });

  it("exports a contract that parses and points at the published ports", () => {
    const c = redisOutputs.parse(run.outputs.redis);
    expect(c.primary).toEqual({ host: "127.0.0.1", port: 6379 });
    expect(c.readers).toEqual([
      { host: "127.0.0.1", port: 6380 },
      { host: "127.0.0.1", port: 6381 },
    ]);
    expect(c.nodes.map((n) => n.name)).toEqual(["master", "replica-1", "replica-2"]);
    expect(c.sentinels.map((s) => s.port)).toEqual([26379, 26380, 26381]);
    expect(c).toMatchObject({ sentinelMasterName: r.sentinel.masterName, expectedReplicas: 2, tls: false, authRequired: true, aws: null });
  });

  it("creates no AWS resource and protects nothing", () => {
    expect(run.resources.filter((x) => x.type.startsWith("aws:"))).toEqual([]);
    expect(run.resources.filter((x) => x.protect)).toEqual([]);
  });
});

describe("docker overrides", () => {
  it("follows replica and Sentinel counts", async () => {
    const run = within(await runProgram({ stack: "dev", overrides: { redis: { replicas: 3, sentinel: { count: 5, quorum: 3 } } } }), "datatier:redis:RedisCluster");
    expect(containers(run, "redis-replica")).toHaveLength(3);
    expect(containers(run, "redis-sentinel")).toHaveLength(5);
    for (const s of containers(run, "redis-sentinel")) expect(upload(s).content).toMatch(/sentinel monitor datatier data-tier-dev-redis-master 6379 3\n/);
    const c = redisOutputs.parse(run.outputs.redis);
    expect(c.readers).toHaveLength(3);
    expect(c.sentinels).toHaveLength(5);
    expect(c.expectedReplicas).toBe(3);
  });
});
