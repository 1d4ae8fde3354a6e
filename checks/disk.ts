/**
 * Disk space on self-managed nodes (`system.disk-space`): the file system holding each
 * Postgres server's and each Redis node's data directory, against
 * SELF_MANAGED_DISK_USED_PERCENT. A full disk is caught late otherwise: Postgres only fails
 * when it needs a new page or WAL segment, a Redis replica panics (the fault matrix).
 *
 * Where the data lives comes from the server itself, and is trusted only when this
 * process provably sees the same files:
 * - Postgres: `data_directory` and `pg_postmaster_start_time()` (the monitoring role has
 *   pg_read_all_settings through pg_monitor); the check reads `<data_directory>/postmaster.pid`
 *   here and measures only when its directory, port and start time are the server's.
 * - Redis: `INFO server` gives process_id, tcp_port and uptime; /proc/<pid> here must be a
 *   redis-server started then; its working directory (Redis chdirs to `dir`) is measured.
 * In a container (the dev stack) the same path on the host is another file system and
 * the pid another process: both proofs fail and the node is listed as not measured
 * (SKIP when none could be). On AWS the check does not exist: RDS FreeStorageSpace and
 * ElastiCache's own memory/disk alarms cover it.
 */
import { readFileSync, readlinkSync, statfsSync } from "node:fs";
import { join } from "node:path";
import type { StackOutputs } from "../components/contract/outputs";
import { SELF_MANAGED_DISK_USED_PERCENT } from "../components/thresholds/thresholds";
import { monitorTarget, withPg } from "./lib/postgres";
import { connectDeadlineMs, dataNodeOptions, info, withRedis } from "./lib/redis";
import type { Check, CheckContext, CheckFactory, CheckOutcome } from "./types";

export interface DiskUsage {
  node: string;
  path: string;
  usedPercent: number;
  freeBytes: number;
}

/** Percent used as df counts it: used / (used + available to unprivileged users) (pure). */
export function usedPercent(s: { blocks: number; bfree: number; bavail: number }): number {
  const used = s.blocks - s.bfree;
  const total = used + s.bavail;
  return total > 0 ? (100 * used) / total : 0;
}

const mib = (b: number) => `${Math.round(b / (1 << 20))} MiB`;

/**
 * The verdict from what was measured, what cannot be measured from here (`unmeasured`: in a
 * container) and which nodes did not answer (`unreachable`) (pure). Nothing measured
 * because no node answered is a FAIL, as for every check of a dead stack; nothing measured
 * while some node answered from elsewhere (a container) is a SKIP: the check cannot apply
 * there, and a node that is down is its own checks' FAIL.
 */
export function judgeDisk(measured: DiskUsage[], unmeasured: string[] = [], unreachable: string[] = [], levels = SELF_MANAGED_DISK_USED_PERCENT): CheckOutcome {
  const threshold = `warning > ${levels.warning}% used, critical > ${levels.critical}% used`;
  const notList = [...unreachable, ...unmeasured];
  const not = notList.length ? `; not measured: ${notList.join("; ")}` : "";
  if (measured.length === 0 && unreachable.length && unmeasured.length === 0) return { status: "FAIL", message: `no node answered to tell where its data lives: ${notList.join("; ")}`, threshold };
  if (measured.length === 0) return { status: "SKIP", message: `no node's data directory could be measured from here${not}`, threshold };
  const sorted = [...measured].sort((a, b) => b.usedPercent - a.usedPercent);
  const worst = sorted[0];
  const say = (u: DiskUsage) => `${u.node} ${u.usedPercent.toFixed(1)}% used (${mib(u.freeBytes)} free at ${u.path})`;
  const base = { measured: { value: Math.round(worst.usedPercent * 10) / 10, unit: "percent" }, threshold };
  const over = (lvl: number) => sorted.filter((u) => u.usedPercent > lvl);
  if (over(levels.critical).length) return { ...base, status: "FAIL", message: `disk nearly full: ${over(levels.critical).map(say).join(", ")}; writes fail when it is full${not}` };
  if (over(levels.warning).length) return { ...base, status: "WARN", message: `disk filling: ${over(levels.warning).map(say).join(", ")}${not}` };
  return { ...base, status: "PASS", message: `fullest: ${say(worst)}; ${measured.length} data directories measured${not}` };
}

