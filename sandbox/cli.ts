/**
 * `npm run sandbox -- up | down | status | drill <name>`: the local sandbox from the
 * command line. Prints endpoints and file paths, never a password (they are in the
 * 0600 state and outputs files).
 */
import { Command, CommanderError, Option } from "commander";
import { DRILLS, runDrill, type DrillName } from "./drills";
import { defaultDir, DEFAULT_STACK, sandboxStatus, startSandbox, stopSandbox, type SandboxInfo, type SandboxStatus } from "./lifecycle";
import type { StopReport } from "./lifecycle";
import { SettingsError } from "../components/settings/load";
import { StackFileError } from "../components/settings/stackFile";
import { statusProblems } from "./statusProblems";

export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Endpoints of a running sandbox, for people (no secrets). */
export function formatEndpoints(info: Pick<SandboxInfo, "state" | "outputsFile">): string {
  const st = info.state;
  const lines: string[] = [];
  const proc = (kind: string) => st.processes.filter((p) => p.kind === kind);
  if (st.parts.includes("redis")) {
    const master = st.processes.find((p) => p.name === st.redis?.master);
    lines.push(`  redis master      ${master ? `${master.host}:${master.port} (${master.name})` : "?"}`);
    for (const r of proc("redis").filter((p) => p.name !== st.redis?.master)) lines.push(`  redis replica     ${r.host}:${r.port} (${r.name})`);
    lines.push(`  sentinels         ${proc("sentinel").map((p) => `${p.host}:${p.port}`).join(", ")} (master name "${st.settings.redis.sentinel.masterName}")`);
  }
  if (st.parts.includes("postgres")) {
    for (const p of proc("postgres")) lines.push(`  postgres ${p.name === "postgres-primary" ? "primary " : "replica "} ${p.host}:${p.port} (${p.name}, database "${st.settings.postgres.databaseName}")`);
  }
  for (const p of proc("pgbouncer")) lines.push(`  pgbouncer         ${p.host}:${p.port} (pools "${st.settings.postgres.databaseName}" read-write, "${st.settings.postgres.databaseName}_ro" read-only)`);
  lines.push(`  outputs           ${info.outputsFile ?? "(not written: a part was left out)"} (0600, holds the credentials)`);
  return lines.join("\n");
}

/** Every DOWN row gets a problem line: the topology checks skip a part whose process is gone (PgBouncer), so without this a DOWN row could stand with no problem named. */
/** A stop outcome in words, the same words `status` uses ("not running", not "not-running"). */
const outcomeWords = (o: string) => o.replace(/-/g, " ");

export function formatStatus(s: SandboxStatus): string {
  if (!s.found) return `no sandbox in ${s.dir}\n`;
  const rows = s.processes.map((p) => `  ${p.alive && p.answering ? "up  " : "DOWN"}  ${p.name.padEnd(20)} pid ${String(p.pid).padEnd(8)} ${`${p.host}:${p.port}`.padEnd(17)} ${p.alive ? (p.answering ? p.role : "not answering") : "not running"}`);
  const all = statusProblems(s.processes, s.problems);
  const problems = all.length ? `\nproblems:\n${all.map((p) => `  - ${p}`).join("\n")}` : "";
  return `sandbox ${s.dir}: ${s.healthy ? "healthy" : "NOT healthy"}\n${rows.join("\n")}${problems}\n`;
}

export function formatStop(r: StopReport): string {
  if (!r.found) return `no sandbox in ${r.dir}: nothing to stop\n`;
  const rows = r.results.map((x) => `  ${x.name.padEnd(20)} pid ${String(x.pid).padEnd(8)} ${outcomeWords(x.outcome)} (${x.ms} ms)`);
  return `stopped the sandbox in ${r.dir} in ${secs(r.ms)}${r.purged ? " and removed its folder" : " (data kept; `up` starts it again, `down --purge` removes it)"}\n${rows.join("\n")}\n`;
}

