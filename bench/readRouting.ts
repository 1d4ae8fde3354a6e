/**
 * `npm run bench -- read-routing`: read throughput through PgBouncer's read-only pool on
 * a sandbox of its own (the dev settings with `--replicas` Postgres replicas, default 2, +
 * PgBouncer, temp folder), with every replica healthy, one down (a warm pool, and a cold
 * one that must log in again), and all down (the fallback), first with the read router and then without it (the fixed host list). With
 * one replica "one down" is "all down" and is not run. Clients read in a loop
 * (sandbox/readLoop.ts) across the break (its failures and longest gap), then a run that
 * starts one router interval + 1.5 s after it measures the settled state.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readOnlyDatabaseName } from "../components/pgbouncer/render";
import { deepMerge, parseSettings } from "../components/settings";
import { readStackFile } from "../components/settings/stackFile";
import { startSandbox, stopSandbox } from "../sandbox/lifecycle";
import { restartPostgresProcess, waitPostgresHealthy } from "../sandbox/postgres";
import { sleep, stopProcess } from "../sandbox/procs";
import { withPg } from "../components/clients/postgres";
import { PGBOUNCER_NAME } from "../sandbox/pgbouncer";
import { readFigures } from "../sandbox/readLoop";
import { readPoolLoop, routerUntil } from "../sandbox/readRoutingDrill";
import type { SandboxState } from "../sandbox/state";

export interface RunFigures {
  router: boolean;
  /** "one down, cold pool": the same as "one down", then PgBouncer's RECONNECT of the read-only pool, so it must log in again with a replica dead. */
  scenario: "all healthy" | "one down" | "one down, cold pool" | "all down";
  readsPerSecond: number;
  failed: number;
  longestGapMs: number;
  /** Share of successful reads served by the primary, percent. */
  onPrimaryPercent: number;
  /**
   * The break itself (null with nothing broken): the same clients reading from 0.5 s
   * before the stop until the settled run begins (one interval + 1.5 s after it); reads
   * failed, and the longest time any client went without a successful read.
   */
  atBreak: { failed: number; longestGapMs: number } | null;
}

async function measure(state: SandboxState, clients: number, seconds: number): Promise<Omit<RunFigures, "router" | "scenario" | "atBreak">> {
  const loops = Array.from({ length: clients }, () => readPoolLoop(state));
  await sleep(seconds * 1000);
  const all = await Promise.all(loops.map((l) => l.stop()));
  const figs = all.map((reads) => readFigures(reads));
  const ok = figs.reduce((s, f) => s + f.ok, 0);
  const onPrimary = figs.reduce((s, f) => s + f.servedBy.filter(([w]) => w === "primary").reduce((a, [, n]) => a + n, 0), 0);
  return { readsPerSecond: Math.round(ok / seconds), failed: figs.reduce((s, f) => s + f.failed, 0), longestGapMs: Math.max(...figs.map((f) => f.longestGapMs)), onPrimaryPercent: ok ? Math.round((100 * onPrimary) / ok) : 0 };
}

/** RECONNECT on PgBouncer's admin console: the read-only pool closes its server connections as they are released and logs in again. */
async function reconnectPool(state: SandboxState): Promise<void> {
  const pb = state.processes.find((p) => p.name === PGBOUNCER_NAME)!;
  await withPg({ host: pb.host, port: pb.port, user: state.settings.pgbouncer.adminUser, password: state.secrets.pgbouncerAdmin, database: "pgbouncer" }, (c) => c.query(`RECONNECT ${readOnlyDatabaseName(state.settings.postgres.databaseName)}`), 5000);
}

export interface ReadRoutingOptions {
  clients: number;
  seconds: number;
  /** Postgres replicas in the bench's sandbox. @default 2 */
  replicas?: number;
  /** The router's interval, ms (its connect bound then at most half of it). @default readRouting.intervalMs of the settings */
  intervalMs?: number;
  log: (l: string) => void;
}

