/**
 * The committed RDS PostgreSQL 15 versions hold together: dated and sourced, names as RDS
 * gives them, every version RDS stopped creating among them, at least one it creates.
 */
import { describe, expect, it } from "vitest";
import { RDS_CATALOGUE, compareVersions, creatableVersions, rdsEngineVersionProblems, rdsEngineVersions } from "./index";

describe("RDS PostgreSQL 15 engine versions (rds.json)", () => {
  const c = rdsEngineVersions("15.8")!;

  it("is dated and sourced, and lists each version once, in order, as RDS names them", () => {
    expect(c).toBe(RDS_CATALOGUE.engines.postgres15.engineVersions);
    expect(c.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(c.source).toMatch(/DescribeDBEngineVersions/);
    expect(new Set(c.versions).size).toBe(c.versions.length);
    for (const v of c.versions) expect(v).toMatch(/^15\.\d+$/);
    expect([...c.versions].sort(compareVersions)).toEqual(c.versions);
    for (const v of Object.keys(c.notCreatable)) expect(c.versions, v).toContain(v);
    if (c.default !== null) expect(creatableVersions(c)).toContain(c.default);
    expect(creatableVersions(c).length).toBeGreaterThan(0);
  });

  it("judges every listed version by whether RDS still creates it", () => {
    for (const v of c.versions) expect(rdsEngineVersionProblems(v).length, v).toBe(Object.hasOwn(c.notCreatable, v) ? 1 : 0);
    expect(rdsEngineVersionProblems("15")).toEqual([]);
    expect(rdsEngineVersionProblems("15.99")[0].path).toEqual(["postgres", "engineVersion"]);
  });

  it("says nothing of a major it has no versions for", () => {
    expect(rdsEngineVersions("16")).toBeUndefined();
    expect(rdsEngineVersionProblems("16.1")).toEqual([]);
  });
});
