/** The organization bucketing: stable, monotonic in the percentage, and close to the asked share. */
import { describe, expect, it } from "vitest";
import { PHASES } from "./phases";
import { appliesTo, organizationBucket } from "./bucket";

const orgs = Array.from({ length: 20_000 }, (_, i) => `org-${i}`);

describe("organization buckets", () => {
  it("are stable and within [0, 100)", () => {
    for (const o of orgs.slice(0, 100)) {
      expect(organizationBucket(o)).toBe(organizationBucket(o));
      expect(organizationBucket(o)).toBeGreaterThanOrEqual(0);
      expect(organizationBucket(o)).toBeLessThan(100);
    }
    expect(new Set(orgs.slice(0, 100).map(organizationBucket)).size).toBeGreaterThan(90);
  });

  it("each phase exposes about its share, never an organization a smaller phase exposed less", () => {
    let previous = new Set<string>();
    for (const p of PHASES) {
      const exposed = new Set(orgs.filter((o) => appliesTo(o, p.percentage)));
      const share = (100 * exposed.size) / orgs.length;
      expect(Math.abs(share - p.percentage), `${p.name}: ${share.toFixed(2)}%`).toBeLessThan(0.75);
      for (const o of previous) expect(exposed.has(o)).toBe(true);
      previous = exposed;
    }
    expect(previous.size).toBe(orgs.length);
    expect(orgs.some((o) => appliesTo(o, 0))).toBe(false);
  });
});
