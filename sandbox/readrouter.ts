/**
 * The sandbox's read router (components/readrouting): a supervised process like the
 * others, run with the project's runtime (node + tsx), as root so it can hand the
 * rewritten pgbouncer.ini to the postgres user. Its configuration (0600: it holds the
 * monitoring and console passwords) and its state file live in <dir>/readrouter/.
 * Started after PgBouncer, only when the stack has replicas and readRouting.enabled.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RouterConfig } from "../components/readrouting/config";
import type { RouterState } from "../components/readrouting/router";
import { PROJECT_ROOT } from "../components/settings/stackFile";
import { resolveThresholds } from "../components/thresholds/thresholds";
import { PGBOUNCER_NAME, pgbouncerIniPath, pgbouncerRuntime } from "./pgbouncer";
import { PRIMARY_NAME } from "./postgres";
import { postgresUser, processLogs, recordAlive, startProcess, waitFor, type ProcessRecord } from "./procs";
import { SANDBOX_ROLES } from "./schema";
import { putProcess, writePrivateFile, type SandboxState } from "./state";

export const READROUTER_NAME = "readrouter";
export const routerDir = (dir: string) => join(dir, "readrouter");
export const routerStateFile = (dir: string) => join(routerDir(dir), "state.json");
const configFile = (dir: string) => join(routerDir(dir), "config.json");

/** Whether this sandbox runs a router: PgBouncer, at least one replica, and the setting on. */
export function routerWanted(state: Pick<SandboxState, "parts" | "settings">): boolean {
  return state.parts.includes("pgbouncer") && state.settings.readRouting.enabled && state.settings.postgres.replicas > 0;
}

function proc(state: SandboxState, name: string): ProcessRecord {
  const p = state.processes.find((x) => x.name === name);
  if (!p) throw new Error(`the read router needs process ${name}`);
  return p;
}

/** The router's configuration for this sandbox. */
export function routerConfig(state: SandboxState): RouterConfig {
  const s = state.settings;
  const pb = proc(state, PGBOUNCER_NAME);
  const primary = proc(state, PRIMARY_NAME);
  const { uid, gid } = postgresUser();
  const lag = resolveThresholds(s.alarms.thresholds).replicaLag;
  return {
    instance: "sandbox",
    intervalMs: s.readRouting.intervalMs,
    connectTimeoutMs: s.readRouting.connectTimeoutMs,
    lag: { warning: lag.warning, critical: lag.critical },
    primary: { host: primary.host, port: primary.port },
    replicas: (state.postgres?.replicas ?? []).map((r) => {
      const p = proc(state, r.name);
      return { name: r.name, host: p.host, port: p.port };
    }),
    database: s.postgres.databaseName,
    tls: false,
    monitoring: { user: SANDBOX_ROLES.monitoring, password: state.secrets.monitoring },
    pgbouncer: {
      settings: s.pgbouncer,
      runtime: pgbouncerRuntime(state, pb.port),
      iniPath: pgbouncerIniPath(state.dir),
      iniOwner: { uid, gid },
      console: { host: pb.host, port: pb.port, user: s.pgbouncer.adminUser, password: state.secrets.pgbouncerAdmin },
    },
    stateFile: routerStateFile(state.dir),
    metrics: null,
  };
}

function spec(state: SandboxState) {
  const pb = proc(state, PGBOUNCER_NAME);
  return {
    name: READROUTER_NAME,
    kind: "readrouter" as const,
    // It listens nowhere: the record names the PgBouncer console it drives.
    host: pb.host,
    port: pb.port,
    command: process.execPath,
    args: ["--import", "tsx", join(PROJECT_ROOT, "components", "readrouting", "main.ts"), configFile(state.dir)],
    user: "root" as const,
    cwd: PROJECT_ROOT,
    logFile: join(state.dir, "logs", "readrouter.log"),
  };
}

/** The router's state file, or null when missing or unreadable. */
export function readRouterState(dir: string): RouterState | null {
  try {
    return JSON.parse(readFileSync(routerStateFile(dir), "utf8")) as RouterState;
  } catch {
    return null;
  }
}

/** Problems of the router (empty when it runs and checked within three intervals). */
export function routerProblems(state: SandboxState): string[] {
  const p = state.processes.find((x) => x.name === READROUTER_NAME);
  if (!p) return routerWanted(state) ? ["no read router recorded"] : [];
  if (!recordAlive(p)) return [`the read router (pid ${p.pid}) is not running`];
  const st = readRouterState(state.dir);
  if (!st?.lastCheckAt || st.pid !== p.pid) return ["the read router has not checked the replicas yet"];
  const age = Date.now() - Date.parse(st.lastCheckAt);
  if (age > 3 * state.settings.readRouting.intervalMs + 2000) return [`the read router's last check is ${Math.round(age / 1000)} s old`];
  return [];
}

async function waitRouterChecking(state: SandboxState, p: ProcessRecord, timeoutMs: number): Promise<void> {
  try {
    await waitFor("the read router's first round", async () => {
      if (!recordAlive(p)) throw new Error("the read router exited");
      return routerProblems(state).length === 0;
    }, timeoutMs, 100);
  } catch (e) {
    throw new Error(`${(e as Error).message}${processLogs(p)}`);
  }
}

/**
 * Rewrites a running router's configuration when it differs from what the state renders
 * (a damaged file). The router read it at its start and keeps running on that; the file
 * matters at its next start, so no restart is needed. Returns the file when rewritten.
 */
export function healRouterConfig(state: SandboxState): string[] {
  const p = state.processes.find((x) => x.name === READROUTER_NAME);
  if (!p || !recordAlive(p)) return [];
  const want = `${JSON.stringify(routerConfig(state), null, 2)}\n`;
  let have: string | null = null;
  try {
    have = readFileSync(configFile(state.dir), "utf8");
  } catch {
    /* missing: rewrite it */
  }
  if (have === want) return [];
  writePrivateFile(configFile(state.dir), want);
  return [configFile(state.dir)];
}

/** Writes the configuration and starts the router; returns once it finished a round. */
export async function startReadRouter(state: SandboxState, timeoutMs: number): Promise<void> {
  mkdirSync(routerDir(state.dir), { recursive: true, mode: 0o700 });
  writePrivateFile(configFile(state.dir), `${JSON.stringify(routerConfig(state), null, 2)}\n`);
  const p = await startProcess(spec(state));
  putProcess(state, p);
  await waitRouterChecking(state, p, timeoutMs);
}

/** Starts a router that is down again (the configuration is rewritten: ports and secrets are the state's). */
export async function restartReadRouter(state: SandboxState): Promise<void> {
  if (!existsSync(routerDir(state.dir))) mkdirSync(routerDir(state.dir), { recursive: true, mode: 0o700 });
  await startReadRouter(state, 30_000);
}
