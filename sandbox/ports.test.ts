import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { canBind, freeOn, loopbackPort, pickPorts, PORT_RANGE, RESERVED_PORTS } from "./ports";

/** Deterministic [0,1) sequence for the picker. */
const seq = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

describe("pickPorts", () => {
  it("returns distinct ports inside the range, skipping busy ones and repeats", async () => {
    const probed: number[] = [];
    // 0.2 -> 20001 (busy), 0.2 again (repeat, not probed twice), 0.4 -> 20002, 0.6 -> 20003, 0.99 -> 20004
    const ports = await pickPorts(3, {
      range: { from: 20_000, to: 20_004 },
      isFree: async (p) => (probed.push(p), p !== 20_001),
      random: seq([0.2, 0.2, 0.4, 0.6, 0.99]),
    });
    expect(ports).toEqual([20_002, 20_003, 20_004]);
    expect(probed).toEqual([20_001, 20_002, 20_003, 20_004]);
  });

  it("never returns a default service port or an excluded one", async () => {
    // 6378..6380: 6379 is Redis' default, 6378 excluded -> only 6380 is possible.
    const ports = await pickPorts(1, { range: { from: 6378, to: 6380 }, isFree: async () => true, exclude: [6378], random: seq([0, 0.5, 0.99]) });
    expect(ports).toEqual([6380]);
  });

  it("gives up with a clear error when the range is exhausted", async () => {
    await expect(pickPorts(2, { range: { from: 6379, to: 6380 }, isFree: async () => true, exclude: [6380], maxAttempts: 20 })).rejects.toThrow(/could not find 2 free ports in 6379-6380 after 20 probes \(found 0\)/);
    expect(RESERVED_PORTS.has(6379)).toBe(true);
  });

  it("refuses a range outside 1024-65535", async () => {
    await expect(pickPorts(1, { range: { from: 80, to: 90 }, isFree: async () => true })).rejects.toThrow(/not within 1024-65535/);
  });
});

describe("canBind / freeOn", () => {
  it("sees a port taken by a listening server as busy, and free once it closes", async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    const port = (srv.address() as { port: number }).port;
    expect(await canBind("127.0.0.1", port)).toBe(false);
    expect(await freeOn(["127.0.0.1"])(port)).toBe(false);
    await new Promise<void>((r) => srv.close(() => r()));
    expect(await canBind("127.0.0.1", port)).toBe(true);
  });
});

describe("loopbackPort", () => {
  it("hands out ports below the kernel's ephemeral range, never one twice in a process, even before anything binds them", async () => {
    // The range an outgoing connection takes its port from: a server's port must lie outside it.
    const [ephemeralLow] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    expect(PORT_RANGE.to).toBeLessThan(ephemeralLow);
    const ports: number[] = [];
    for (let i = 0; i < 50; i++) ports.push(await loopbackPort());
    expect(new Set(ports).size).toBe(50);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(PORT_RANGE.from);
      expect(p).toBeLessThanOrEqual(PORT_RANGE.to);
      expect(RESERVED_PORTS.has(p)).toBe(false);
    }
  });
});
