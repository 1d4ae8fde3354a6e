/** The dev stack's PostgreSQL as containers, under Pulumi mocks; plus the docker helpers. */
import { beforeAll, describe, expect, it } from "vitest";
import { runProgram, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { postgresOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";
import { scramVerifier, verifierMatches } from "./scram";
import { CONF_PATH, DEFAULT_POSTGRES_IMAGE, HBA_PATH, PGPASS_PATH, REPLICATION_INIT_PATH, SUPERUSER_PASSWORD_PATH, pgpassLine, replicaBootstrapScript, replicationRoleSql } from "./docker";
import { renderPgHba, renderPostgresConf } from "./render";
import { DEFAULT_ROLE_NAMES } from "./roles";
import { ROLE, expectNoPlainPassword, pgChildren, pgNamed, pgOfType, pgPasswords } from "./testkit";

const settings = loadStackSettings("dev");
const p = settings.postgres;
const CONTAINER = "docker:index/container:Container";
const NAME = `${settings.project}-${settings.environment}-postgres`;

type Upload = { file: string; content: string; owner: string; permissions: string };
const uploadsOf = (c: RecordedResource): Record<string, Upload> => Object.fromEntries((c.inputs.uploads as Upload[]).map((u) => [u.file, u]));
const passwordNamed = (run: ProgramRun, role: string) => String(pgNamed(run, `-${role}-password`).state.result);

describe("dev: primary and streaming replicas as containers", () => {
  let run: ProgramRun;
  let primary: RecordedResource;
  let replicas: RecordedResource[];
  beforeAll(async () => {
    run = await runProgram({ stack: "dev" });
    primary = pgNamed(run, "-postgres-primary");
    replicas = pgOfType(run, CONTAINER).filter((c) => c !== primary);
  });

  it("runs a primary and postgres.replicas replicas from the pinned image", () => {
    expect(replicas).toHaveLength(p.replicas);
    const [image] = pgOfType(run, "docker:index/remoteImage:RemoteImage");
    expect(image.inputs.name).toBe(DEFAULT_POSTGRES_IMAGE);
    expect(DEFAULT_POSTGRES_IMAGE).toMatch(/^postgres:15\.\d+$/);
    for (const c of [primary, ...replicas]) expect(c.inputs.image).toBe(image.state.imageId);
  });

  // Found on a real engine (npm run dev-stack): podman in a VM cannot start a container
  // without explicit limits ("setrlimit RLIMIT_NOFILE: Operation not permitted").
  it("sets explicit nofile and nproc limits on the primary and every replica", () => {
    for (const c of [primary, ...replicas]) {
      expect(c.inputs.ulimits.map((u: { name: string }) => u.name).sort()).toEqual(["nofile", "nproc"]);
      expect(c.inputs.ulimits.every((u: { soft: number; hard: number }) => u.soft === u.hard && u.soft >= 4096)).toBe(true);
    }
  });

  it("starts every node from the rendered postgresql.conf and pg_hba.conf", () => {
    const hba = renderPgHba({ replicationUser: DEFAULT_ROLE_NAMES.replication, localCidr: "samenet" });
    expect(primary.inputs.command).toEqual(["postgres", "-c", `config_file=${CONF_PATH}`, "-c", `hba_file=${HBA_PATH}`]);
    expect(uploadsOf(primary)[CONF_PATH].content).toBe(renderPostgresConf(settings, { role: "primary", port: p.port, listenAddresses: "*", socketDir: "/var/run/postgresql" }));
    for (const r of replicas) {
      expect(uploadsOf(r)[CONF_PATH].content).toBe(renderPostgresConf(settings, { role: "replica", port: p.port, listenAddresses: "*", socketDir: "/var/run/postgresql" }));
      expect(r.inputs.command[0]).toContain(`config_file=${CONF_PATH}`);
    }
    for (const c of [primary, ...replicas]) {
      expect(uploadsOf(c)[HBA_PATH].content).toBe(hba);
      for (const u of Object.values(uploadsOf(c))) expect(u).toMatchObject({ owner: "999", permissions: "0600" });
    }
  });

  it("gives the superuser and replication passwords only as uploaded files", () => {
    const superuser = passwordNamed(run, "superuser");
    const replication = passwordNamed(run, "replication");
    expect(primary.inputs.envs).toContain(`POSTGRES_PASSWORD_FILE=${SUPERUSER_PASSWORD_PATH}`);
    expect(primary.inputs.envs.some((e: string) => e.startsWith("POSTGRES_PASSWORD="))).toBe(false);
    expect(uploadsOf(primary)[SUPERUSER_PASSWORD_PATH].content).toBe(superuser);
    // The init script carries the password's SCRAM verifier, never the password (it runs with pg_stat_statements loaded).
    const init = uploadsOf(primary)[REPLICATION_INIT_PATH].content as string;
    expect(init).not.toContain(replication);
    const verifier = /PASSWORD '(SCRAM-SHA-256\$[^']+)'/.exec(init)?.[1] ?? "";
    expect(verifierMatches(verifier, replication)).toBe(true);
    expect(init).toBe(replicationRoleSql(DEFAULT_ROLE_NAMES.replication, replication, verifier.split(/[:$]/)[2]));
    for (const r of replicas) expect(uploadsOf(r)[PGPASS_PATH].content).toBe(pgpassLine(`${NAME}-primary`, p.port, DEFAULT_ROLE_NAMES.replication, replication));
    expect(primary.secretInputs).toContain("uploads");
  });

  it("clones each replica with pg_basebackup into its own slot, after the primary is healthy", () => {
    replicas.forEach((r, i) => {
      expect(r.inputs.entrypoints).toEqual(["bash", "-c"]);
      expect(r.inputs.command[0]).toBe(replicaBootstrapScript({ primaryHost: `${NAME}-primary`, primaryPort: p.port, user: DEFAULT_ROLE_NAMES.replication, slot: `replica_${i + 1}` }));
      expect(r.dependencies).toContain(primary.urn);
    });
    expect(primary.inputs.wait).toBe(true);
  });

  it("keeps the primary's data on a volume and checks health with pg_isready", () => {
    const [volume] = pgOfType(run, "docker:index/volume:Volume");
    expect(primary.inputs.volumes).toEqual([{ volumeName: volume.inputs.name, containerPath: "/var/lib/postgresql/data" }]);
    for (const c of [primary, ...replicas]) expect(c.inputs.healthcheck.tests[1]).toMatch(/^pg_isready .*-p 5432/);
  });

  it("publishes every port on 127.0.0.1 only, replica N on port + N", () => {
    expect(primary.inputs.ports).toEqual([expect.objectContaining({ internal: p.port, external: p.port, ip: "127.0.0.1" })]);
    replicas.forEach((r, i) => expect(r.inputs.ports).toEqual([expect.objectContaining({ internal: p.port, external: p.port + i + 1, ip: "127.0.0.1" })]));
  });

  it("creates the roles through a provider on the published port, as the superuser", () => {
    const provider = pgChildren(run).find((r) => r.type === "pulumi:providers:postgresql")!;
    expect(provider.inputs).toMatchObject({ host: "127.0.0.1", port: String(p.port), sslmode: "disable", superuser: "true", username: p.masterUsername });
    expect(provider.inputs.password).toBe(passwordNamed(run, "superuser"));
    expect(pgOfType(run, ROLE).map((r) => r.inputs.name).sort()).toEqual([DEFAULT_ROLE_NAMES.app, DEFAULT_ROLE_NAMES.readonly, DEFAULT_ROLE_NAMES.monitoring, DEFAULT_ROLE_NAMES.pgbouncerAuth].sort());
  });

  it("creates the application roles with server passwords the application never gets (issue 20: no bypass of the pools)", () => {
    for (const [slug, role] of [["app", DEFAULT_ROLE_NAMES.app], ["readonly", DEFAULT_ROLE_NAMES.readonly]] as const) {
      const client = passwordNamed(run, slug);
      const server = passwordNamed(run, `${slug}-server`);
      expect(server).not.toBe(client);
      const verifier = String(pgOfType(run, ROLE).find((r) => r.inputs.name === role)!.inputs.password);
      expect(verifierMatches(verifier, server)).toBe(true);
      expect(verifierMatches(verifier, client)).toBe(false);
    }
    // Monitoring keeps one password: the suite and the router log in with it directly.
    const monitoring = String(pgOfType(run, ROLE).find((r) => r.inputs.name === DEFAULT_ROLE_NAMES.monitoring)!.inputs.password);
    expect(verifierMatches(monitoring, passwordNamed(run, "monitoring"))).toBe(true);
  });

  it("puts no password in a command, env, healthcheck, label or plain output", () => {
    expectNoPlainPassword(run, pgPasswords(run));
  });

  it("exports a contract that parses and points at the published ports; no AWS resource", () => {
    const c = postgresOutputs.parse(run.outputs.postgres);
    expect(c.primary).toEqual({ host: "127.0.0.1", port: p.port });
    expect(c.replicas).toEqual(replicas.map((_, i) => ({ id: `${NAME}-replica-${i + 1}`, host: "127.0.0.1", port: p.port + i + 1 })));
    expect(c).toMatchObject({ tls: false, aws: null, database: p.databaseName, monitoringUser: DEFAULT_ROLE_NAMES.monitoring });
    expect(pgChildren(run).filter((r) => r.type.startsWith("aws:"))).toEqual([]);
    expect(pgChildren(run).some((r) => r.protect)).toBe(false);
  });

  it("follows the replica count: 3 replicas on ports + 1..3", async () => {
    const three = await runProgram({ stack: "dev", overrides: { postgres: { replicas: 3 } } });
    const rs = pgOfType(three, CONTAINER).filter((c) => c.name.includes("-replica-"));
    expect(rs.map((r) => r.inputs.ports[0].external)).toEqual([p.port + 1, p.port + 2, p.port + 3]);
    expect(postgresOutputs.parse(three.outputs.postgres).replicas).toHaveLength(3);
  });
});

describe("docker helpers", () => {
  it("escapes .pgpass fields the way libpq reads them", () => {
    expect(pgpassLine("h", 5432, "u", "a:b\\c")).toBe("h:5432:replication:u:a\\:b\\\\c\n");
  });

  it("quotes the replication password as a SQL literal and refuses a bad role", () => {
    const salt = Buffer.alloc(16, 1).toString("base64");
    expect(replicationRoleSql("replicator", "it's", salt)).toBe(`CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${scramVerifier("it's", salt)}';\n`);
    expect(() => replicationRoleSql("r; DROP", "x")).toThrow(/role name/);
  });

  it("refuses shell metacharacters in the bootstrap script's names", () => {
    expect(() => replicaBootstrapScript({ primaryHost: "h;rm -rf /", primaryPort: 5432, user: "r", slot: "s" })).toThrow(/primaryHost/);
    const script = replicaBootstrapScript({ primaryHost: "db-primary", primaryPort: 5432, user: "replicator", slot: "replica_1" });
    expect(script).toContain("pg_basebackup -h db-primary -p 5432 -U replicator");
    expect(script).toContain("-R -X stream -S replica_1 -C");
    expect(script).not.toMatch(/PGPASSWORD/);
  });
});
