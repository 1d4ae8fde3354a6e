/**
 * The dev stack on a real engine: `up` (images built from Debian packages when missing),
 * the smoke suite from the host, the redis-failover drill, the suite again, `down`, and
 * nothing of ours left. Runs wherever podman (or a Docker engine) is installed, as CI's
 * install step provides; skips, saying why, only where neither exists.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSuite } from "../checks/suite";
import type { StackOutputs } from "../components/contract/outputs";
import { connectEngine } from "./engine";
import { devstackDown, devstackUp } from "./index";
import { runDrill } from "./drills";
import { DEVSTACK_LABEL } from "./plan";

const engineAvailable = spawnSync("podman", ["--version"], { stdio: "ignore" }).status === 0 || existsSync("/var/run/docker.sock") || !!process.env.DOCKER_HOST;
if (!engineAvailable) console.warn("devstack.int.test: SKIPPED: neither podman nor a Docker engine is on this machine (bash scripts/install-system-packages.sh installs podman)");

const dir = mkdtempSync(join(tmpdir(), "devstack-int-"));
const log = () => undefined;
// GET latency is judged against production thresholds; on a loaded 2-core machine its p99
// can pass 50 ms while everything else is fine, so it is reported, not asserted.
const LOAD_SENSITIVE = new Set(["redis.get-latency"]);
const failing = (r: Awaited<ReturnType<typeof runSuite>>) => r.results.filter((x) => !LOAD_SENSITIVE.has(x.id) && (x.status === "FAIL" || x.status === "WARN")).map((x) => `${x.id}: ${x.message}`);
const failingIds = (r: Awaited<ReturnType<typeof runSuite>>) => failing(r).map((x) => x.slice(0, x.indexOf(":"))).sort();

/**
 * The Postgres and PgBouncer drills judge the checks that are not Redis': after the
 * container failover drill before them, Sentinel's quorum check on this engine can fail
 * for a while (seen once in CI: redis.sentinel-quorum), which is the failover drill's
 * business, not theirs.
 */
const NOT_REDIS = /^(?!redis\.)/;

/**
 * Runs the suite until exactly `expected` fails (at most `tries` runs, 2 s apart): on a
 * loaded 2-core machine a Sentinel or a connection can miss its deadline once; a check
 * that should fail and does not, or one that keeps failing, still fails the test.
 */
async function suiteUntil(outputs: StackOutputs, expected: string[], tries = 4, only?: RegExp): Promise<string[]> {
  let got: string[] = [];
  for (let i = 0; i < tries; i++) {
    got = failingIds(await runSuite(outputs, { hooks: [] })).filter((id) => !only || only.test(id));
    if (JSON.stringify(got) === JSON.stringify([...expected].sort())) return got;
    await new Promise((res) => setTimeout(res, 2000));
  }
  return got;
}

describe.skipIf(!engineAvailable)("dev stack on a real container engine", () => {
  let outputs: StackOutputs;
  afterAll(async () => {
    await devstackDown({ stack: "dev", dir, purge: true, log });
  }, 120_000);

  it("comes up from the program's container specs and the suite passes from the host", async () => {
    const r = await devstackUp({ stack: "dev", dir, log });
    outputs = r.outputs;
    expect(Object.keys(r.apply.containers).sort()).toEqual([
      "data-tier-dev-pgbouncer",
      "data-tier-dev-postgres-primary",
      "data-tier-dev-postgres-replica-1",
      "data-tier-dev-redis-master",
      "data-tier-dev-redis-replica-1",
      "data-tier-dev-redis-replica-2",
      "data-tier-dev-redis-sentinel-1",
      "data-tier-dev-redis-sentinel-2",
      "data-tier-dev-redis-sentinel-3",
    ]);
    console.log(`dev stack up in ${r.ms} ms (images: ${r.images.map((i) => `${i.ref} ${i.outcome} ${i.ms} ms`).join(", ")}; containers ${r.apply.timings.containersMs} ms)`);
    expect(await suiteUntil(outputs, [])).toEqual([]);
  }, 420_000);

  it("fails over when the master's container is killed: writes accepted again through Sentinel from the host, no acknowledged write lost, suite passing after", async () => {
    const e = await connectEngine({ start: false });
    const r = await runDrill("redis-failover", e.docker, "dev", outputs, log);
    console.log(`redis-failover: ${JSON.stringify(r.measured)}`);
    expect(r.measured.failoverMs).not.toBeNull();
    expect(r.measured.ackedWritesLost).toBe(0);
    expect(r.measured.newMaster).not.toBe(r.measured.oldMaster);
    // The old master rejoins as a replica; Sentinel needs a few seconds to reconfigure it.
    expect(await suiteUntil(outputs, [], 10)).toEqual([]);
    const suite = await runSuite(outputs, { hooks: [], only: "redis.primary" });
    expect(suite.results.find((x) => x.id === "redis.primary")!.message).toContain("the master moved");
  }, 180_000);

  it("postgres-replica-down turns exactly the replica's checks and the read-only pool's; up heals", async () => {
    const e = await connectEngine({ start: false });
    const replica = outputs.postgres.replicas[0].id;
    const r = await runDrill("postgres-replica-down", e.docker, "dev", outputs, log);
    let healed: Awaited<ReturnType<typeof devstackUp>> | undefined;
    try {
      expect(r.measured.stopped).toBe(replica);
      // The dev stack has one replica: the read-only pool has nowhere to go either.
      const ids = ["postgres.streaming", `postgres.replica-readonly.${replica}`, `postgres.replica-lag.${replica}`, "pgbouncer.read-only", "pgbouncer.app-login.read-only"].sort();
      expect(await suiteUntil(outputs, ids, 4, NOT_REDIS)).toEqual(ids);
    } finally {
      healed = await devstackUp({ stack: "dev", dir, log });
    }
    expect(Object.entries(healed.apply.containers).filter(([, v]) => v !== "kept")).toEqual([[replica, "started"]]);
    expect(await suiteUntil(outputs, [], 4, NOT_REDIS)).toEqual([]);
  }, 240_000);

  it("pgbouncer-down turns exactly the PgBouncer checks; up heals", async () => {
    const e = await connectEngine({ start: false });
    const r = await runDrill("pgbouncer-down", e.docker, "dev", outputs, log);
    try {
      expect(r.measured.stopped).toBe("data-tier-dev-pgbouncer");
      const ids = ["pgbouncer.read-write", "pgbouncer.read-only", "pgbouncer.app-login.read-write", "pgbouncer.app-login.read-only", "pgbouncer.config", "pgbouncer.pools"].sort();
      expect(await suiteUntil(outputs, ids, 4, NOT_REDIS)).toEqual(ids);
    } finally {
      await devstackUp({ stack: "dev", dir, log });
    }
    expect(await suiteUntil(outputs, [], 4, NOT_REDIS)).toEqual([]);
  }, 240_000);

  it("down removes every container, network and volume carrying the stack's label", async () => {
    const e = await connectEngine({ start: false });
    const r = await devstackDown({ stack: "dev", dir, keepEngine: true, log });
    expect(r.removed.containers).toHaveLength(9);
    const filters = JSON.stringify({ label: [`${DEVSTACK_LABEL}=dev`] });
    expect(await e.docker.listContainers({ all: true, filters })).toEqual([]);
    expect((await e.docker.listNetworks({ filters })).filter((n) => n.Labels?.[DEVSTACK_LABEL])).toEqual([]);
    expect(((await e.docker.listVolumes({ filters })).Volumes ?? []).filter((v) => v.Labels?.[DEVSTACK_LABEL])).toEqual([]);
  }, 120_000);
});
