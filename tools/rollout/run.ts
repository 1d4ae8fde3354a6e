/**
 * status | advance | rollback: the rollout's three verbs over a flag backend, the smoke suite
 * (run in-process, the same runner as `npm run check`) and the history file.
 */
import type { StackOutputs } from "../../components/contract/outputs";
import { phaseOfState, PHASES, stateOf, type Phase } from "../../components/flags/phases";
import { runSuite, type SuiteReport } from "../../checks/suite";
import type { FlagBackend } from "./backend";
import { ROLLOUT_EXIT, RolloutInputError } from "./errors";
import { decideGate, type AlarmEvidence, type GateDecision } from "./gate";
import { appendStep, phaseStartedAt, readHistory, type Step } from "./history";

export interface RolloutContext {
  stack: string;
  outputs: StackOutputs;
  backend: FlagBackend;
  historyFile: string;
  who: string;
  log: (line: string) => void;
  /** Soak to require instead of the phase table's (non-production stacks only; the CLI enforces it). */
  soakSeconds?: number;
  reason?: string;
  now?: () => Date;
  /** @default runSuite(outputs, { hooks: [] }) */
  suite?: (outputs: StackOutputs) => Promise<SuiteReport>;
  phases?: readonly Phase[];
}

export interface RolloutResult {
  code: number;
  step?: Step;
  gate?: GateDecision;
}

function currentPhase(ctx: RolloutContext, state: { partitionedReads: number; partitionedWrites: number }): number {
  const i = phaseOfState(state, ctx.phases ?? PHASES);
  if (i === undefined) throw new RolloutInputError(`the flags are at writes ${state.partitionedWrites}% / reads ${state.partitionedReads}%, which no phase sets (edited by hand?); \`npm run rollout -- --stack ${ctx.stack} rollback\` returns to off`);
  return i;
}

function suiteEvidence(r: SuiteReport): Step["evidence"]["suite"] {
  return { overall: r.overall, counts: { ...r.counts }, startedAt: r.startedAt, notPassing: r.results.filter((x) => x.status !== "PASS").map((x) => ({ id: x.id, status: x.status, message: x.message })) };
}

const alarmEvidence = (a: AlarmEvidence): Step["evidence"]["alarms"] => ({ source: a.source, inAlarm: a.inAlarm, warningsInAlarm: a.warningsInAlarm, alarmedSince: a.alarmedSince });

export async function status(ctx: RolloutContext): Promise<RolloutResult> {
  const phases = ctx.phases ?? PHASES;
  const h = readHistory(ctx.historyFile, ctx.stack);
  const reading = await ctx.backend.read();
  const i = phaseOfState(reading.state, phases);
  ctx.log(`stack ${ctx.stack}: ${ctx.backend.describe()}`);
  ctx.log(`flags: partitionedWrites ${reading.state.partitionedWrites}%, partitionedReads ${reading.state.partitionedReads}% (${reading.detail})`);
  ctx.log(i === undefined ? "phase: none (the flags match no phase; rollback returns to off)" : `phase ${i}/${phases.length - 1}: ${phases[i].name}${i + 1 < phases.length ? `; next ${phases[i + 1].name} (${phases[i + 1].percentage}%) after ${phases[i].soakMinutes} min soak` : " (last)"}`);
  if (reading.rolledBackByAppConfig) ctx.log(`NOTE: ${reading.rolledBackByAppConfig}`);
  const since = phaseStartedAt(h);
  if (since) ctx.log(`phase started ${since}`);
  ctx.log(`history (${ctx.historyFile}): ${h.steps.length} step(s)`);
  for (const s of h.steps.slice(-10)) ctx.log(`  ${s.at} ${s.who} ${s.action} ${s.fromPhase} -> ${s.toPhase}${s.durationMs !== null ? ` in ${s.durationMs} ms` : ""}${s.action === "refused" ? `: ${s.gate.filter((g) => !g.ok).map((g) => g.id).join(", ")}` : ""}`);
  return { code: ROLLOUT_EXIT.ok };
}

