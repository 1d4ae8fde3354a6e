/**
 * The sandbox's state file, <dir>/state.json (mode 0600: it holds the generated
 * passwords): the ports picked at start, every process started (pid + start time), the
 * current Redis master, and the settings the sandbox was built from. Written
 * atomically (temp file + rename) so a crash never leaves half a file; read back
 * through a schema so a damaged file is named, not trusted.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { Settings } from "../components/settings/schema";
import { InputFileError, jsonErrorWithoutText, readRegularFileSync } from "../components/boundedFile";
import { isAlive, parseProcStat, type ProcessRecord } from "./procs";

export const STATE_VERSION = 1;
export const PARTS = ["redis", "postgres", "pgbouncer"] as const;
export type Part = (typeof PARTS)[number];

const processRecord = z.object({
  name: z.string().min(1),
  kind: z.enum(["redis", "sentinel", "postgres", "pgbouncer", "readrouter"]),
  host: z.string().min(1),
  port: z.int().min(1).max(65535),
  pid: z.int(),
  startTicks: z.number(),
  command: z.string().min(1),
  args: z.array(z.string()),
  user: z.enum(["root", "postgres"]),
  logFile: z.string(),
  extraLogs: z.array(z.string()).optional(),
});

const secrets = z.object({
  redisPassword: z.string().min(1),
  postgresSuperuser: z.string().min(1),
  replication: z.string().min(1),
  /** The application roles' passwords as applications get them: PgBouncer's only. */
  app: z.string().min(1),
  readonly: z.string().min(1),
  /**
   * Their passwords on Postgres, which only PgBouncer's pools use (issue 20: no bypass).
   * Absent in a sandbox made before the split: the client password is then the server's.
   */
  appServer: z.string().min(1).optional(),
  readonlyServer: z.string().min(1).optional(),
  monitoring: z.string().min(1),
  pgbouncerAdmin: z.string().min(1),
  pgbouncerStats: z.string().min(1),
});
export type Secrets = z.infer<typeof secrets>;

const stateSchema = z.object({
  version: z.literal(STATE_VERSION),
  stack: z.string().min(1),
  dir: z.string().min(1),
  /** False until every part reported healthy once; an incomplete sandbox is rebuilt, not reused. */
  complete: z.boolean(),
  createdAt: z.string(),
  parts: z.array(z.enum(PARTS)),
  /** Settings the sandbox was built from (validated Settings; re-validated on use). */
  settings: z.record(z.string(), z.unknown()),
  secrets,
  redis: z
    .object({
      masterName: z.string(),
      /** Process name of the current master (Sentinel moves it; drills update it). */
      master: z.string(),
    })
    .nullable(),
  postgres: z
    .object({
      database: z.string(),
      /** Parent of each server's own unix-socket directory (sock/<name>). */
      socketDir: z.string(),
      replicas: z.array(z.object({ name: z.string(), id: z.string(), slot: z.string(), dataDir: z.string() })),
      primaryDataDir: z.string(),
    })
    .nullable(),
  processes: z.array(processRecord),
  /** Bring-up time of the last `up` that started anything, ms. */
  lastUpMs: z.number().optional(),
  /** When the last failover drill ran: Sentinel refuses another failover within 2 x failover-timeout. */
  lastRedisFailoverAt: z.string().optional(),
});

export type SandboxState = Omit<z.infer<typeof stateSchema>, "settings" | "processes"> & { settings: Settings; processes: ProcessRecord[] };

export const stateFile = (dir: string) => join(dir, "state.json");
export const outputsFile = (dir: string) => join(dir, "outputs.json");

export class StateError extends Error {}

/** Reads the state, or null when the folder holds no sandbox. */
export function readState(dir: string): SandboxState | null {
  const path = stateFile(dir);
  if (!existsSync(path)) return null;
  let text: string;
  try {
    text = readRegularFileSync(path, { what: "sandbox state file", maxBytes: 4 * 1024 * 1024 });
  } catch (e) {
    if (e instanceof InputFileError) throw new StateError(e.message);
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    // Never V8's message: it quotes the text around the error, and the file holds the passwords.
    throw new StateError(`${path}: not valid JSON (${jsonErrorWithoutText(e, text)}); stop what it started with \`npm run sandbox -- down --dir ${dir}\` (it finds the processes by their folders) or remove the folder`);
  }
  const r = stateSchema.safeParse(raw);
  if (!r.success) {
    const where = r.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new StateError(`${path}: not a sandbox state file of version ${STATE_VERSION} (${where.join("; ")})`);
  }
  return r.data as unknown as SandboxState;
}

/** Writes a file atomically with mode 0600 (secrets inside). */
export function writePrivateFile(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function writeState(state: SandboxState): void {
  mkdirSync(state.dir, { recursive: true, mode: 0o700 });
  writePrivateFile(stateFile(state.dir), `${JSON.stringify(state, null, 2)}\n`);
}

/**
 * Replaces (or adds) a process record by name and saves the state at once: a pid is
 * on disk from the moment the process exists, so a later failure never orphans it.
 */
export function putProcess(state: SandboxState, rec: ProcessRecord): void {
  const i = state.processes.findIndex((p) => p.name === rec.name);
  if (i >= 0) state.processes[i] = rec;
  else state.processes.push(rec);
  writeState(state);
}

export function processByName(state: SandboxState, name: string): ProcessRecord {
  const p = state.processes.find((x) => x.name === name);
  if (!p) throw new StateError(`${stateFile(state.dir)}: no process named "${name}"`);
  return p;
}

/** This process's kernel start time (field 22 of /proc/self/stat). */
export function ownStartTicks(): number {
  return parseProcStat(readFileSync(`/proc/${process.pid}/stat`, "utf8")).startTicks;
}

/**
 * A lock file so two `up`s (or an `up` and a drill) never build on top of each other.
 * A lock whose holder died is taken over. Returns the release function.
 */
export function acquireLock(dir: string, what: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      // pid and kernel start time: a recycled pid never looks like a live holder.
      writeSync(fd, JSON.stringify({ pid: process.pid, startTicks: ownStartTicks(), what }));
      closeSync(fd);
      return () => {
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder: { pid?: number; startTicks?: number; what?: string } = {};
      try {
        holder = JSON.parse(readFileSync(path, "utf8"));
      } catch {
        /* unreadable: treat as stale */
      }
      if (typeof holder.pid === "number" && isAlive(holder.pid, typeof holder.startTicks === "number" ? holder.startTicks : undefined)) {
        throw new StateError(`${dir} is busy: process ${holder.pid} is running "${holder.what ?? "?"}" on this sandbox; wait for it to finish`);
      }
      unlinkSync(path);
    }
  }
  throw new StateError(`${dir}: could not take the lock ${path}`);
}

/** The Postgres-side password of an application role (see `appServer`). */
export function serverPassword(secrets: Secrets, role: "app" | "readonly"): string {
  return role === "app" ? (secrets.appServer ?? secrets.app) : (secrets.readonlyServer ?? secrets.readonly);
}
