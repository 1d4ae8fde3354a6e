/** The dev stack's PgBouncer container, under Pulumi mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, single, type ProgramRun, type RecordedResource } from "../../testing/harness";
import { pgbouncerOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";

const settings = loadStackSettings("dev");
const s = settings.pgbouncer;
const CONTAINER = "docker:index/container:Container";

function pgbouncerChildren(run: ProgramRun): RecordedResource[] {
  const component = single(run, "datatier:pgbouncer:PgBouncer");
  return run.resources.filter((r) => r.parent === component.urn);
}
const container = (run: ProgramRun) => pgbouncerChildren(run).find((r) => r.type === CONTAINER)!;
const upload = (run: ProgramRun, file: string): string => container(run).inputs.uploads.find((u: { file: string }) => u.file === file).content;

describe("dev: PgBouncer container", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({ stack: "dev" });
  });

  it("runs the pinned image on the stack network, published on 127.0.0.1 only", () => {
    const image = pgbouncerChildren(run).find((r) => r.type === "docker:index/remoteImage:RemoteImage")!;
    expect(image.inputs.name).toBe(s.baseImage);
    expect(s.baseImage).toMatch(/:[^:]+$|@sha256:/);
    const c = container(run).inputs;
    expect(c.ports).toEqual([{ internal: s.port, external: s.port, ip: "127.0.0.1" }]);
    expect(c.networksAdvanced[0].name).toBe(single(run, "docker:index/network:Network").inputs.name);
    expect(c.entrypoints).toEqual(["pgbouncer"]);
    expect(c.command).toEqual(["/etc/pgbouncer/pgbouncer.ini"]);
    expect(c.healthcheck.tests).toEqual(["CMD-SHELL", `pg_isready -h 127.0.0.1 -p ${s.port} -t 3 || exit 1`]);
    expect(c.ulimits[0].soft).toBeGreaterThan(2 * s.maxClientConn);
    // nproc too: podman in a VM (found with npm run dev-stack) starts nothing without it.
    expect(c.ulimits.map((u: { name: string }) => u.name)).toEqual(["nofile", "nproc"]);
  });

  it("uploads pgbouncer.ini and the userlist readable by PgBouncer's user only, never as env or arguments", () => {
    const c = container(run).inputs;
    expect(c.uploads.map((u: { file: string; permissions: string }) => [u.file, u.permissions])).toEqual([
      ["/etc/pgbouncer/pgbouncer.ini", "0600"],
      ["/etc/pgbouncer/userlist.txt", "0600"],
      ["/etc/pgbouncer/pgbouncer_hba.conf", "0600"],
    ]);
    // Each role on its own pool (issue 20): the ini checks logins against the hba file.
    expect(upload(run, "/etc/pgbouncer/pgbouncer.ini")).toMatch(/\nauth_type = hba\nauth_file = \/etc\/pgbouncer\/userlist\.txt\nauth_hba_file = \/etc\/pgbouncer\/pgbouncer_hba\.conf\n/);
    expect(upload(run, "/etc/pgbouncer/pgbouncer_hba.conf")).toMatch(/^host app app,\S+ all scram-sha-256$/m);
    expect(c.envs).toBeUndefined();
    const passwords = ofType(run, "random:index/randomPassword:RandomPassword").map((p) => p.state.result as string);
    const userlist = upload(run, "/etc/pgbouncer/userlist.txt");
    const admin = pgbouncerChildren(run).find((r) => r.name.endsWith("-admin-password"))!.state.result;
    expect(userlist).toContain(`"${s.adminUser}" "${admin}"`);
    for (const pw of passwords) expect(JSON.stringify(c.command) + JSON.stringify(c.entrypoints ?? [])).not.toContain(pw);
  });

  it("pools the primary container read-write and the replica container read-only, in transaction mode without TLS", () => {
    const ini = upload(run, "/etc/pgbouncer/pgbouncer.ini");
    const pg = ofType(run, CONTAINER).filter((r) => r.name.includes("-postgres-"));
    const primary = pg.find((r) => /primary$/.test(r.name))!.inputs.name;
    const replica = pg.find((r) => /replica-1$/.test(r.name))!.inputs.name;
    expect(ini).toContain(`\napp = host=${primary} port=${settings.postgres.port} dbname=app user=app password=`);
    expect(ini).toContain(`\napp_ro = host=${replica} port=${settings.postgres.port} dbname=app user=app_readonly password=`);
    expect(ini).toMatch(/\npool_mode = transaction\n/);
    expect(ini).toMatch(/\nclient_tls_sslmode = disable\n/);
  });

  it("logs each pool in to Postgres with the role's server password; the userlist holds the client's (issue 20: no bypass)", () => {
    const ini = upload(run, "/etc/pgbouncer/pgbouncer.ini");
    const userlist = upload(run, "/etc/pgbouncer/userlist.txt");
    const pw = (suffix: string) => String(ofType(run, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith(suffix))!.state.result);
    for (const [pool, role, slug] of [["app", "app", "app"], ["app_ro", "app_readonly", "readonly"]] as const) {
      const client = pw(`-postgres-${slug}-password`);
      const server = pw(`-postgres-${slug}-server-password`);
      expect(client).not.toBe(server);
      expect(ini).toMatch(new RegExp(`^${pool} = host=\\S+ port=\\d+ dbname=app user=${role} password=${server}$`, "m"));
      expect(ini).not.toContain(client);
      expect(userlist).toContain(`"${role}" "${client}"\n`);
      expect(userlist).not.toContain(server);
      // The contract hands the application the client password only.
      expect(JSON.stringify(run.outputs)).not.toContain(server);
    }
    expect(container(run).secretInputs).toContain("uploads");
  });

  it("gives the read router the same server logins, so a re-rendered ini keeps them", () => {
    const routed = run;
    const router = ofType(routed, CONTAINER).find((r) => r.name.endsWith("-pgbouncer-router-container"));
    expect(router, "the dev stack's read router container").toBeDefined();
    const cfgUpload = (router!.inputs.uploads as { file: string; content: string }[]).find((u) => u.file.endsWith(".json"))!;
    const cfg = JSON.parse(cfgUpload.content);
    const server = String(ofType(routed, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith("-postgres-app-server-password"))!.state.result);
    const serverRo = String(ofType(routed, "random:index/randomPassword:RandomPassword").find((r) => r.name.endsWith("-postgres-readonly-server-password"))!.state.result);
    expect(cfg.pgbouncer.runtime.serverLogins).toEqual({ readWrite: { user: "app", password: server }, readOnly: { user: "app_readonly", password: serverRo } });
    expect(router!.secretInputs).toContain("uploads");
  });

  it("exports a loopback endpoint and no AWS block", () => {
    const c = pgbouncerOutputs.parse(run.outputs.pgbouncer);
    expect(c.endpoint).toEqual({ host: "127.0.0.1", port: s.port });
    expect(c.aws).toBeNull();
    expect(ofType(run, "aws:ecs/service:Service")).toHaveLength(0);
  });
});

describe("dev: no replicas", () => {
  it("sends the read-only pool to the primary", async () => {
    const run = await runProgram({ stack: "dev", overrides: { postgres: { replicas: 0 } } });
    const ini = upload(run, "/etc/pgbouncer/pgbouncer.ini");
    const primary = ofType(run, CONTAINER).find((r) => /-postgres-primary$/.test(r.name))!.inputs.name;
    expect(ini).toContain(`\napp_ro = host=${primary} port=`);
    expect(ini).toContain("falls back to the primary");
  });
});
