/**
 * The container engine: a Docker Engine API that answers (DOCKER_HOST, the default
 * socket, or the podman service this runner started before), else podman's API service
 * started here with the settings this kind of machine needs (runc, cgroupfs: see
 * ../shared/notes/containers.md). Nothing is installed at run time.
 */
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import Docker from "dockerode";

export const PODMAN_SOCKET = "/run/datatier-devstack/podman.sock";
const PODMAN_PID = "/run/datatier-devstack/podman.pid";
const PODMAN_LOG = "/run/datatier-devstack/podman.log";

export interface Engine {
  docker: Docker;
  /** Where it answered, for messages. */
  socket: string;
  kind: "docker" | "podman";
  /** True when this runner started podman's service (then `down` may stop it). */
  startedHere: boolean;
}

/** Candidate sockets in order: DOCKER_HOST (unix only), the default, ours. */
export function candidateSockets(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const h = env.DOCKER_HOST;
  if (h) {
    if (!h.startsWith("unix://")) throw new Error(`DOCKER_HOST=${h}: only unix:// sockets are supported by the dev-stack runner (the engine must be on this machine)`);
    out.push(h.slice("unix://".length));
  }
  out.push("/var/run/docker.sock", PODMAN_SOCKET);
  return [...new Set(out)];
}

async function answers(socketPath: string, timeoutMs: number): Promise<Docker | null> {
  if (!existsSync(socketPath)) return null;
  const docker = new Docker({ socketPath, timeout: timeoutMs });
  try {
    await docker.ping();
    return new Docker({ socketPath });
  } catch {
    return null;
  }
}

async function kindOf(docker: Docker): Promise<"docker" | "podman"> {
  const v = await docker.version();
  return (v.Components ?? []).some((c) => /podman/i.test(c.Name)) ? "podman" : "docker";
}

/** Connects to an engine, starting podman's service when none answers. */
export async function connectEngine(o: { start: boolean } = { start: true }): Promise<Engine> {
  const tried = candidateSockets();
  for (const s of tried) {
    const d = await answers(s, 2000);
    if (d) return { docker: d, socket: s, kind: await kindOf(d), startedHere: s === PODMAN_SOCKET };
  }
  const none = `no Docker engine answered at ${tried.join(", ")}`;
  if (!o.start) throw new Error(none);
  if (spawnSync("podman", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error(`${none}, and podman is not installed: run \`bash scripts/install-system-packages.sh\` (it installs podman and runc), or set DOCKER_HOST`);
  }
  mkdirSync(dirname(PODMAN_SOCKET), { recursive: true, mode: 0o700 });
  rmSync(PODMAN_SOCKET, { force: true });
  const log = openSync(PODMAN_LOG, "a", 0o600);
  // runc + cgroupfs: crun fails on this kind of machine (hybrid cgroups) and there is no systemd.
  const p = spawn("podman", ["--cgroup-manager=cgroupfs", "--runtime", "runc", "system", "service", "--time=0", `unix://${PODMAN_SOCKET}`], { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  p.unref();
  writeFileSync(PODMAN_PID, String(p.pid), { mode: 0o600 });
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const d = await answers(PODMAN_SOCKET, 1000);
    if (d) return { docker: d, socket: PODMAN_SOCKET, kind: "podman", startedHere: true };
    if (p.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = existsSync(PODMAN_LOG) ? readFileSync(PODMAN_LOG, "utf8").split("\n").slice(-5).join("\n") : "";
  throw new Error(`${none}; podman's API service did not answer at ${PODMAN_SOCKET} within 15 s${tail ? `:\n${tail}` : ""}`);
}

/** Stops the podman service this runner started (by its recorded pid), if it runs. */
export function stopStartedPodman(): boolean {
  if (!existsSync(PODMAN_PID)) return false;
  const pid = Number(readFileSync(PODMAN_PID, "utf8"));
  rmSync(PODMAN_PID, { force: true });
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmd.includes(PODMAN_SOCKET)) return false;
    process.kill(pid, "SIGTERM");
    return true;
  } catch {
    return false;
  }
}
