import { describe, expect, it } from "vitest";
import { diffSnapshots, renderDiff, stable, verdict } from "./diff";
import { REPLACEMENT_RULES, replacingProperties } from "./replacement";
import { forDisplay, maskedInputs, secretDigest, snapshotOf, type RecordedLike } from "./snapshot";

const KEY = "test-key";
const RDS = "aws:rds/instance:Instance";
const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const TG = "aws:lb/targetGroup:TargetGroup";

function rec(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<RecordedLike> = {}): RecordedLike {
  return { urn: `urn:pulumi:prod::data-tier::${type}::${name}`, type, name, custom: true, inputs, secretInputs: [], protect: false, ...extra };
}
const snap = (...rs: RecordedLike[]) => snapshotOf(rs, KEY);

describe("replacement table", () => {
  it("names the forcing inputs of every data-bearing type, with a source", () => {
    for (const [type, rule] of Object.entries(REPLACEMENT_RULES)) {
      expect(rule.forcesReplacement.length, type).toBeGreaterThan(0);
      expect(rule.source).toMatch(/terraform-provider-aws internal\/service\/\w+\/\w+\.go$/);
    }
    expect(replacingProperties(RDS, ["username", "instanceClass"])).toEqual(["username"]);
    expect(replacingProperties(RG, ["port", "nodeType"])).toEqual(["port"]);
    expect(replacingProperties(ALARM, ["threshold"])).toEqual([]);
  });
});

describe("diffSnapshots", () => {
  const primary = rec(RDS, "pg", { identifier: "x-pg", username: "dbadmin", instanceClass: "db.r6g.large" }, { protect: true });

  it("is empty for identical runs, whatever the key order", () => {
    const a = rec(ALARM, "lag", { threshold: 10, metricName: "ReplicaLag" });
    const b = rec(ALARM, "lag", { metricName: "ReplicaLag", threshold: 10 });
    expect(diffSnapshots(snap(a, primary), snap(b, primary))).toEqual([]);
    expect(renderDiff([], { refused: [], collisions: [] })).toEqual(["no changes"]);
  });

  it("an update names the changed inputs with before and after", () => {
    const [c] = diffSnapshots(snap(rec(ALARM, "lag", { threshold: 10 })), snap(rec(ALARM, "lag", { threshold: 15 })));
    expect(c).toMatchObject({ kind: "update", replacedBy: [], changes: [{ property: "threshold", before: 10, after: 15 }], dataBearing: false });
  });

  it("a replace names the forcing input and a kept physical name as a collision", () => {
    const after = rec(RDS, "pg", { ...primary.inputs, username: "admin2", instanceClass: "db.r6g.xlarge" }, { protect: true });
    const [c] = diffSnapshots(snap(primary), snap(after));
    expect(c).toMatchObject({ kind: "replace", replacedBy: ["username"], collision: "x-pg", protect: true, dataBearing: true });
    expect(c.changes.map((x) => x.property)).toEqual(["instanceClass", "username"]);
    const text = renderDiff([c], verdict([c], { production: true, allowReplace: false })).join("\n");
    expect(text).toContain("forced by: username");
    expect(text).toContain('FAILS AT DEPLOY: the replacement is created under the same name "x-pg"');
    expect(text).toContain("refused without --allow-replace");
  });

  it("no collision when the resource is deleted first or its name changes", () => {
    const dbr = rec(RDS, "pg", { ...primary.inputs, username: "admin2" }, { deleteBeforeReplace: true });
    expect(diffSnapshots(snap(primary), snap(dbr))[0]).toMatchObject({ kind: "replace", collision: undefined, deleteBeforeReplace: true });
    const tgBefore = rec(TG, "tg", { name: "pgb-tg-aaaaaa", port: 6432 });
    const tgAfter = rec(TG, "tg", { name: "pgb-tg-bbbbbb", port: 6433 });
    expect(diffSnapshots(snap(tgBefore), snap(tgAfter))[0]).toMatchObject({ kind: "replace", replacedBy: ["name", "port"], collision: undefined });
  });

  it("a conditional forcing input is an update with a note", () => {
    const [c] = diffSnapshots(snap(rec(RG, "rg", { engineVersion: "7.1" })), snap(rec(RG, "rg", { engineVersion: "7.0" })));
    expect(c.kind).toBe("update");
    expect(c.notes[0]).toMatch(/engineVersion forces a replacement on a downgrade/);
  });

  it("creates and deletes, and a create that takes a deleted resource's name collides", () => {
    const old = rec(RG, "old-name", { replicationGroupId: "x-redis" });
    const moved = rec(RG, "new-name", { replicationGroupId: "x-redis" });
    const other = rec(ALARM, "new", { threshold: 1 });
    const changes = diffSnapshots(snap(old), snap(moved, other));
    // Deletes first, then creates, each by URN.
    expect(changes.map((c) => [c.kind, c.name])).toEqual([["delete", "old-name"], ["create", "new"], ["create", "new-name"]]);
    expect(changes.find((c) => c.name === "new-name")?.collision).toBe("x-redis");
    expect(changes.find((c) => c.name === "new")?.collision).toBeUndefined();
  });

  it("components are not diffed", () => {
    const comp = { ...rec("datatier:redis:RedisCluster", "c", { a: 1 }), custom: false };
    expect(diffSnapshots(snap(comp), snap({ ...comp, inputs: { a: 2 } }))).toEqual([]);
  });
});

describe("verdict", () => {
  const del = diffSnapshots(snap(rec(RDS, "pg", { identifier: "x" })), snap());
  it("production refuses a data-bearing replace or delete unless allowed", () => {
    expect(verdict(del, { production: true, allowReplace: false }).refused).toHaveLength(1);
    expect(verdict(del, { production: true, allowReplace: true }).refused).toHaveLength(0);
    expect(verdict(del, { production: false, allowReplace: false }).refused).toHaveLength(0);
  });
  it("a non-data-bearing delete is never refused", () => {
    const d = diffSnapshots(snap(rec(ALARM, "a", {})), snap());
    expect(verdict(d, { production: true, allowReplace: false }).refused).toHaveLength(0);
  });
});

describe("secrets in snapshots", () => {
  const r = rec("aws:secretsmanager/secretVersion:SecretVersion", "v", { secretString: "hunter2-password", nested: { list: ["a", "deep-secret"] }, plain: "ok" }, { secretInputs: ["secretString"], secretPaths: ["secretString", "nested.list.1"] });

  it("masks every secret path for printing", () => {
    expect(maskedInputs(r)).toEqual({ secretString: "[secret]", nested: { list: ["a", "[secret]"] }, plain: "ok" });
    // An older harness without secretPaths: top-level secrets still masked.
    expect(maskedInputs({ ...r, secretPaths: undefined })).toMatchObject({ secretString: "[secret]" });
  });

  it("compares secrets by keyed digest and prints them as [secret]", () => {
    const changed = { ...r, inputs: { ...r.inputs, secretString: "another-password" } };
    const [c] = diffSnapshots(snap(r), snap(changed));
    expect(c.changes).toEqual([{ property: "secretString", before: "[secret]", after: "[secret]" }]);
    expect(JSON.stringify(snap(r))).not.toContain("hunter2");
    expect(secretDigest("k1", "x")).not.toBe(secretDigest("k2", "x"));
    expect(forDisplay({ a: [secretDigest(KEY, 1)] })).toEqual({ a: ["[secret]"] });
    expect(stable({ b: 1, a: undefined })).toBe(stable({ b: 1 }));
  });
});
