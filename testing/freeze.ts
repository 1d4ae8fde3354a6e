/**
 * SIGSTOP of a process and its descendants (a Postgres server is a postmaster and its
 * children): it keeps its sockets and answers nothing, a gray failure. Tests only.
 */
import { readdirSync, readFileSync } from "node:fs";

/** The pid and its descendants, from /proc (each stat's parent pid). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(d)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** Stops the whole tree; returns the pids stopped, for thawTree. */
export function freezeTree(pid: number): number[] {
  const pids = processTree(pid);
  for (const p of pids) process.kill(p, "SIGSTOP");
  return pids;
}

export function thawTree(pids: number[]): void {
  for (const p of pids) {
    try {
      process.kill(p, "SIGCONT");
    } catch {
      /* gone */
    }
  }
}
