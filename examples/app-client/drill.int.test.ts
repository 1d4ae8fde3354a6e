/**
 * The example application follows a Redis failover (kill -9 of the master, Sentinel
 * promotes a replica) and a Postgres replica loss on a real sandbox, with its own drivers,
 * and measures from its side: how long its writes failed, and that no acknowledged write
 * was lost. The faults come from the sandbox's own drills, run as child processes.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, stopSandbox } from "../../sandbox/lifecycle";
import { main, redisPyAvailable } from "./cli";

// Inside the worktree (the fault command runs `npm run sandbox` from here); 0700 like mkdtemp elsewhere.
mkdirSync(join(process.cwd(), ".sandbox"), { recursive: true });
const dir = mkdtempSync(join(process.cwd(), ".sandbox", "app-client-it-"));
const outputs = join(dir, "outputs.json");

beforeAll(async () => {
  await startSandbox({ dir, parts: ["redis", "postgres", "pgbouncer"] });
}, 60_000);

afterAll(async () => {
  await stopSandbox(dir, { purge: true }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const figure = (lines: string[], re: RegExp) => Number(re.exec(lines.join("\n"))?.[1] ?? NaN);

describe("examples/app-client drill on the sandbox", () => {
  it("redis: follows the failover through Sentinel, writes come back, 0 acknowledged writes lost", async () => {
    const lines: string[] = [];
    const code = await main(["drill", "redis", "--outputs", outputs], (l) => lines.push(l));
    const text = lines.join("\n");
    expect(code, text).toBe(0);
    expect(text).toMatch(/\[fault\] kill -9 redis-0/);
    expect(figure(lines, /acknowledged writes lost: (\d+)/)).toBe(0);
    expect(figure(lines, /acknowledged writes: (\d+)/)).toBeGreaterThan(100);
    // A real outage was seen (down-after 2000 ms + election), and it ended: generous bounds, 2 shared cores.
    const window = figure(lines, /redis: writes failed for (\d+) ms/);
    expect(window).toBeGreaterThan(1000);
    expect(window).toBeLessThan(15_000);
    // redis-py (Debian's python3-redis, installed by scripts/install-system-packages.sh) beside it.
    expect(redisPyAvailable(), "python3-redis is missing: bash scripts/install-system-packages.sh").toBe(true);
    expect(figure(lines, /redis-py [\d.]+: .*acknowledged writes lost: (\d+)/)).toBe(0);
    expect(figure(lines, /redis-py [\d.]+: .*acknowledged writes: (\d+)/)).toBeGreaterThan(100);
    expect(figure(lines, /redis-py [\d.]+: writes failed for (\d+) ms/)).toBeLessThan(15_000);
    console.log(text.split("\n").filter((l) => !l.includes("[fault]")).join("\n"));
  }, 90_000);

  it("postgres-replica: writes never stop, reads on the read-only pool come back, 0 acknowledged writes lost", async () => {
    const lines: string[] = [];
    const code = await main(["drill", "postgres-replica", "--outputs", outputs], (l) => lines.push(l));
    const text = lines.join("\n");
    expect(code, text).toBe(0);
    expect(text).toMatch(/\[fault\] stopping postgres-replica-1/);
    expect(figure(lines, /acknowledged writes lost: (\d+)/)).toBe(0);
    expect(figure(lines, /acknowledged writes: (\d+)/)).toBeGreaterThan(100);
    expect(figure(lines, /postgres: writes failed for (\d+) ms/)).toBeLessThan(2_000);
    expect(figure(lines, /reads failed for (\d+) ms/)).toBeLessThan(10_000);
    console.log(text.split("\n").filter((l) => !l.includes("[fault]")).join("\n"));
  }, 90_000);
});
