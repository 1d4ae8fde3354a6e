/**
 * `npm run dev-stack -- up | down | status | drill <name>`: the dev stack's containers on
 * a real engine (Docker, or podman's API service started here). Prints endpoints and
 * file paths, never a password (they are in the 0600 outputs file).
 */
import { Command, CommanderError, Option } from "commander";
import type { StackOutputs } from "../components/contract/outputs";
import { DEVSTACK_LABEL } from "./plan";
import { connectEngine } from "./engine";
import { defaultDir, DEFAULT_STACK, devstackDown, devstackUp, readOutputs } from "./index";
import { DRILLS, runDrill, type DrillName } from "./drills";

export interface CliIO {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const at = (e: { host: string; port: number }) => `${e.host}:${e.port}`;

/** Endpoints for people, as the sandbox prints them (no secrets). */
export function formatEndpoints(o: StackOutputs, file: string): string {
  const r = o.redis;
  const lines = [
    `  redis master      ${at(r.primary)} (at deploy; Sentinel "${r.sentinelMasterName}" names the current one)`,
    ...r.readers.map((x) => `  redis replica     ${at(x)}`),
    `  sentinels         ${r.sentinels.map(at).join(", ")}`,
    `  postgres primary  ${at(o.postgres.primary)} (database "${o.postgres.database}")`,
    ...o.postgres.replicas.map((x) => `  postgres replica  ${at(x)} (${x.id})`),
    `  pgbouncer         ${at(o.pgbouncer.endpoint)} (pools "${o.pgbouncer.readWriteDatabase}" read-write, "${o.pgbouncer.readOnlyDatabase}" read-only)`,
    `  outputs           ${file} (0600, holds the credentials)`,
  ];
  return lines.join("\n");
}

export async function main(argv: string[], io: CliIO = process): Promise<number> {
  let code = 0;
  const log = (s: string) => void io.stdout.write(`${s}\n`);
  const stackOption = () => new Option("--stack <name>", "stack whose program runs").default(DEFAULT_STACK);
  const dirOption = () => new Option("--dir <folder>", "where outputs and kept passwords live (default .devstack/<stack>)");
  const dirOf = (o: { dir?: string; stack: string }) => o.dir ?? defaultDir(o.stack);
  const program = new Command("npm run dev-stack --")
    .description("The dev stack's containers, as the program registers them, on a real container engine.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => void io.stdout.write(s), writeErr: (s) => void io.stderr.write(s) });

  program
    .command("up")
    .description("create (or heal) the stack's networks, volumes and containers, wait for health, write the outputs")
    .addOption(stackOption())
    .addOption(dirOption())
    .addOption(new Option("--images <how>", "build the pinned images from Debian packages, or pull them (default: build on podman, pull on Docker)").choices(["build", "pull"]))
    .action(async (o: { stack: string; dir?: string; images?: "build" | "pull" }) => {
      const r = await devstackUp({ stack: o.stack, dir: dirOf(o), images: o.images, log });
      const counts = Object.values(r.apply.containers).reduce<Record<string, number>>((m, v) => ((m[v] = (m[v] ?? 0) + 1), m), {});
      io.stdout.write(
        `dev stack up in ${secs(r.ms)} (containers ${Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ")}; images ${r.images.map((i) => `${i.ref} ${i.outcome}`).join(", ")}; containers healthy in ${secs(r.apply.timings.containersMs)})\n${formatEndpoints(r.outputs, r.outputsFile)}\ncheck it with: npm run check -- --outputs ${r.outputsFile}\nstop it with: npm run dev-stack -- down\n`,
      );
    });

  program
    .command("down")
    .description(`remove every container, network and volume labelled ${DEVSTACK_LABEL}=<stack> (images are kept as a cache)`)
    .addOption(stackOption())
    .addOption(dirOption())
    .option("--purge", "also remove the folder with the kept passwords")
    .action(async (o: { stack: string; dir?: string; purge?: boolean }) => {
      const r = await devstackDown({ stack: o.stack, dir: dirOf(o), purge: o.purge, log });
      io.stdout.write(`dev stack down: removed ${r.removed.containers.length} containers, ${r.removed.networks.length} networks, ${r.removed.volumes.length} volumes${r.stoppedEngine ? "; stopped the podman service the runner started" : ""}\n`);
    });

  program
    .command("status")
    .description("the stack's containers and their state")
    .addOption(stackOption())
    .action(async (o: { stack: string }) => {
      const e = await connectEngine({ start: false });
      const cs = await e.docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${DEVSTACK_LABEL}=${o.stack}`] }) });
      if (cs.length === 0) {
        io.stdout.write(`no dev stack "${o.stack}" on ${e.kind} at ${e.socket}\n`);
        code = 1;
        return;
      }
      const rows = cs.map((c) => `  ${c.State === "running" ? "up  " : "DOWN"}  ${c.Names[0].replace(/^\//, "").padEnd(36)} ${c.Image.padEnd(32)} ${c.Status}`).sort();
      const down = cs.filter((c) => c.State !== "running").length;
      io.stdout.write(`dev stack "${o.stack}" on ${e.kind} at ${e.socket}: ${down ? `${down} container(s) NOT running` : "all running"}\n${rows.join("\n")}\n`);
      code = down ? 1 : 0;
    });

  program
    .command("drill")
    .description(`break one thing on purpose, measure, heal, and judge (exit 1 when the promise is broken or it did not heal): ${DRILLS.join(", ")}`)
    .argument("<name>", DRILLS.join(" | "))
    .addOption(stackOption())
    .addOption(dirOption())
    .action(async (name: string, o: { stack: string; dir?: string }) => {
      if (!(DRILLS as readonly string[]).includes(name)) throw new Error(`unknown drill "${name}": expected one of ${DRILLS.join(", ")}`);
      const outputs = readOutputs(dirOf(o));
      const e = await connectEngine({ start: false });
      const r = await runDrill(name as DrillName, e.docker, o.stack, outputs, log);
      // As the sandbox drills: the reads' one line last, when a read loop ran.
      // The figures, the reads' line when a read loop ran, and the verdict once, last.
      io.stdout.write(`drill ${r.name}:\n${Object.entries(r.measured).map(([k, v]) => `  ${k.padEnd(16)} ${v}`).join("\n")}\n${r.line ? `${r.line}\n` : ""}${r.verdict}\n`);
      if (!r.ok) code = 1;
    });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 3;
    io.stderr.write(`dev-stack: ${(e as Error).message}\n`);
    return 2;
  }
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((c) => process.exit(c));
}
