/**
 * Who the router process is, in terms another process on the same kernel can check at
 * once: its pid, its kernel start time (a recycled pid is not mistaken for it) and its pid
 * namespace. The suite reads these from the router's state file; when it shares the
 * router's pid namespace (the sandbox: both are plain host processes) a dead router is
 * seen in milliseconds instead of after 3 intervals + 2 s without a round. Across
 * namespaces (a container) the pid means nothing to the reader, and the age of the last
 * round stays the only signal.
 */
import { readFileSync, readlinkSync } from "node:fs";

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
