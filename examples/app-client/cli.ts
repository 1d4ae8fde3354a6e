/**
 * The example application's command line.
 *
 *   npx tsx examples/app-client/cli.ts run   --outputs <outputs.json> [--seconds 5]
 *   npx tsx examples/app-client/cli.ts drill redis            --outputs <outputs.json> [--inject "<command>"]
 *   npx tsx examples/app-client/cli.ts drill postgres-replica --outputs <outputs.json> [--inject "<command>"]
 *
 * `drill` keeps writing (Redis: SET + WAIT 1; Postgres: INSERT through the read-write pool,
 * SELECT through the read-only pool) while a fault is injected by the operator's tooling
 * (by default the sandbox's or dev stack's own drill next to the outputs file), then prints
 * from the application's side how long its writes failed and how many acknowledged writes
 * were lost. Exit 0: recovered with nothing acknowledged lost; 1: not; 2: bad usage or input.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { appConfig, AppConfigError, type AppConfig } from "./config";
import { ensurePgTable, failureWindowMs, openPool, openRedis, pgLost, pgReadLoop, pgWriteLoop, redisLost, redisWriteLoop, type Loop } from "./app";

const FAULTS = ["redis", "postgres-replica"] as const;
type Fault = (typeof FAULTS)[number];

class UsageError extends Error {}

function parseArgs(argv: string[]): { command: "run" | "drill"; fault?: Fault; outputs: string; inject?: string; seconds: number } {
  const problems: string[] = [];
  const [command, ...rest] = argv;
  if (command !== "run" && command !== "drill") problems.push(`command: "${command ?? ""}" is not one of run, drill`);
  let fault: Fault | undefined;
  if (command === "drill") {
    const f = rest.shift();
    if (!(FAULTS as readonly string[]).includes(f ?? "")) problems.push(`drill: "${f ?? ""}" is not one of ${FAULTS.join(", ")}`);
    else fault = f as Fault;
  }
  const opts: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const k = rest[i];
    if (!/^--(outputs|inject|seconds)$/.test(k)) problems.push(`${k}: unknown option (expected --outputs, --inject, --seconds)`);
    else if (rest[i + 1] === undefined) problems.push(`${k}: expected a value`);
    else opts[k.slice(2)] = rest[++i];
  }
  if (!opts.outputs) problems.push("--outputs: expected the stack outputs JSON file (the sandbox's or dev stack's outputs.json, or `pulumi stack output --json --show-secrets`)");
  const seconds = opts.seconds === undefined ? 5 : Number(opts.seconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) problems.push("--seconds: expected a number of seconds from 0 to 3600");
  if (problems.length) throw new UsageError(problems.join("\n"));
  return { command: command as "run" | "drill", fault, outputs: opts.outputs, inject: opts.inject, seconds };
}

function loadConfig(file: string): AppConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`--outputs: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`--outputs: ${file} is not JSON`);
  }
  try {
    return appConfig(doc, file);
  } catch (e) {
    if (e instanceof AppConfigError) throw new UsageError(e.message);
    throw e;
  }
}

/** The operator's drill beside the outputs file: what breaks the tier while the application writes. */
export function defaultInjection(cfg: AppConfig, outputsFile: string, fault: Fault): string {
  const drill = fault === "redis" ? "redis-failover" : "postgres-replica-down";
  const dir = JSON.stringify(dirname(outputsFile));
  if (cfg.platform === "sandbox") return `npm run -s sandbox -- drill ${drill} --dir ${dir}`;
  if (cfg.platform === "docker") return `npm run -s dev-stack -- drill ${drill} --dir ${dir}`;
  throw new UsageError(`--inject: no default fault injection on ${cfg.platform}; give the command that breaks the tier (e.g. aws elasticache test-failover ...)`);
}

function runInjection(command: string, log: (l: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const p = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "pipe"] });
    const relay = (d: Buffer) => String(d).split("\n").filter(Boolean).forEach((l) => log(`  [fault] ${l}`));
    p.stdout.on("data", relay);
    p.stderr.on("data", relay);
    // "close", not "exit": the fault's last lines may still be in the pipe when it exits.
    p.on("close", (code) => resolve(code ?? 1));
  });
}

/** Debian's python3 with python3-redis (scripts/install-system-packages.sh): a second client the project did not write. */
const PYTHON = "/usr/bin/python3";
export const redisPyAvailable = () => existsSync(PYTHON) && existsSync("/usr/lib/python3/dist-packages/redis");

interface RedisPyResult {
  client: string;
  acked: number;
  lost: number;
  failures: number;
  errors: Record<string, number>;
  windowMs: number;
}