export async function advance(ctx: RolloutContext): Promise<RolloutResult> {
  const phases = ctx.phases ?? PHASES;
  const t0 = performance.now();
  const now = ctx.now ?? (() => new Date());
  let h = readHistory(ctx.historyFile, ctx.stack);
  const reading = await ctx.backend.read();
  if (reading.rolledBackByAppConfig) ctx.log(`NOTE: ${reading.rolledBackByAppConfig}`);
  const from = currentPhase(ctx, reading.state);
  const since = phaseStartedAt(h);
  ctx.log(`gate for ${phases[from].name} -> ${phases[from + 1]?.name ?? "(none)"}: running the smoke suite and reading the alarms`);
  const [report, alarms] = await Promise.all([(ctx.suite ?? ((o) => runSuite(o, { hooks: [] })))(ctx.outputs), ctx.backend.alarms(since ? new Date(since) : null)]);
  const gate = decideGate({ phases, current: from, phaseStartedAt: since, now: now(), soakSeconds: ctx.soakSeconds, suite: report, alarms, inFlight: reading.inFlight });
  for (const c of gate.checks) ctx.log(`  ${c.ok ? "ok  " : "FAIL"} ${c.id}: ${c.detail}`);
  const base = { who: ctx.who, at: now().toISOString(), fromPhase: phases[from].name, gate: gate.checks, evidence: { suite: suiteEvidence(report), alarms: alarmEvidence(alarms) }, reason: ctx.reason ?? null };
  if (!gate.ok) {
    const step: Step = { ...base, action: "refused", toPhase: phases[from + 1]?.name ?? phases[from].name, flags: reading.state, durationMs: null, target: ctx.backend.describe() };
    h = appendStep(ctx.historyFile, h, step);
    ctx.log(`refused: ${gate.checks.filter((c) => !c.ok).map((c) => c.id).join(", ")}; the flags stay at ${phases[from].name}`);
    return { code: ROLLOUT_EXIT.refused, step, gate };
  }
  const to = phases[from + 1];
  const target = await ctx.backend.write(stateOf(to), to, "advance");
  const step: Step = { ...base, at: now().toISOString(), action: "advance", toPhase: to.name, flags: stateOf(to), durationMs: Math.round(performance.now() - t0), target };
  appendStep(ctx.historyFile, h, step);
  ctx.log(`advanced to ${to.name} (${to.percentage}%): ${target}`);
  return { code: ROLLOUT_EXIT.ok, step, gate };
}

/** Both flags off, no gate: the one command an operator runs when the decision table says roll back. */
export async function rollback(ctx: RolloutContext): Promise<RolloutResult> {
  const phases = ctx.phases ?? PHASES;
  const t0 = performance.now();
  const now = ctx.now ?? (() => new Date());
  const h = readHistory(ctx.historyFile, ctx.stack);
  let fromName = "unknown";
  let alarms: AlarmEvidence = { source: "not read", available: false, inAlarm: [], warningsInAlarm: [], alarmedSince: [] };
  try {
    const reading = await ctx.backend.read();
    const i = phaseOfState(reading.state, phases);
    fromName = i === undefined ? `writes ${reading.state.partitionedWrites}% / reads ${reading.state.partitionedReads}%` : phases[i].name;
  } catch (e) {
    // A broken document is exactly when a rollback must still work: it is overwritten.
    if (!(e instanceof RolloutInputError)) throw e;
    ctx.log(`the current flag document is unreadable (${e.message.split("\n")[0]}); writing both flags off`);
  }
  const off = phases[0];
  const target = await ctx.backend.write(stateOf(off), off, "rollback");
  const durationMs = Math.round(performance.now() - t0);
  // Evidence after the flag is off: reading alarms must not delay the rollback.
  try {
    alarms = await ctx.backend.alarms(null);
  } catch (e) {
    alarms = { ...alarms, source: `alarms not read: ${(e as Error).message.split("\n")[0]}` };
  }
  const step: Step = { action: "rollback", who: ctx.who, at: now().toISOString(), fromPhase: fromName, toPhase: off.name, flags: stateOf(off), gate: [], evidence: { suite: null, alarms: alarmEvidence(alarms) }, durationMs, target, reason: ctx.reason ?? null };
  appendStep(ctx.historyFile, h, step);
  ctx.log(`rolled back from ${fromName} to ${off.name} in ${durationMs} ms: ${target}`);
  return { code: ROLLOUT_EXIT.ok, step };
}
