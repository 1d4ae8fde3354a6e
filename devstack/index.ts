/**
 * The dev stack, run for real: evaluate the program for the stack under mocks (as the
 * offline review does), take the Docker resources it registers, create them on a real
 * engine, apply its Postgres roles, write the stack's outputs (the same contract).
 */
import { randomInt } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseStackOutputs, type StackOutputs } from "../components/contract/outputs";
import { loadStackSettings } from "../components/settings/stackFile";
import { demoSchemaSql, SANDBOX_ROLES } from "../sandbox/schema";
import { runProgram, type ProgramRun } from "../tools/evaluate/program";
import { applyPlan, applyPostgres, removeLabelled, type ApplyResult, type Log } from "./apply";
import { connectEngine, stopStartedPodman, type Engine } from "./engine";
import { DIR_CONFIG_KEY, DIR_CONFIG_NAMESPACE } from "./dir";
import { hostFolderProblems, purgeStackDir, recordHostFolders, removeHostFolders } from "./hostFolders";
import { ensureImages, type ImageResult } from "./images";
import { planFromRun, type DevPlan } from "./plan";
import { pgProviderTarget, postgresStatements } from "./postgresql";
import { openPg } from "../components/clients/postgres";
import { heartbeatDdl } from "../checks/lib/heartbeat";

export const DEFAULT_STACK = "dev";
export { defaultDir } from "./dir";
export const outputsPath = (dir: string) => join(dir, "outputs.json");
const secretsPath = (dir: string) => join(dir, "secrets.json");

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Real passwords for the program's random:RandomPassword resources, kept (0600) in the
 * dev stack's folder so a second `up` renders the same configs (as Pulumi state would).
 */
function passwordState(dir: string): { state: (type: string, name: string, inputs: Record<string, unknown>) => Record<string, unknown> | undefined; save: () => void } {
  const file = secretsPath(dir);
  const kept: Record<string, string> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  let changed = false;
  return {
    state(type, name, inputs) {
      if (type !== "random:index/randomPassword:RandomPassword") return undefined;
      if (!kept[name]) {
        const n = Math.max(16, Number(inputs.length ?? 32));
        // Letters and digits only: the components' renderers accept these everywhere.
        kept[name] = "Aa1" + Array.from({ length: n - 3 }, () => ALNUM[randomInt(ALNUM.length)]).join("");
        changed = true;
      }
      return { result: kept[name] };
    },
    save() {
      if (!changed) return;
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(file, JSON.stringify(kept, null, 1), { mode: 0o600 });
      chmodSync(file, 0o600);
    },
  };
}

export interface Evaluated {
  run: ProgramRun;
  plan: DevPlan;
}

/** Runs the program for the stack under mocks and plans its Docker resources. */
export async function evaluate(stack: string, dir: string, overrides?: Record<string, unknown>): Promise<Evaluated> {
  const pw = passwordState(dir);
  // The program binds its host folders under this folder (devstack/dir.ts), so they follow --dir.
  const run = await runProgram({ stack, overrides: { ...overrides, [`${DIR_CONFIG_NAMESPACE}:${DIR_CONFIG_KEY}`]: resolve(dir) }, state: pw.state });
  if (run.outputs.platform !== "docker") throw new Error(`stack ${stack} has platform "${run.outputs.platform}"; the dev-stack runner runs platform docker stacks`);
  const plan = planFromRun(run);
  const outside = hostFolderProblems(plan, dir);
  if (outside.length) throw new Error(`stack ${stack}: ${outside.join("; ")}`);
  pw.save();
  return { run, plan };
}

export interface UpResult {
  engine: Pick<Engine, "socket" | "kind" | "startedHere">;
  images: ImageResult[];
  apply: ApplyResult;
  outputs: StackOutputs;
  outputsFile: string;
  ms: number;
}

