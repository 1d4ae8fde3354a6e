/**
 * Who the router process is, in terms another process on the same kernel can check at
 * once: its pid, its kernel start time (a recycled pid is not mistaken for it) and its pid
 * namespace. The suite reads these from the router's state file; when it shares the
 * router's pid namespace (the sandbox: both are plain host processes) a dead router is
 * seen in milliseconds instead of after 3 intervals + 2 s without a round. Across
 * namespaces (a container) the pid means nothing to the reader: there the router holds
 * the reading end of a FIFO beside its state file (the same inode on the host's bind
 * mount), which the kernel closes the moment the router dies, and a writer's
 * non-blocking open then fails with ENXIO. A frozen router still holds it: the age of
 * its last round is the signal for that.
 */
import { spawnSync } from "node:child_process";
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readlinkSync } from "node:fs";
import { dirname, join } from "node:path";

export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); null off Linux. */
  startTicks: number | null;
  /** readlink /proc/self/ns/pid, e.g. "pid:[4026531836]"; null when unreadable. */
  pidNamespace: string | null;
}

/** state and start time of a /proc/<pid>/stat line (pure); the command name may hold spaces and parentheses. */
export function parseStat(text: string): { state: string; startTicks: number } {
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: rest[0], startTicks: Number(rest[19]) };
}

export function pidNamespace(): string | null {
  try {
    return readlinkSync("/proc/self/ns/pid");
  } catch {
    return null;
  }
}

export function ownIdentity(): ProcessIdentity {
  let startTicks: number | null = null;
  try {
    startTicks = parseStat(readFileSync("/proc/self/stat", "utf8")).startTicks;
  } catch {
    /* not Linux */
  }
  return { pid: process.pid, startTicks, pidNamespace: pidNamespace() };
}

/**
 * "alive", "dead" (no such process, a zombie, or another process on a recycled pid), or
 * "unknown" when this process cannot tell (another pid namespace, no start time recorded).
 */
export function identityAlive(id: Partial<ProcessIdentity>, ownNamespace: string | null = pidNamespace()): "alive" | "dead" | "unknown" {
  if (!id.pid || id.startTicks === null || id.startTicks === undefined || !id.pidNamespace || id.pidNamespace !== ownNamespace) return "unknown";
  let stat: { state: string; startTicks: number };
  try {
    stat = parseStat(readFileSync(`/proc/${id.pid}/stat`, "utf8"));
  } catch {
    return "dead";
  }
  if (stat.state === "Z" || stat.state === "X" || stat.startTicks !== id.startTicks) return "dead";
  return "alive";
}

/** The FIFO the router holds open for its life, beside its state file (the same name on the host and in a container). */
export const aliveFifoFor = (stateFile: string): string => join(dirname(stateFile), "alive.fifo");

/**
 * Creates the FIFO if absent (mkfifo: Node has no call for it) and opens its reading end
 * for the life of this process; the descriptor is never read or closed. null when it
 * cannot (no mkfifo, a read-only folder, a regular file in its place): the readers fall
 * back to the pid or the age of the last round.
 */
export function holdAliveFifo(stateFile: string): number | null {
  const path = aliveFifoFor(stateFile);
  try {
    if (!isFifo(path)) spawnSync("mkfifo", ["-m", "0600", path], { stdio: "ignore", timeout: 5_000 });
    if (!isFifo(path)) return null;
    return openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
}

function isFifo(path: string): boolean {
  try {
    return lstatSync(path).isFIFO();
  } catch {
    return false;
  }
}

/**
 * Whether a process holds the reading end of the FIFO at `path`: "dead" when none does
 * (ENXIO), "alive" when one does, "unknown" when there is no FIFO there. The path comes
 * from an outputs document: only a FIFO is opened (never a regular file or a device, and
 * no symbolic link is followed), nothing is written, and the descriptor is closed at once.
 */
export function fifoReaderAlive(path: string): "alive" | "dead" | "unknown" {
  if (!isFifo(path)) return "unknown";
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENXIO" ? "dead" : "unknown";
  }
  try {
    return fstatSync(fd).isFIFO() ? "alive" : "unknown";
  } finally {
    closeSync(fd);
  }
}
