import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ReplicaMeasurement } from "./decide";
import type { Round } from "./measure";
import { iniFor, namesForPool, ReadRouter, type ConsoleOps, type RouterMetric } from "./router";
import { sampleConfig } from "./testing";

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A console that applies what the ini on disk says, like PgBouncer's RELOAD. */
function fakeConsole(iniPath: string, initial: string): ConsoleOps & { reloads: number } {
  let line = initial;
  const c = {
    reloads: 0,
    async reload() {
      c.reloads++;
      line = /^app_ro = (.*)$/m.exec(readFileSync(iniPath, "utf8"))![1];
    },
    async readOnlyPool() {
      const m = /host=(\S+) port=(\d+)/.exec(line)!;
      return { hosts: m[1].split(","), port: Number(m[2]) };
    },
  };
  return c;
}

function setup(initial = "host=10.0.0.1,10.0.0.2 port=5432 dbname=app") {
  const dir = mkdtempSync(join(tmpdir(), "router-"));
  dirs.push(dir);
  const cfg = sampleConfig();
  cfg.pgbouncer.iniPath = join(dir, "pgbouncer.ini");
  cfg.stateFile = join(dir, "state.json");
  const rounds: ReplicaMeasurement[][] = [];
  const measure = async (): Promise<Round> => ({ primary: { token: "t", writtenAtMs: 0 }, replicas: rounds.shift()!, ms: 1 });
  const console = fakeConsole(cfg.pgbouncer.iniPath, initial);
  const logs: string[] = [];
  const published: RouterMetric[][] = [];
  const router = new ReadRouter(cfg, { log: (l) => logs.push(l), measure, console, publish: async (m) => void published.push(m) });
  return { cfg, rounds, console, logs, published, router, state: () => JSON.parse(readFileSync(cfg.stateFile!, "utf8")) };
}

const up = (name: string, lagSeconds = 0): ReplicaMeasurement => ({ name, reachable: true, inRecovery: true, lagSeconds });
const down = (name: string): ReplicaMeasurement => ({ name, reachable: false, inRecovery: null, lagSeconds: null, error: "connection refused" });

describe("ReadRouter", () => {
  it("reloads only when the set changes, logs the reason, and records its state", async () => {
    const t = setup();
    t.rounds.push([up("r1"), up("r2")], [down("r1"), up("r2")], [down("r1"), up("r2")], [down("r1"), down("r2")], [up("r1"), down("r2")]);
    await t.router.tick();
    expect(t.console.reloads).toBe(0); // the pool already points at both
    await t.router.tick();
    expect(t.console.reloads).toBe(1);
    expect(readFileSync(t.cfg.pgbouncer.iniPath, "utf8")).toMatch(/^app_ro = host=10\.0\.0\.2 port=5432 dbname=app$/m);
    expect(t.logs.at(-1)).toMatch(/read pool app_ro -> replicas r2 \(was r1, r2\): r1 out: unreachable \(connection refused\)/);
    await t.router.tick();
    expect(t.console.reloads).toBe(1);
    await t.router.tick();
    expect(t.console.reloads).toBe(2);
    const ini = readFileSync(t.cfg.pgbouncer.iniPath, "utf8");
    // Fallback: the read-only pool on the primary; the read-write pool untouched.
    expect(ini).toMatch(/^app_ro = host=10\.0\.0\.10 port=5432 dbname=app$/m);
    expect(ini).toMatch(/^app = host=10\.0\.0\.10 port=5432 dbname=app$/m);
    expect(t.logs.at(-1)).toMatch(/-> the primary \(fallback\).*no healthy replica/);
    expect(t.state()).toMatchObject({ healthy: [], route: "primary-fallback", checks: 4, changes: 2, poolHosts: ["10.0.0.10"] });
    expect(t.published.at(-1)).toEqual([
      { name: "HealthyReplicas", value: 0 },
      { name: "ReadsOnPrimary", value: 1 },
      { name: "RoutingChanges", value: 1 },
      { name: "RouterChecks", value: 1 },
    ]);
    await t.router.tick();
    expect(t.state()).toMatchObject({ healthy: ["r1"], route: "replicas", changes: 3 });
    expect(JSON.stringify(t.state())).not.toMatch(/monitor-pw|console-pw/);
  });

  it("applies on the first round when the pool's current hosts are not a known set", async () => {
    const t = setup("host=10.9.9.9 port=5432 dbname=app");
    t.rounds.push([up("r1"), up("r2")]);
    await t.router.tick();
    expect(t.console.reloads).toBe(1);
    expect(t.state().lastChangeAt).not.toBeNull();
  });

  it("a failed RELOAD leaves the set as recorded, so the next round tries again", async () => {
    const t = setup();
    let fail = true;
    const reload = t.console.reload.bind(t.console);
    t.console.reload = async () => {
      if (fail) throw new Error("cannot connect to PgBouncer console: connection refused");
      return reload();
    };
    t.rounds.push([down("r1"), up("r2")], [down("r1"), up("r2")]);
    expect(await t.router.tick()).toBeNull();
    expect(t.state().lastError).toMatch(/connection refused/);
    expect(t.logs.at(-1)).toMatch(/round failed, the pool is left as it was/);
    fail = false;
    await t.router.tick();
    expect(t.state()).toMatchObject({ healthy: ["r2"], lastError: null });
  });
});

describe("iniFor / namesForPool", () => {
  it("renders the whole ini with the pool over the healthy set, and maps a pool back to names", () => {
    const cfg = sampleConfig();
    expect(iniFor(cfg, ["r2"])).toMatch(/^app_ro = host=10\.0\.0\.2 port=5432 dbname=app$/m);
    expect(iniFor(cfg, ["r1", "r2"])).toMatch(/^server_round_robin = 1$/m);
    expect(namesForPool(cfg, { hosts: ["10.0.0.1", "10.0.0.2"], port: 5432 })).toEqual(["r1", "r2"]);
    expect(namesForPool(cfg, { hosts: ["10.0.0.10"], port: 5432 })).toEqual([]);
    expect(namesForPool(cfg, { hosts: ["10.0.0.1"], port: 6000 })).toBeNull();
  });
});
