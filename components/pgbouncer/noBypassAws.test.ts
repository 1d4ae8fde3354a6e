/**
 * Issue 20, item 4 on AWS: applications cannot bypass PgBouncer, because nothing of
 * theirs can reach RDS. The prod program under mocks: every rule that admits traffic to
 * the PostgreSQL security group names PgBouncer's group, the admin groups or the smoke
 * suite's own group, on the Postgres port only; none names an application group or a CIDR.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ofType, runProgram, type ProgramRun } from "../../testing/harness";
import { loadStackSettings } from "../settings/stackFile";

const settings = loadStackSettings("prod");
const SG = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
let run: ProgramRun;

beforeAll(async () => {
  run = await runProgram({ stack: "prod" });
});

describe("the RDS security-group model (no bypass on AWS)", () => {
  it("admits PgBouncer, the admin groups and the suite's task only; no application group, no CIDR", () => {
    const groups = ofType(run, SG);
    const id = (g: (typeof groups)[number]) => g.state.id ?? g.id;
    const postgres = groups.find((g) => /-postgres$/.test(g.name))!;
    const pgbouncer = groups.find((g) => /-pgbouncer$/.test(g.name))!;
    const checks = groups.find((g) => /-checks-sg$/.test(g.name))!;
    expect([postgres, pgbouncer, checks].every(Boolean)).toBe(true);
    const toPostgres = ofType(run, INGRESS).filter((r) => r.inputs.securityGroupId === id(postgres));
    expect(toPostgres.length).toBeGreaterThan(0);
    const allowed = new Set([id(pgbouncer), id(checks), ...settings.network.adminSecurityGroupIds]);
    for (const r of toPostgres) {
      expect(r.inputs.cidrIpv4, r.name).toBeUndefined();
      expect(r.inputs.cidrIpv6, r.name).toBeUndefined();
      expect(allowed.has(r.inputs.referencedSecurityGroupId), `${r.name} admits ${r.inputs.referencedSecurityGroupId}`).toBe(true);
      expect([r.inputs.fromPort, r.inputs.toPort]).toEqual([settings.postgres.port, settings.postgres.port]);
    }
    expect(settings.network.appSecurityGroupIds.length).toBeGreaterThan(0);
    for (const app of settings.network.appSecurityGroupIds) expect(toPostgres.map((r) => r.inputs.referencedSecurityGroupId)).not.toContain(app);
    // ... while the application groups do reach PgBouncer.
    const toPgBouncer = ofType(run, INGRESS).filter((r) => r.inputs.securityGroupId === id(pgbouncer)).map((r) => r.inputs.referencedSecurityGroupId);
    for (const app of settings.network.appSecurityGroupIds) expect(toPgBouncer).toContain(app);
  });
});
