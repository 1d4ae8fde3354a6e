import { describe, expect, it } from "vitest";
import { allStreamingAcked, judgeStreaming, type WalSender } from "./walAcks";

const sender = (name: string, over: Partial<WalSender> = {}): WalSender => ({ name, slot: `slot_${name}`, state: "streaming", acked: true, replyAgeSeconds: 0.01, replayLagSeconds: 0.002, ...over });

describe("postgres.streaming: replicas that stream but do not acknowledge a write", () => {
  it("PASS when every expected replica acknowledged, with the largest replay_lag", () => {
    const r = judgeStreaming(2, [sender("a"), sender("b", { replayLagSeconds: 0.25 })], 12);
    expect(r.status).toBe("PASS");
    expect(r.message).toBe("2 replica(s) streaming and acknowledging WAL (2 expected); max replay_lag 0.25 s");
  });

  it("a frozen replica (streaming, never acknowledging) is not counted and is named with its last reply", () => {
    const r = judgeStreaming(2, [sender("postgres-replica-1", { acked: false, replyAgeSeconds: 7.43 }), sender("postgres-replica-2")], 2003);
    expect(r.status).toBe("WARN");
    expect(r.measured).toEqual({ value: 1, unit: "count" });
    expect(r.message).toBe("only 1 of 2 replica(s) streaming from the primary; connected but not acknowledging a write for 2 s (frozen or hung?): postgres-replica-1 (slot slot_postgres-replica-1), last reply 7.4 s ago");
  });

  it("FAIL when the only replica is frozen; the same message shape as a dead one otherwise", () => {
    expect(judgeStreaming(1, [sender("r", { acked: false, slot: null, replyAgeSeconds: null })], 2000)).toMatchObject({ status: "FAIL", message: "only 0 of 1 replica(s) streaming from the primary; connected but not acknowledging a write for 2 s (frozen or hung?): r" });
    expect(judgeStreaming(1, [], 0)).toMatchObject({ status: "FAIL", message: "only 0 of 1 replica(s) streaming from the primary" });
  });

  it("walsenders in another state (catchup, startup) are named and not counted", () => {
    const r = judgeStreaming(2, [sender("a"), sender("b", { state: "catchup", acked: false })], 2000);
    expect(r.status).toBe("WARN");
    expect(r.message).toBe("only 1 of 2 replica(s) streaming from the primary; not streaming: b (slot slot_b) catchup");
  });

  it("polling stops once every streaming sender acknowledged, not before", () => {
    expect(allStreamingAcked([sender("a"), sender("b", { state: "catchup", acked: false })])).toBe(true);
    expect(allStreamingAcked([sender("a"), sender("b", { acked: false })])).toBe(false);
  });
});
