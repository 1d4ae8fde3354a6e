/**
 * Small tmpfs mounts for full-disk faults (the fault matrix): a component's data folder
 * gets its own tiny file system before the sandbox creates it, and filling it with a
 * filler file makes exactly that component's disk full (a real ENOSPC, not a mock).
 * Mounting needs root; every mount is undone by unmountAll, and mountsUnder lets a test
 * assert that none is left.
 */
import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";

const FILLER = ".fault-matrix-filler";

/** Mount points at or below `dir` (from /proc/self/mounts, octal escapes decoded). */
export function mountsUnder(dir: string): string[] {
  const root = resolve(dir);
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((l) => (l.split(" ")[1] ?? "").replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((m) => m === root || m.startsWith(`${root}/`));
}

/** Mounts a tmpfs of `mb` MiB at `path` (created when missing). */
export function mountTmpfs(path: string, mb: number): void {
  mkdirSync(path, { recursive: true });
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mb}m,mode=0700`, "tmpfs", path], { stdio: "pipe" });
}

/** Writes a filler file until the file system at `path` says ENOSPC; returns the bytes written. */
export function fill(path: string): number {
  const fd = openSync(join(path, FILLER), "w", 0o600);
  const chunk = Buffer.alloc(1 << 20);
  let written = 0;
  try {
    for (;;) {
      const n = writeSync(fd, chunk);
      written += n;
      if (n < chunk.length) break;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
  } finally {
    closeSync(fd);
  }
  return written;
}

/** Frees the space fill() took. */
export function unfill(path: string): void {
  rmSync(join(path, FILLER), { force: true });
}

/** Unmounts every mount below `dir`, deepest first (lazily when busy: a process still has files open there). */
export function unmountAll(dir: string): void {
  for (const m of mountsUnder(dir).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync("umount", [m], { stdio: "pipe" });
    } catch {
      execFileSync("umount", ["-l", m], { stdio: "pipe" });
    }
  }
}

/**
 * Writes a filler file until the file system at `path` is `percent` used, as df counts it
 * (checks/disk.ts usedPercent); returns the bytes written. Adds to an earlier filler.
 */
export function fillTo(path: string, percent: number): number {
  const s = statfsSync(path);
  const used = (s.blocks - s.bfree) * s.bsize;
  const total = used + s.bavail * s.bsize;
  const want = Math.max(0, Math.ceil((percent / 100) * total - used));
  const fd = openSync(join(path, FILLER), "a", 0o600);
  const chunk = Buffer.alloc(1 << 20);
  let written = 0;
  try {
    while (written < want) written += writeSync(fd, chunk, 0, Math.min(chunk.length, want - written));
  } finally {
    closeSync(fd);
  }
  return written;
}
