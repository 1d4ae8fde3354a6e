import { describe, expect, it } from "vitest";
import { routedLine, routingBroken, routingLost } from "./readRoutingDrill";

describe("routingBroken", () => {
  it("names each router promise not kept, including reads that never came back to a replica", () => {
    expect(routingBroken({ outMs: 1200, inMs: 400, backMs: 450 })).toEqual([]);
    expect(routingBroken({ outMs: null, inMs: 400, backMs: 450 })).toEqual(["the read router did not take the broken replica(s) out"]);
    expect(routingBroken({ outMs: 1200, inMs: 400, backMs: null })).toEqual(["no read was served by a replica again after the repair"]);
    expect(routingBroken({ outMs: 1200, inMs: null, backMs: null })).toHaveLength(2);
  });
});

describe("routingLost", () => {
  it("counts failed reads past the bound before and after the repair (a restarted server's stale address)", () => {
    const l = routingLost(2000, { failedAfterBound: 0, failedAfterRepair: 7 });
    expect(l.count).toBe(7);
    expect(l.what).toBe("reads");
    expect(l.note).toBe("failed ones begun more than 3.0 s after the break (one router interval + 1 s): 0 before the repair, 7 after it");
  });
});

describe("routedLine", () => {
  it("says in words and seconds where reads went, without ratios to decode", () => {
    expect(routedLine(["postgres-replica-1"], 1600, [], true, 2300, 2000, 0)).toBe(
      "the router took postgres-replica-1 out of the read-only pool 1.6 s after the break; no replica is left, so it points at the primary; first read served by the primary 2.3 s after the break; failed reads begun more than 3.0 s after the break (one router interval + 1 s, the promise): 0",
    );
    expect(routedLine(["r1"], 900, ["r2"], false, 900, 2000, 1)).toContain("it now points at r2; first read served by the remaining replicas 0.9 s after the break");
    expect(routedLine(["r1"], null, null, true, null, 2000, 3)).toBe("the router did not take r1 out of the read-only pool; no read served by the primary yet; failed reads begun more than 3.0 s after the break (one router interval + 1 s, the promise): 3");
  });
});
