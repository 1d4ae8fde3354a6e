import { describe, expect, it } from "vitest";
import { SELF_MANAGED_DISK_USED_PERCENT } from "../components/thresholds/thresholds";
import { diskChecks, judgeDisk, usedPercent, type DiskUsage } from "./disk";
import { sampleOutputs } from "../testing/fixtures/outputs";

const at = (node: string, usedPercent: number): DiskUsage => ({ node, path: `/data/${node}`, usedPercent, freeBytes: 10 << 20 });

describe("usedPercent", () => {
  it("counts as df does: root-reserved blocks are neither used nor available", () => {
    expect(usedPercent({ blocks: 100, bfree: 20, bavail: 20 })).toBe(80);
    // 5 reserved blocks: 80 used of 80 + 15 available.
    expect(usedPercent({ blocks: 100, bfree: 20, bavail: 15 })).toBeCloseTo(84.21, 2);
    expect(usedPercent({ blocks: 0, bfree: 0, bavail: 0 })).toBe(0);
  });
});

describe("judgeDisk", () => {
  const { warning, critical } = SELF_MANAGED_DISK_USED_PERCENT;

  it("judges the fullest node against the levels of the thresholds module", () => {
    expect(judgeDisk([at("a", warning - 1), at("b", 10)]).status).toBe("PASS");
    const warn = judgeDisk([at("a", warning + 0.5), at("b", 10)]);
    expect(warn.status).toBe("WARN");
    expect(warn.message).toMatch(/^disk filling: a 80\.5% used \(10 MiB free at \/data\/a\)$/);
    const fail = judgeDisk([at("a", warning + 1), at("b", critical + 1)]);
    expect(fail.status).toBe("FAIL");
    expect(fail.message).toContain("disk nearly full: b 91.0% used");
    expect(fail.measured).toEqual({ value: critical + 1, unit: "percent" });
    expect(fail.threshold).toBe(`warning > ${warning}% used, critical > ${critical}% used`);
  });

  it("at a level exactly is not past it", () => {
    expect(judgeDisk([at("a", warning)]).status).toBe("PASS");
    expect(judgeDisk([at("a", critical)]).status).toBe("WARN");
  });

  it("says which nodes it could not measure, SKIPs when none could be (containers), FAILs when none answered", () => {
    expect(judgeDisk([at("a", 10)], ["redis r1: not on this host"]).message).toMatch(/; not measured: redis r1: not on this host$/);
    expect(judgeDisk([], ["postgres primary: in a container"]).status).toBe("SKIP");
    expect(judgeDisk([], [], ["postgres primary: connection refused"]).status).toBe("FAIL");
    // The dev stack with a replica stopped: the others answer from containers, the stopped one is not the disk check's to fail.
    expect(judgeDisk([], ["postgres primary: in a container"], ["postgres replica-1: connection refused"]).status).toBe("SKIP");
  });
});

describe("diskChecks", () => {
  it("exists on self-managed platforms only", () => {
    const o = sampleOutputs();
    expect(diskChecks({ ...o, platform: "aws" })).toEqual([]);
    expect(diskChecks({ ...o, platform: "docker" }).map((c) => c.id)).toEqual(["system.disk-space"]);
  });
});

