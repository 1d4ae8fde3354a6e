/**
 * Replacement cannot collide, on the real program: the diff of two runs under mocks
 * (a setting changed) for a non-production AWS stack and for prod.
 */
import { describe, expect, it } from "vitest";
import { deepMerge } from "../../components/settings/defaults";
import { ofType, runProgram, type ProgramRun } from "../../testing/harness";
import { diffSnapshots, verdict } from "./diff";
import { snapshotOf } from "./snapshot";

// Outside production the default max_connections (250) is below prod's four PgBouncer tasks' pools.
const STAGING = { production: false, environment: "staging", postgres: { maxConnections: 1000 } };
const KEY = "k";
const RDS = "aws:rds/instance:Instance";
const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const TG = "aws:lb/targetGroup:TargetGroup";
const SECRET = "aws:secretsmanager/secret:Secret";

const baseRuns = new Map<string, Promise<ProgramRun>>();
/** One run per (stack, common overrides): the base of several diffs. */
function baseRun(stack: string, common: Record<string, unknown>): Promise<ProgramRun> {
  const k = JSON.stringify([stack, common]);
  if (!baseRuns.has(k)) baseRuns.set(k, runProgram({ stack, overrides: common }));
  return baseRuns.get(k)!;
}

async function changed(overrides: Record<string, unknown>, stack = "prod", common: Record<string, unknown> = STAGING) {
  const before = await baseRun(stack, common);
  const after = await runProgram({ stack, overrides: deepMerge(common, overrides) as Record<string, unknown> });
  const changes = diffSnapshots(snapshotOf(before.resources, KEY), snapshotOf(after.resources, KEY));
  return { before, after, changes, verdict: verdict(changes, { production: common.production !== false, allowReplace: false }) };
}

const opts = (run: ProgramRun, type: string) => ofType(run, type).map((r) => ({ name: r.name, protect: r.protect, deleteBeforeReplace: r.deleteBeforeReplace }));

describe("replacement options on the program", () => {
  it("outside production: RDS instances and the replication group are deleted first, unprotected", async () => {
    const run = await baseRun("prod", STAGING);
    for (const type of [RDS, RG]) {
      const o = opts(run, type);
      expect(o.length).toBeGreaterThan(0);
      for (const r of o) expect(r, r.name).toMatchObject({ protect: false, deleteBeforeReplace: true });
    }
  });

  it("production: protected, never deleted first", async () => {
    const run = await baseRun("prod", {});
    for (const type of [RDS, RG]) for (const r of opts(run, type)) expect(r, r.name).toMatchObject({ protect: true, deleteBeforeReplace: false });
    // Generated names: no fixed secret name to collide with one still in its recovery window.
    const pgbouncer = ofType(run, SECRET).filter((s) => s.name.includes("pgbouncer"));
    // The ini, the userlist and the read router's passwords (readRouting is on in prod).
    expect(pgbouncer.map((s) => s.inputs.namePrefix).sort()).toEqual(["data-tier-prod-pgbouncer/ini-", "data-tier-prod-pgbouncer/read-router-", "data-tier-prod-pgbouncer/userlist-"]);
    for (const s of pgbouncer) expect("name" in s.inputs, s.name).toBe(false);
  });

  it("a masterUsername change replaces the primary without colliding on its identifier", async () => {
    const { changes, verdict: v } = await changed({ postgres: { masterUsername: "admin2" } });
    const primary = changes.find((c) => c.type === RDS && c.name.endsWith("-primary"));
    expect(primary).toMatchObject({ kind: "replace", replacedBy: ["username"], deleteBeforeReplace: true, collision: undefined });
    expect(v.collisions).toEqual([]);
  });

  it("a redis.port change replaces the group without colliding on its id", async () => {
    const { changes, verdict: v } = await changed({ redis: { port: 6380 } });
    expect(changes.find((c) => c.type === RG)).toMatchObject({ kind: "replace", replacedBy: ["port"], collision: undefined });
    expect(v.collisions).toEqual([]);
  });

  it("a pgbouncer.port change gives the target group a new name, so it is created before the old one goes", async () => {
    const { before, after, changes, verdict: v } = await changed({ pgbouncer: { port: 6433 } });
    const tg = changes.find((c) => c.type === TG);
    expect(tg).toMatchObject({ kind: "replace", collision: undefined });
    expect(tg?.replacedBy).toEqual(expect.arrayContaining(["name", "port"]));
    const [old] = ofType(before, TG);
    const [now] = ofType(after, TG);
    expect(now.inputs.name).not.toBe(old.inputs.name);
    expect(String(now.inputs.name).length).toBeLessThanOrEqual(32);
    expect(v.collisions).toEqual([]);
  });

  it("in production the kept identifier is reported as a collision, and the replace refused", async () => {
    const { verdict: v } = await changed({ postgres: { masterUsername: "admin2" } }, "prod", {});
    expect(v.refused.map((c) => c.type)).toContain(RDS);
    expect(v.collisions.map((c) => c.collision)).toEqual(["data-tier-prod-pg"]);
  });
});