function usageAt(node: string, path: string): DiskUsage {
  const s = statfsSync(path);
  return { node, path, usedPercent: usedPercent(s), freeBytes: s.bavail * s.bsize };
}

/** A Postgres server's data directory, when this host sees the server's own files; else why not. */
async function postgresDir(ctx: CheckContext, o: StackOutputs, name: string, at: { host: string; port: number }): Promise<{ path: string } | { why: string }> {
  const row = await withPg(ctx, monitorTarget(o, at, `Postgres ${name}`), async (c) =>
    (await c.query<{ dir: string; started: string; port: string }>("SELECT current_setting('data_directory') AS dir, floor(extract(epoch FROM pg_postmaster_start_time()))::bigint::text AS started, current_setting('port') AS port")).rows[0],
  );
  let lines: string[];
  try {
    lines = readFileSync(join(row.dir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return { why: `${name}: its data directory ${row.dir} is not on this host (in a container?)` };
  }
  // postmaster.pid: pid, data directory, start time (epoch seconds), port.
  if (lines[1] !== row.dir || lines[3]?.trim() !== row.port || Math.abs(Number(lines[2]) - Number(row.started)) > 1) return { why: `${name}: ${row.dir} here belongs to another server (in a container?)` };
  return { path: row.dir };
}

/** Clock ticks per second of /proc/<pid>/stat's start time: USER_HZ, 100 on every Linux this runs on. */
const USER_HZ = 100;

/** A Redis node's working directory (its `dir`), when its process runs on this host; else why not. */
async function redisDir(ctx: CheckContext, o: StackOutputs, node: { name: string; host: string; port: number }): Promise<{ path: string } | { why: string }> {
  const srv = await withRedis(ctx, node, dataNodeOptions(o, `Redis node ${node.name}`), (c) => info(c, "server"));
  const pid = Number(srv.process_id);
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const startTicks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const bootS = Number(/^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
    const startedS = bootS + startTicks / USER_HZ;
    const expectedS = Date.now() / 1000 - Number(srv.uptime_in_seconds);
    if (!comm.startsWith("redis-server") || Math.abs(startedS - expectedS) > 3) return { why: `${node.name}: pid ${pid} here is another process (in a container?)` };
    return { path: readlinkSync(`/proc/${pid}/cwd`) };
  } catch {
    return { why: `${node.name}: pid ${pid} is not a process on this host (in a container?)` };
  }
}

function diskCheck(o: StackOutputs): Check {
  const pg = [{ name: "primary", at: o.postgres.primary }, ...o.postgres.replicas.map((r) => ({ name: r.id, at: { host: r.host, port: r.port } }))];
  return {
    id: "system.disk-space",
    group: "system",
    title: "Disk space of every self-managed node's data directory",
    async run(ctx) {
      const measured: DiskUsage[] = [];
      const unmeasured: string[] = [];
      const unreachable: string[] = [];
      // Each node within the connect deadline (+ 0.5 s for its one query): one silent node
      // must not cost the check its whole timeout and hide what the others measured.
      const boundMs = connectDeadlineMs(ctx) + 500;
      const look = async (name: string, find: () => Promise<{ path: string } | { why: string }>) => {
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${boundMs} ms`)), boundMs)));
        try {
          const r = await Promise.race([find(), late]);
          if ("why" in r) unmeasured.push(r.why);
          else measured.push(usageAt(name, r.path));
        } catch (e) {
          // An unreachable node is its own checks' FAIL; here it is only not measured.
          unreachable.push(`${name}: ${(e as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      };
      await Promise.all([...pg.map((p) => look(`postgres ${p.name}`, () => postgresDir(ctx, o, p.name, p.at))), ...o.redis.nodes.map((n) => look(`redis ${n.name}`, () => redisDir(ctx, o, n)))]);
      return judgeDisk(measured, unmeasured, unreachable);
    },
  };
}

/** Self-managed platforms only: on AWS the services manage (and alarm on) their storage. */
export const diskChecks: CheckFactory = (o) => (o.platform === "aws" ? [] : [diskCheck(o)]);