/** Starts redis_py_client.py writing beside ioredis; stop() ends it (SIGTERM) and returns its figures. */
function startRedisPy(outputsFile: string, prefix: string): { stop: () => Promise<RedisPyResult | string> } {
  const p = spawn(PYTHON, [join(__dirname, "redis_py_client.py"), outputsFile, prefix], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout.on("data", (d) => (out += String(d)));
  p.stderr.on("data", (d) => (err += String(d)));
  // "close", not "exit": the figures line is its last write, and may still be in the pipe when it exits.
  const exited = new Promise<number | null>((r) => p.on("close", (code) => r(code)));
  return {
    stop: async () => {
      p.kill("SIGTERM");
      const code = await exited;
      const last = out.trim().split("\n").at(-1) ?? "";
      try {
        return JSON.parse(last) as RedisPyResult;
      } catch {
        return `redis-py exited ${code}: ${(err.trim().split("\n").at(-1) ?? "").slice(0, 200)}`;
      }
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorsOf = (l: Loop) => [...l.timeline.errors.entries()].map(([k, n]) => `${k} x${n}`).join(", ") || "none";

async function drill(cfg: AppConfig, fault: Fault, inject: string, log: (l: string) => void, outputsFile: string): Promise<boolean> {
  const run = randomBytes(4).toString("hex");
  // Sentinel platforms: redis-py follows the same failover beside ioredis, when installed.
  const py = fault === "redis" && cfg.redis.sentinels.length > 0 && redisPyAvailable() ? startRedisPy(outputsFile, `app-client:${run}:py:`) : null;
  const redis = fault === "redis" ? openRedis(cfg.redis) : null;
  const rw = fault === "postgres-replica" ? openPool(cfg.readWrite) : null;
  const ro = fault === "postgres-replica" ? openPool(cfg.readOnly) : null;
  try {
    if (rw) await ensurePgTable(rw);
    const loops: Record<string, Loop> = redis ? { "redis writes": redisWriteLoop(redis, `app-client:${run}:`) } : { "postgres writes": pgWriteLoop(rw!, run), "postgres reads (read-only pool)": pgReadLoop(ro!) };
    await sleep(1500);
    log(`writing for 1.5 s before the fault (${Object.entries(loops).map(([k, l]) => `${k}: ${l.timeline.events.length} ok`).join("; ")}); injecting: ${inject}`);
    const code = await runInjection(inject, log);
    if (code !== 0) log(`the fault injection exited ${code}`);
    // Let the application show it recovered on its own.
    await sleep(2000);
    await Promise.all(Object.values(loops).map((l) => l.stop()));
    let ok = code === 0;
    for (const [name, l] of Object.entries(loops)) {
      const recovered = l.timeline.events.at(-1)?.ok === true;
      ok &&= recovered;
      const reconnects = l.timeline.reconnects ? `; reconnected a closed client ${l.timeline.reconnects} time(s)` : "";
      log(`${name}: failed for ${failureWindowMs(l.timeline.events)} ms (${l.timeline.failures} failed attempts: ${errorsOf(l)})${reconnects}${recovered ? "" : "; NOT recovered at the end"}`);
    }
    if (redis) {
      const l = loops["redis writes"];
      const lost = await redisLost(redis, l.timeline.acknowledged);
      log(`redis: writes failed for ${failureWindowMs(l.timeline.events)} ms, acknowledged writes: ${l.timeline.acknowledged.length}, acknowledged writes lost: ${lost}`);
      ok &&= lost === 0;
      if (py) {
        const r = await py.stop();
        if (typeof r === "string") {
          log(r);
          ok = false;
        } else {
          const errs = Object.entries(r.errors).map(([k, n]) => `${k} x${n}`).join(", ") || "none";
          log(`${r.client}: writes failed for ${r.windowMs} ms (${r.failures} failed attempts: ${errs}), acknowledged writes: ${r.acked}, acknowledged writes lost: ${r.lost}`);
          ok &&= r.lost === 0 && r.acked > 0;
        }
      }
    } else {
      const l = loops["postgres writes"];
      const lost = await pgLost(rw!, run, l.timeline.acknowledged);
      const reads = loops["postgres reads (read-only pool)"];
      log(`postgres: writes failed for ${failureWindowMs(l.timeline.events)} ms, reads failed for ${failureWindowMs(reads.timeline.events)} ms, acknowledged writes: ${l.timeline.acknowledged.length}, acknowledged writes lost: ${lost}`);
      ok &&= lost === 0;
    }
    return ok;
  } finally {
    await py?.stop();
    redis?.disconnect();
    await Promise.all([rw?.end(), ro?.end()]);
  }
}

async function runLoop(cfg: AppConfig, seconds: number, log: (l: string) => void): Promise<boolean> {
  const run = randomBytes(4).toString("hex");
  const redis = openRedis(cfg.redis);
  const rw = openPool(cfg.readWrite);
  try {
    await ensurePgTable(rw);
    const r = redisWriteLoop(redis, `app-client:${run}:`);
    const w = pgWriteLoop(rw, run);
    await sleep(seconds * 1000);
    await Promise.all([r.stop(), w.stop()]);
    const rl = await redisLost(redis, r.timeline.acknowledged);
    const pl = await pgLost(rw, run, w.timeline.acknowledged);
    log(`redis: ${r.timeline.acknowledged.length} acknowledged writes, ${r.timeline.failures} failed (${errorsOf(r)}), lost ${rl}`);
    log(`postgres: ${w.timeline.acknowledged.length} committed writes, ${w.timeline.failures} failed (${errorsOf(w)}), lost ${pl}`);
    return rl === 0 && pl === 0 && r.timeline.acknowledged.length > 0 && w.timeline.acknowledged.length > 0;
  } finally {
    redis.disconnect();
    await rw.end();
  }
}

export async function main(argv: string[], log: (l: string) => void = (l) => console.log(l)): Promise<number> {
  try {
    const a = parseArgs(argv);
    const cfg = loadConfig(a.outputs);
    if (a.command === "run") return (await runLoop(cfg, a.seconds, log)) ? 0 : 1;
    const inject = a.inject ?? defaultInjection(cfg, a.outputs, a.fault!);
    return (await drill(cfg, a.fault!, inject, log, a.outputs)) ? 0 : 1;
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(e.message);
      return 2;
    }
    console.error(`app-client: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) void main(process.argv.slice(2)).then((code) => process.exit(code));