async function runOne(router: boolean, o: ReadRoutingOptions): Promise<RunFigures[]> {
  const raw = readStackFile("dev").raw;
  const replicas = o.replicas ?? 2;
  const interval = o.intervalMs === undefined ? {} : { intervalMs: o.intervalMs, connectTimeoutMs: Math.min(1000, Math.floor(o.intervalMs / 2)) };
  const settings = parseSettings({
    ...raw,
    source: `${raw.source}, ${replicas} replica(s)${router ? (o.intervalMs === undefined ? "" : `, interval ${o.intervalMs} ms`) : ", no router"} (bench)`,
    values: deepMerge(raw.values, { postgres: { replicas }, readRouting: { enabled: router, ...interval } }),
  });
  const dir = mkdtempSync(join(tmpdir(), "bench-read-routing-"));
  const out: RunFigures[] = [];
  try {
    const { state } = await startSandbox({ dir, settings, parts: ["postgres", "pgbouncer"] });
    const settle = settings.readRouting.intervalMs + 1500;
    const names = state.postgres!.replicas.map((r) => r.name);
    const proc = (n: string) => state.processes.find((p) => p.name === n)!;
    const scenarios: [RunFigures["scenario"], string[]][] =
      names.length > 1 ? [["all healthy", []], ["one down", names.slice(0, 1)], ["one down, cold pool", names.slice(0, 1)], ["all down", names]] : [["all healthy", []], ["all down", names]];
    for (const [scenario, down] of scenarios) {
      let atBreak: RunFigures["atBreak"] = null;
      if (scenario === "one down, cold pool") {
        for (const n of down) await stopProcess(proc(n));
        await sleep(settle);
        await reconnectPool(state);
      } else if (down.length) {
        const loops = Array.from({ length: o.clients }, () => readPoolLoop(state));
        await sleep(500);
        await Promise.all(down.map((n) => stopProcess(proc(n))));
        await sleep(settle);
        const figs = (await Promise.all(loops.map((l) => l.stop()))).map((reads) => readFigures(reads));
        atBreak = { failed: figs.reduce((n, f) => n + f.failed, 0), longestGapMs: Math.max(...figs.map((f) => f.longestGapMs)) };
      }
      const f = { router, scenario, ...(await measure(state, o.clients, o.seconds)), atBreak };
      o.log(`${router ? "router   " : "no router"}  ${scenario.padEnd(19)}  ${atBreak ? `at the break: ${atBreak.failed} failed, longest gap ${atBreak.longestGapMs} ms; then ` : ""}${f.readsPerSecond} reads/s, ${f.failed} failed, longest gap ${f.longestGapMs} ms, ${f.onPrimaryPercent}% on the primary`);
      out.push(f);
      for (const n of down) await restartPostgresProcess(state, proc(n));
      await waitPostgresHealthy(state, 30_000);
      if (router) await routerUntil(state, (h) => h.length === names.length, 3 * settings.readRouting.intervalMs + 5000);
      else await sleep(settle);
    }
  } finally {
    await stopSandbox(dir, { purge: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function benchReadRouting(o: ReadRoutingOptions): Promise<RunFigures[]> {
  return [...(await runOne(true, o)), ...(await runOne(false, o))];
}

export function formatReadRouting(rows: RunFigures[]): string {
  const head = "| scenario | router: at the break failed / longest gap | then reads/s | failed | longest gap | on primary | no router: at the break failed / longest gap | then reads/s | failed | longest gap | on primary |\n|---|---|---|---|---|---|---|---|---|---|---|";
  const lines = (["all healthy", "one down", "one down, cold pool", "all down"] as const).filter((sc) => rows.some((r) => r.scenario === sc)).map((sc) => {
    const a = rows.find((r) => r.router && r.scenario === sc)!;
    const b = rows.find((r) => !r.router && r.scenario === sc)!;
    const cell = (r: RunFigures) => `${r.atBreak ? `${r.atBreak.failed} / ${r.atBreak.longestGapMs} ms` : "-"} | ${r.readsPerSecond} | ${r.failed} | ${r.longestGapMs} ms | ${r.onPrimaryPercent}%`;
    return `| ${sc} | ${cell(a)} | ${cell(b)} |`;
  });
  return [head, ...lines].join("\n");
}