/** The demo schema (as the sandbox seeds it), once, so the partition checks judge real tables. */
async function seedDemoSchema(stack: string, outputs: StackOutputs, appPassword: string, log: Log): Promise<void> {
  const s = loadStackSettings(stack);
  const c = openPg({ host: outputs.postgres.primary.host, port: outputs.postgres.primary.port, user: SANDBOX_ROLES.app, password: appPassword, database: outputs.postgres.database }, { connectTimeoutMs: 5000 });
  await c.connect();
  try {
    const first = s.postgres.partitionPairs[0];
    if (first && (await c.query("SELECT to_regclass($1) AS t", [first.legacy])).rows[0].t) return;
    for (const sql of demoSchemaSql(s, { now: new Date() })) await c.query(sql);
    log(`  seeded    demo schema (${s.postgres.partitionPairs.length} partition pairs)`);
  } finally {
    await c.end();
  }
}

export async function devstackUp(o: { stack: string; dir: string; images?: "build" | "pull"; overrides?: Record<string, unknown>; log: Log }): Promise<UpResult> {
  const t0 = performance.now();
  const { run, plan } = await evaluate(o.stack, o.dir, o.overrides);
  const engine = await connectEngine();
  o.log(`engine: ${engine.kind} at ${engine.socket}${engine.startedHere ? " (podman service started by the runner)" : ""}`);
  const images = await ensureImages(engine.docker, plan.images, o.images ?? (engine.kind === "podman" ? "build" : "pull"), o.log);
  for (const i of images) o.log(`  image     ${i.ref}: ${i.outcome} (${(i.ms / 1000).toFixed(1)} s)`);
  // Recorded before any is created, so `down` finds them even after a failed `up`.
  recordHostFolders(plan, o.dir);
  const apply = await applyPlan(engine.docker, plan, o.log);
  const target = pgProviderTarget(run);
  if (target) {
    await applyPostgres(target, postgresStatements(run), o.log);
    // The smoke suite's heartbeat table, as the sandbox (and a deployment's migrations) create it.
    await applyPostgres(target, heartbeatDdl(String(run.outputs.postgres.monitoringUser)).map((sql) => ({ sql, database: String(run.outputs.postgres.database), resource: "heartbeat table" })), o.log);
  }
  const outputs = parseStackOutputs(run.outputs, `the program's outputs for stack ${o.stack}`);
  // Directly at the primary, the role logs in with its server password (the application's is PgBouncer's only, issue 20).
  const appPassword = run.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.endsWith("-postgres-app-server-password"))?.state.result;
  if (appPassword) await seedDemoSchema(o.stack, outputs, String(appPassword), o.log);
  const outputsFile = writeOutputs(o.dir, outputs);
  return { engine, images, apply, outputs, outputsFile, ms: Math.round(performance.now() - t0) };
}

export function writeOutputs(dir: string, outputs: StackOutputs): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = outputsPath(dir);
  writeFileSync(file, JSON.stringify(outputs, null, 2) + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function readOutputs(dir: string): StackOutputs {
  const file = outputsPath(dir);
  if (!existsSync(file)) throw new Error(`no dev stack outputs in ${file}: start it with \`npm run dev-stack -- up\``);
  return parseStackOutputs(JSON.parse(readFileSync(file, "utf8")), file);
}

export async function devstackDown(o: { stack: string; dir: string; purge?: boolean; keepEngine?: boolean; log: Log }): Promise<{ removed: Awaited<ReturnType<typeof removeLabelled>>; stoppedEngine: boolean; left: string[] }> {
  const engine = await connectEngine({ start: false }).catch(() => null);
  const removed = engine ? await removeLabelled(engine.docker, o.stack, o.log) : { containers: [], networks: [], volumes: [] };
  let stoppedEngine = false;
  if (engine?.startedHere && !o.keepEngine) {
    const left = await engine.docker.listContainers({ all: true });
    if (left.length === 0) stoppedEngine = stopStartedPodman();
  }
  rmSync(outputsPath(o.dir), { force: true });
  // The bound folders held the removed containers' runtime state (a stale router state.json would be read as current).
  for (const f of removeHostFolders(o.dir)) o.log(`  removed   host folder ${f}`);
  // Exactly what the runner wrote there; anything else in the folder is not the stack's and stays.
  const left = o.purge ? purgeStackDir(o.dir, [outputsPath(o.dir), secretsPath(o.dir)]) : [];
  for (const f of left) o.log(`  kept      ${f} (not written by the dev stack)`);
  return { removed, stoppedEngine, left };
}
