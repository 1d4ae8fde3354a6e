import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { identityAlive, ownIdentity, parseStat, pidNamespace } from "./liveness";

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
