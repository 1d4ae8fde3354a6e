/**
 * The sandbox for real: up from an empty folder through the CLI, status, outputs,
 * reuse, restart of a dead process, and down stopping exactly the recorded pids.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { escapeIdentifier } from "pg";
import { withPg } from "../components/clients/postgres";
import { parseStackOutputs } from "../components/contract/outputs";
import { runSuite } from "../checks/suite";
import { main } from "./cli";
import { sandboxStatus, startSandbox, stopSandbox } from "./lifecycle";
import { PRIMARY_NAME, superuserTarget } from "./postgres";
import { isAlive, killHard } from "./procs";
import { readState, type SandboxState } from "./state";
import { settledStatus } from "../testing/sandboxHealth";

// An empty temp folder (mode 0700): up opens it to the postgres user (0711).
const dir = mkdtempSync(join(tmpdir(), "sandbox-int-"));
const capture = () => {
  let text = "";
  return { io: { stdout: { write: (s: string) => (text += s) }, stderr: { write: (s: string) => (text += s) } }, text: () => text };
};
let state: SandboxState;
let upOutput = "";

beforeAll(async () => {
  const out = capture();
  const code = await main(["up", "--dir", dir], out.io);
  upOutput = out.text();
  expect(code, upOutput).toBe(0);
  state = readState(dir)!;
}, 60_000);

afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe("sandbox up from an empty folder", () => {
  it("starts every process of the dev topology and reports healthy", async () => {
    expect(state.processes.map((p) => p.name).sort()).toEqual(
      ["pgbouncer", "postgres-primary", "postgres-replica-1", "readrouter", "redis-0", "redis-1", "redis-2", "sentinel-0", "sentinel-1", "sentinel-2"].sort(),
    );
    const s = await sandboxStatus(dir);
    expect(s.problems).toEqual([]);
    expect(s.healthy).toBe(true);
    for (const p of s.processes) expect(p, p.name).toMatchObject({ alive: true, answering: true });
    expect(s.processes.find((p) => p.name === "redis-0")?.role).toMatch(/^master \(2 replicas\)/);
    expect(s.processes.find((p) => p.name === "postgres-replica-1")?.role).toBe("replica");
    expect(s.processes.every((p) => p.port !== 6379 && p.port !== 5432 && p.port !== 6432 && p.port !== 26379)).toBe(true);
  });

  it("writes outputs.json (0600) that the contract accepts, and a 0600 state file", () => {
    const path = join(dir, "outputs.json");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "state.json")).mode & 0o777).toBe(0o600);
    // Sentinel rewrites its config (with the master's password) at start: still 0600 after it (issue 9).
    for (const p of state.processes.filter((x) => x.kind === "sentinel" || x.kind === "redis")) expect(statSync(p.args[0]).mode & 0o777, p.args[0]).toBe(0o600);
    const o = parseStackOutputs(JSON.parse(readFileSync(path, "utf8")), path);
    expect(o.platform).toBe("sandbox");
    expect(o.redis.primary.port).toBe(state.processes.find((p) => p.name === "redis-0")!.port);
    expect(o.applicationCredentials.redisPassword).toBe(state.secrets.redisPassword);
  });

  it("lets each application role in through its PgBouncer pool with exactly the applicationCredentials", async () => {
    const o = parseStackOutputs(JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8")), "outputs.json");
    for (const c of [o.applicationCredentials.readWrite, o.applicationCredentials.readOnly]) {
      const client = new Client({ host: c.host, port: c.port, database: c.dbname, user: c.username, password: c.password, connectionTimeoutMillis: 3000 });
      await client.connect();
      try {
        const r = await client.query<{ u: string; ro: string }>("select current_user as u, current_setting('transaction_read_only') as ro");
        // The read-only pool lands on the replica: read-only by the server, not only by grants.
        expect(r.rows[0], c.dbname).toEqual({ u: c.username, ro: c === o.applicationCredentials.readOnly ? "on" : "off" });
      } finally {
        await client.end();
      }
    }
  });

  it("prints endpoints and the outputs path but never a password", () => {
    expect(upOutput).toContain(join(dir, "outputs.json"));
    expect(upOutput).toMatch(/sandbox up in \d+\.\d+ s/);
    for (const [key, secret] of Object.entries(state.secrets)) expect(upOutput.includes(secret), key).toBe(false);
  });

  it("keeps passwords out of the replica's postgresql.auto.conf", () => {
    const auto = readFileSync(join(dir, "postgres", "postgres-replica-1", "postgresql.auto.conf"), "utf8");
    expect(auto).toContain("passfile=");
    expect(auto.includes(state.secrets.replication)).toBe(false);
  });

  it("reuses a healthy sandbox, and starts again only what is down", async () => {
    // Health waits shorter than the test's own timeout: a heal that does not converge says what is still wrong.
    const again = await startSandbox({ dir, timeoutMs: 25_000 });
    expect(again).toMatchObject({ reused: true, started: [] });
    expect(readState(dir)!.processes.map((p) => p.pid)).toEqual(state.processes.map((p) => p.pid));

    const victim = state.processes.find((p) => p.name === "redis-2")!;
    // Gone before `up` looks: a process SIGKILLed a moment ago can still read as running
    // in /proc on a busy machine, and `up` would then only wait for it (seen once in a full run).
    await killHard(victim);
    expect(isAlive(victim.pid, victim.startTicks)).toBe(false);
    const healed = await startSandbox({ dir, timeoutMs: 25_000 });
    expect(healed.reused).toBe(true);
    expect(healed.started).toEqual(["redis-2"]);
    expect((await settledStatus(dir)).problems).toEqual([]);
    state = readState(dir)!;
  }, 60_000);

  it("keeps the demo data fresh: up on a sandbox whose rows are hours old makes recent-writes PASS again", async () => {
    const outputs = parseStackOutputs(JSON.parse(readFileSync(join(dir, "outputs.json"), "utf8")), "outputs.json");
    const recentWrites = async () => (await runSuite(outputs, { only: "partition.recent-writes.*", hooks: [] })).results.map((c) => [c.id, c.status]);
    // An old sandbox, faked: every demo row two hours older (past the 1 h bound), in both tables of each pair.
    const primary = state.processes.find((p) => p.name === PRIMARY_NAME)!;
    await withPg(superuserTarget(state, primary, state.settings.postgres.databaseName), async (c) => {
      for (const pair of state.settings.postgres.partitionPairs) {
        const ts = escapeIdentifier(pair.timestampColumn);
        for (const table of [pair.legacy, pair.partitioned]) await c.query(`UPDATE ${escapeIdentifier(table)} SET ${ts} = ${ts} - interval '2 hours'`);
      }
    }, 20_000);
    const stale = await recentWrites();
    expect(stale.length).toBe(state.settings.postgres.partitionPairs.length);
    expect(stale.filter(([, status]) => status === "PASS")).toEqual([]);

    expect(await startSandbox({ dir })).toMatchObject({ reused: true });
    expect((await recentWrites()).filter(([, status]) => status !== "PASS")).toEqual([]);
  }, 60_000);

  it("down stops exactly the recorded pids, and status then exits non-zero", async () => {
    const bystander = spawn("/bin/sleep", ["30"], { stdio: "ignore" });
    const recorded = state.processes.map((p) => ({ name: p.name, pid: p.pid, startTicks: p.startTicks }));
    const r = await stopSandbox(dir);
    expect(r.results.map((x) => [x.name, x.pid]).sort()).toEqual(recorded.map((p) => [p.name, p.pid]).sort());
    expect(r.results.every((x) => x.outcome === "stopped")).toBe(true);
    for (const p of recorded) expect(isAlive(p.pid, p.startTicks), p.name).toBe(false);
    expect(isAlive(bystander.pid!)).toBe(true);
    bystander.kill("SIGKILL");
    const out = capture();
    expect(await main(["status", "--dir", dir], out.io)).toBe(1);
    expect(out.text()).toMatch(/NOT healthy/);
  }, 30_000);
});
