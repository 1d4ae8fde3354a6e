/**
 * Reads CONFIG GET * off a real Redis: a throw-away redis-server from the Debian package,
 * on a Unix socket only (no TCP port), in a 0700 folder of its own. Used by generate.ts
 * and by the test that fails when the committed catalogue and the server disagree.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openRedis } from "../../clients/redis";

export async function readLiveRedisCatalogue(): Promise<{ serverVersion: string; names: string[] }> {
  const root = mkdtempSync(join(tmpdir(), "redis-catalogue-"));
  const socket = join(root, "redis.sock");
  const proc = spawn("redis-server", ["--port", "0", "--unixsocket", socket, "--unixsocketperm", "700", "--dir", root, "--save", "", "--appendonly", "no", "--daemonize", "no"], { stdio: "ignore" });
  const client = openRedis({ path: socket }, { connectTimeoutMs: 2000, commandTimeoutMs: 3000 });
  try {
    // Wait for the socket (bounded: 15 s), then ask.
    const end = Date.now() + 15_000;
    while (client.status !== "ready") {
      if (Date.now() > end) throw new Error(`redis-server did not answer on ${socket} within 15 s`);
      await client.connect().catch(() => new Promise((r) => setTimeout(r, 100)));
    }
    const info = await client.info("server");
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? "unknown";
    const flat = (await client.call("CONFIG", "GET", "*")) as string[];
    const names = flat.filter((_, i) => i % 2 === 0).sort();
    return { serverVersion: version, names };
  } finally {
    client.disconnect();
    proc.kill("SIGKILL");
    await new Promise((r) => (proc.exitCode !== null ? r(undefined) : proc.once("exit", r)));
    rmSync(root, { recursive: true, force: true });
  }
}
