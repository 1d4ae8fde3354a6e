/** Stateful children: production protect, a caller's protect kept, delete-first only where the name must stay. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { mockCall, mockNewResource } from "../tools/evaluate/mocks";
import { RedisCluster } from "./redis";
import { inheritedProtect, statefulOptions } from "./options";
import { loadStackSettings } from "./settings/stackFile";

const redis = loadStackSettings("prod").redis;
const aws = { subnetIds: ["subnet-0a11111111111111a"], securityGroupIds: ["sg-0a1b2c3d4e5f60718"] };

type Internal = { __protect?: boolean; __childResources?: Set<Internal>; constructor: { name: string } };
/** Every descendant of a resource, as the SDK links them. */
function descendants(r: pulumi.Resource): Internal[] {
  const out: Internal[] = [];
  const walk = (x: Internal) => x.__childResources?.forEach((c) => (out.push(c), walk(c)));
  walk(r as unknown as Internal);
  return out;
}

beforeAll(() => {
  pulumi.runtime.setMocks({ newResource: mockNewResource, call: mockCall }, "data-tier", "unit", false);
});

describe("statefulOptions", () => {
  const parent = (protect?: boolean) => new pulumi.ComponentResource("test:index:Parent", `p-${String(protect)}`, {}, protect === undefined ? {} : { protect });

  it("production: protected, never deleted first", () => {
    expect(statefulOptions(parent(), true, { fixedName: true })).toEqual({ parent: expect.anything(), protect: true });
  });

  it("outside production a fixed name is deleted first, and protect is left to inheritance", () => {
    const o = statefulOptions(parent(), false, { fixedName: true });
    expect(o.deleteBeforeReplace).toBe(true);
    expect("protect" in o).toBe(false);
    expect(statefulOptions(parent(), false)).toEqual({ parent: expect.anything() });
  });

  it("a caller's protect: true is inherited and forbids deleting first", () => {
    const p = parent(true);
    expect(inheritedProtect(p)).toBe(true);
    const o = statefulOptions(p, false, { fixedName: true });
    expect(o.deleteBeforeReplace).toBeUndefined();
    expect("protect" in o).toBe(false);
  });
});

describe("RedisCluster outside production", () => {
  it("keeps a caller's protect: true on every child", () => {
    const c = new RedisCluster("guarded", { settings: redis, production: false, replicationGroupId: "guarded-redis", aws }, { protect: true });
    const kids = descendants(c);
    expect(kids.length).toBeGreaterThan(5);
    for (const k of kids) expect(k.__protect, k.constructor.name).toBe(true);
  });

  it("protects nothing when the caller does not ask", () => {
    const c = new RedisCluster("plain", { settings: redis, production: false, replicationGroupId: "plain-redis", aws });
    expect(descendants(c).filter((k) => k.__protect === true)).toEqual([]);
  });
});
