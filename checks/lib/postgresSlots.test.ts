import { describe, expect, it } from "vitest";
import type { StackOutputs } from "../../components/contract/outputs";
import { loopbackPort } from "../../sandbox/ports";
import { acquireSlot, MAX_CONNECTIONS_PER_SERVER, withPg } from "./postgres";

describe("connection slots per server (the suite's load on one Postgres is capped whatever the topology)", () => {
  it("never holds more than the limit at once; waiters go in order as slots free", async () => {
    const signal = new AbortController().signal;
    let busy = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const release = await acquireSlot("test:1", signal, 3);
        busy++;
        peak = Math.max(peak, busy);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        busy--;
        release();
      }),
    );
    expect(peak).toBe(3);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("a waiter whose check times out leaves the queue with a clear error, and does not take a slot later", async () => {
    const hold = await acquireSlot("test:2", new AbortController().signal, 1);
    const ac = new AbortController();
    const waiting = acquireSlot("test:2", ac.signal, 1);
    ac.abort();
    await expect(waiting).rejects.toThrow("aborted while waiting for one of the 1 connection slots to test:2");
    hold();
    // The slot is free again (the aborted waiter did not take it).
    const next = await acquireSlot("test:2", new AbortController().signal, 1);
    next();
  });

  it("servers do not share slots", async () => {
    const a = await acquireSlot("a:1", new AbortController().signal, 1);
    const b = await acquireSlot("b:1", new AbortController().signal, 1);
    a();
    b();
  });
});

describe("uncapped logins (judged by the connect deadline itself)", () => {
  it("do not wait behind the sessions that hold every slot of a server; capped ones do", async () => {
    const port = await loopbackPort(); // nothing listens: refused at once
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_SERVER }, () => acquireSlot(`127.0.0.1:${port}`, new AbortController().signal)));
    const target = { host: "127.0.0.1", port, database: "app", user: "app", password: "x", tls: false, label: "Postgres primary directly" };
    const ctx = (signal: AbortSignal) => ({ outputs: {} as StackOutputs, signal, timeoutMs: 3_000 });
    const t0 = performance.now();
    await expect(withPg(ctx(new AbortController().signal), target, (c) => c.query("SELECT 1"), { uncapped: true })).rejects.toThrow(/refused/i);
    expect(performance.now() - t0).toBeLessThan(1_000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(withPg(ctx(ac.signal), target, (c) => c.query("SELECT 1"))).rejects.toThrow(/aborted while waiting for one of the 6 connection slots/);
    for (const release of held) release();
  });
});
