import { spawn, spawnSync } from "node:child_process";
import { closeSync, lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aliveFifoFor, fifoReaderAlive, holdAliveFifo, identityAlive, ownIdentity, parseStat, pidNamespace } from "./liveness";

describe("parseStat", () => {
  it("reads state and start time past a command name with spaces and parentheses", () => {
    const fields = Array.from({ length: 50 }, (_, i) => String(i));
    fields[0] = "S";
    fields[19] = "123456";
    expect(parseStat(`42 (node (router) x) ${fields.join(" ")}`)).toEqual({ state: "S", startTicks: 123456 });
  });
});

describe("identityAlive", () => {
  it("a live process in our pid namespace is alive; the same pid with another start time is not us", () => {
    const me = ownIdentity();
    expect(me.pidNamespace).toMatch(/^pid:\[\d+\]$/);
    expect(identityAlive(me)).toBe("alive");
    expect(identityAlive({ ...me, startTicks: me.startTicks! + 1 })).toBe("dead");
  });

  it("an exited process is dead at once", async () => {
    const child = spawn("sleep", ["0"]);
    const pid = child.pid!;
    const id = { pid, startTicks: 0, pidNamespace: pidNamespace() };
    await new Promise((r) => child.on("exit", r));
    // Reaped: no /proc entry (or, if the pid was reused, another start time).
    expect(identityAlive(id)).toBe("dead");
  });

  it("cannot tell across pid namespaces or without a start time (an older router's state)", () => {
    const me = ownIdentity();
    expect(identityAlive({ ...me, pidNamespace: "pid:[1]" })).toBe("unknown");
    expect(identityAlive({ pid: me.pid })).toBe("unknown");
    expect(identityAlive(me, null)).toBe("unknown");
  });
});

describe("the router's FIFO: death seen from another pid namespace", () => {
  const withDir = async (fn: (dir: string) => Promise<void> | void) => {
    const dir = mkdtempSync(join(tmpdir(), "alive-fifo-"));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("is created beside the state file; alive while held, dead once closed", () =>
    withDir((dir) => {
      const state = join(dir, "state.json");
      expect(fifoReaderAlive(aliveFifoFor(state))).toBe("unknown");
      const fd = holdAliveFifo(state);
      expect(fd).not.toBeNull();
      expect(lstatSync(join(dir, "alive.fifo")).isFIFO()).toBe(true);
      expect(lstatSync(join(dir, "alive.fifo")).mode & 0o777).toBe(0o600);
      expect(fifoReaderAlive(aliveFifoFor(state))).toBe("alive");
      closeSync(fd!);
      expect(fifoReaderAlive(aliveFifoFor(state))).toBe("dead");
      // A second router (an `up` that restarts it) holds the same FIFO again.
      const again = holdAliveFifo(state);
      expect(fifoReaderAlive(aliveFifoFor(state))).toBe("alive");
      closeSync(again!);
    }));

  it("a holder killed with SIGKILL is dead at once (the kernel closes its descriptor)", () =>
    withDir(async (dir) => {
      const fifo = aliveFifoFor(join(dir, "state.json"));
      mkfifoFor(fifo);
      // Another process holds the reading end (opened read-write so the open does not wait for a writer).
      const holder = spawn("sh", ["-c", `exec 3<>"${fifo}"; echo held; exec sleep 30`], { stdio: ["ignore", "pipe", "ignore"] });
      await new Promise((r) => holder.stdout.once("data", r));
      expect(fifoReaderAlive(fifo)).toBe("alive");
      holder.kill("SIGKILL");
      await new Promise((r) => holder.once("close", r));
      expect(fifoReaderAlive(fifo)).toBe("dead");
    }));

  it("an outputs document pointing elsewhere opens nothing but a FIFO, and writes nothing", () =>
    withDir((dir) => {
      const regular = join(dir, "regular");
      writeFileSync(regular, "keep");
      symlinkSync(regular, join(dir, "link"));
      mkfifoFor(join(dir, "target.fifo"));
      symlinkSync(join(dir, "target.fifo"), join(dir, "fifo-link"));
      for (const p of [regular, join(dir, "link"), join(dir, "fifo-link"), "/dev/null", join(dir, "absent"), dir]) expect(fifoReaderAlive(p)).toBe("unknown");
      expect(readFileSync(regular, "utf8")).toBe("keep");
    }));

  it("cannot hold a FIFO where a regular file stands, and says so with null", () =>
    withDir((dir) => {
      writeFileSync(join(dir, "alive.fifo"), "x");
      expect(holdAliveFifo(join(dir, "state.json"))).toBeNull();
      expect(readFileSync(join(dir, "alive.fifo"), "utf8")).toBe("x");
    }));
});

function mkfifoFor(path: string): void {
  expect(spawnSync("mkfifo", [path]).status).toBe(0);
}