export async function main(argv: string[], io: CliIO = process): Promise<number> {
  let code = 0;
  const dirOption = () => new Option("--dir <folder>", "data folder of the sandbox (default .sandbox/<stack>)");
  const stackOption = () => new Option("--stack <name>", "stack whose settings the sandbox runs").default(DEFAULT_STACK);
  const dirOf = (o: { dir?: string; stack: string }) => o.dir ?? defaultDir(o.stack);
  const program = new Command("npm run sandbox --")
    .description("The dev topology as local processes (Redis + Sentinel, PostgreSQL 15 + replicas, PgBouncer) on 127.0.0.1.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });

  program
    .command("up")
    .description("start the sandbox, or reuse the one running in --dir (starting again what is down)")
    .addOption(dirOption())
    .addOption(stackOption())
    .action(async (o: { dir?: string; stack: string }) => {
      const info = await startSandbox({ dir: dirOf(o), stack: o.stack });
      const healed = [info.started.length ? `started again: ${info.started.join(", ")}` : "", info.resumed.length ? `WAL replay resumed on ${info.resumed.join(", ")}` : "", info.rewritten.length ? `rewrote from the settings: ${info.rewritten.join(", ")}` : ""].filter(Boolean).join("; ");
      const parts = Object.entries(info.timings).map(([k, v]) => `${k} ${secs(v)}`).join(", ");
      const what = info.reused ? `reused, ${healed || "already healthy"}` : `started ${info.started.length} processes; ${parts}`;
      io.stdout.write(`sandbox up in ${secs(info.ms)} (${what})\n${formatEndpoints(info)}\nstop it with: npm run sandbox -- down${o.dir ? ` --dir ${o.dir}` : ""}\n`);
    });

  program
    .command("down")
    .description("stop every process the sandbox started (by recorded pid)")
    .addOption(dirOption())
    .addOption(stackOption())
    .option("--purge", "also remove the data folder")
    .action(async (o: { dir?: string; stack: string; purge?: boolean }) => {
      io.stdout.write(formatStop(await stopSandbox(dirOf(o), { purge: o.purge })));
    });

  program
    .command("status")
    .description("each process: pid alive, port answering, role; exits 1 when anything is down")
    .addOption(dirOption())
    .addOption(stackOption())
    .action(async (o: { dir?: string; stack: string }) => {
      const s = await sandboxStatus(dirOf(o));
      io.stdout.write(formatStatus(s));
      if (!s.healthy) code = 1;
    });

  program
    .command("drill")
    .description(`break something on purpose, measure, heal, and print one verdict (exit 1 when a promise is broken or it did not heal): ${Object.keys(DRILLS).join(", ")}`)
    .argument("<name>", Object.entries(DRILLS).map(([n, d]) => `${n}: ${d.summary}`).join("; "))
    .addOption(dirOption())
    .addOption(stackOption())
    .option("--freeze-ms <ms>", "redis-master-freeze: how long the master stays stopped (default down-after + 8000)")
    .option("--without-min-replicas", "redis-master-freeze: run with min-replicas-to-write 0 (restored after), to measure the unbounded case")
    .action(async (name: string, o: { dir?: string; stack: string; freezeMs?: string; withoutMinReplicas?: boolean }) => {
      if (!(name in DRILLS)) throw new CommanderError(2, "sandbox.drill", `unknown drill "${name}"; expected one of ${Object.keys(DRILLS).join(", ")}`);
      const freezeMs = o.freezeMs === undefined ? undefined : Number(o.freezeMs);
      if (freezeMs !== undefined && !(Number.isInteger(freezeMs) && freezeMs > 0)) throw new CommanderError(2, "sandbox.drill", `--freeze-ms is "${o.freezeMs}"; expected a whole number of milliseconds above 0`);
      const result = await runDrill(name as DrillName, dirOf(o), (line) => io.stdout.write(`${line}\n`), { freezeMs, withoutMinReplicas: o.withoutMinReplicas });
      if (!result.ok) code = 1;
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.exitCode === 0) return 0;
      if (e.code === "sandbox.drill") io.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    io.stderr.write(`error: ${(e as Error).message}\n`);
    // Bad input (a stack name or file the settings refuse) is a usage error, as everywhere else: 2; a sandbox that fails to start or stop: 1.
    return e instanceof SettingsError || e instanceof StackFileError ? 2 : 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
