/**
 * The switchover drill on a running sandbox: advance phase by phase to 25% through the gate,
 * break something (stop the dual-write trigger of a partition pair, or stop a Postgres
 * replica), watch the gate refuse the next phase, roll back with one call, and measure:
 * how long the refusing gate took, and how long the rollback took from the command's start
 * to the document reading "off" where the application reads it. The sandbox is repaired
 * afterwards (trigger enabled again; a stopped replica needs `npm run sandbox -- up`).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { runSuite } from "../../checks/suite";
import { withPg } from "../../components/clients/postgres";
import { PHASES } from "../../components/flags/phases";
import { ms, proc, requireState, type Log } from "../../sandbox/drillKit";
import { buildOutputs } from "../../sandbox/outputs";
import { PRIMARY_NAME, superuserTarget } from "../../sandbox/postgres";
import { sleep, stopProcess } from "../../sandbox/procs";
import type { Step } from "./history";
import { localBackend, readFlagFile } from "./local";
import { advance, rollback, type RolloutContext } from "./run";

export type DrillBreak = "dual-write-trigger" | "replica";

export interface SwitchoverDrillOptions {
  breakWith: DrillBreak;
  /** Phase to reach before breaking. @default 4 (phase-25) */
  reach?: number;
  /** Soak between phases, seconds (the gate proves it from the history). @default 1 */
  soakSeconds?: number;
  /** Whether a refused advance before the break may be retried (e.g. only load-sensitive checks refused). @default never */
  retryIf?: (step: Step) => boolean;
  /** @default <dir>/flags/rollout-history.json (the default beside the flag file) */
  historyFile?: string;
}

export interface SwitchoverDrillResult {
  ok: boolean;
  reachedPhase: string;
  refusedBy: string[];
  /** Break to the gate's refusal recorded, ms (includes the soak wait and the suite run). */
  breakToRefusalMs: number;
  /** The refusing advance: suite + alarms + decision + history write, ms. */
  gateMs: number;
  /** Rollback command: start to flag written, ms. */
  rollbackMs: number;
  /** Rollback command start to the application's read of the file returning off, ms. */
  rollbackVisibleMs: number;
  steps: Step[];
}

export async function switchoverDrill(dir: string, log: Log, o: SwitchoverDrillOptions): Promise<SwitchoverDrillResult> {
  const state = requireState(dir, "pgbouncer");
  const outputs = buildOutputs(state);
  if (!outputs?.application.flags?.file) throw new Error(`the sandbox in ${dir} has no outputs with a flag file`);
  const file = outputs.application.flags.file;
  const reach = o.reach ?? 4;
  const soak = o.soakSeconds ?? 1;
  const steps: Step[] = [];
  const ctx: RolloutContext = {
    stack: outputs.environment,
    outputs,
    backend: localBackend(file),
    historyFile: o.historyFile ?? join(dirname(file), "rollout-history.json"),
    who: "switchover-drill",
    log,
    soakSeconds: soak,
    reason: `drill: break ${o.breakWith}`,
    // Bounded so a broken topology is judged in seconds, not the default minute.
    suite: (out) => runSuite(out, { hooks: [], deadlineMs: 20_000, timeoutMs: 3_000 }),
  };
  const waitSoak = () => sleep(soak * 1000 + 50);

  if (readFlagFile(file).state.partitionedReads !== 0) {
    log("flags are not off: rolling back first");
    steps.push((await rollback(ctx)).step!);
  }
  for (let attempts = 0; readFlagFile(file).state.partitionedReads < PHASES[reach].percentage; ) {
    await waitSoak();
    const r = await advance(ctx);
    steps.push(r.step!);
    if (r.code !== 0) {
      if (++attempts > 3 || !o.retryIf?.(r.step!)) throw new Error(`the gate refused ${r.step!.toPhase} before anything was broken: ${r.gate!.checks.filter((c) => !c.ok).map((c) => `${c.id} (${c.detail})`).join("; ")}`);
      log("refused for a load-sensitive check only; retrying");
    }
  }
  const reachedPhase = PHASES[reach].name;
  log(`reached ${reachedPhase}; breaking: ${o.breakWith}`);

  const primary = proc(state, PRIMARY_NAME);
  const db = state.settings.postgres.databaseName;
  const legacy = state.settings.postgres.partitionPairs[0].legacy;
  const tBreak = performance.now();
  if (o.breakWith === "dual-write-trigger") {
    await withPg(superuserTarget(state, primary, db), (c) => c.query(`ALTER TABLE ${legacy} DISABLE TRIGGER USER`), 5_000);
  } else {
    const replica = state.postgres?.replicas[0];
    if (!replica) throw new Error("the sandbox has no Postgres replica to stop");
    await stopProcess(proc(state, replica.name));
  }
  let refusal: Awaited<ReturnType<typeof advance>>;
  let rb: Awaited<ReturnType<typeof rollback>>;
  let visibleMs = -1;
  try {
    await waitSoak();
    const tGate = performance.now();
    refusal = await advance(ctx);
    const gateMs = ms(tGate);
    const breakToRefusalMs = ms(tBreak);
    steps.push(refusal.step!);
    const refusedBy = refusal.code === 0 ? [] : refusal.gate!.checks.filter((c) => !c.ok).map((c) => c.id);
    log(`gate ${refusal.code === 0 ? "OPENED (the drill failed)" : `refused in ${gateMs} ms (${breakToRefusalMs} ms after the break): ${refusedBy.join(", ")}`}`);

    const tRollback = performance.now();
    rb = await rollback(ctx);
    // What an application sees: the document at its path.
    while (readFlagFile(file).state.partitionedReads !== 0 && ms(tRollback) < 10_000) await sleep(5);
    visibleMs = ms(tRollback);
    steps.push(rb.step!);
    log(`rolled back in ${rb.step!.durationMs} ms; the application's file read off ${visibleMs} ms after the command started`);
    const off = readFlagFile(file).state;
    return {
      ok: refusal.code === 1 && rb.code === 0 && off.partitionedReads === 0 && off.partitionedWrites === 0,
      reachedPhase,
      refusedBy,
      breakToRefusalMs,
      gateMs,
      rollbackMs: rb.step!.durationMs ?? -1,
      rollbackVisibleMs: visibleMs,
      steps,
    };
  } finally {
    if (o.breakWith === "dual-write-trigger") {
      await withPg(superuserTarget(state, primary, db), (c) => c.query(`ALTER TABLE ${legacy} ENABLE TRIGGER USER`), 5_000).catch((e: Error) => log(`could not enable the trigger again: ${e.message}`));
      log(`repaired: triggers on ${legacy} enabled again`);
    } else {
      log("repair: `npm run sandbox -- up` starts the replica again");
    }
    if (!existsSync(file)) log(`note: ${file} is missing`);
  }
}
