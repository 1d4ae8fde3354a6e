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
    const suite = await runSuite(outputs, { hooks: [] });
    expect(failing(suite)).toEqual([]);
  }, 420_000);

  it("fails over when the master's container is killed: writes accepted again through Sentinel from the host, no acknowledged write lost, suite passing after", async () => {
    const e = await connectEngine({ start: false });
    const r = await runDrill("redis-failover", e.docker, "dev", outputs, log);
    console.log(`redis-failover: ${JSON.stringify(r.measured)}`);
    expect(r.measured.failoverMs).not.toBeNull();
    expect(r.measured.ackedWritesLost).toBe(0);
    expect(r.measured.newMaster).not.toBe(r.measured.oldMaster);
    // The old master rejoins as a replica; give Sentinel a moment to reconfigure it.
    let suite = await runSuite(outputs, { hooks: [] });
    for (let i = 0; i < 10 && failing(suite).length; i++) {
      await new Promise((res) => setTimeout(res, 2000));
      suite = await runSuite(outputs, { hooks: [] });
    }
    expect(failing(suite)).toEqual([]);
    expect(suite.results.find((x) => x.id === "redis.primary")!.message).toContain("the master moved");
  }, 180_000);

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
