/** The ACL definition's pure parts: lines for redis.conf / sentinel.conf and ElastiCache access strings. */
import { describe, expect, it } from "vitest";
import { aclUserLine, dataNodeAclLines, dataNodeRules, elasticacheAccessStrings, REDIS_ROLES, REDIS_USERS, sentinelAclLines, supportsAcl, type RedisUserPasswords } from "./acl";

const PW: RedisUserPasswords = { application: "a1", replication: "r1", sentinel: "s1", monitoring: "m1", operator: "o1" };

describe("one ACL definition", () => {
  it("gives every role its own user and password, default off, on data nodes", () => {
    const lines = dataNodeAclLines(PW);
    expect(lines[0]).toBe("user default off resetpass -@all");
    for (const r of REDIS_ROLES) expect(lines.filter((l) => l.startsWith(`user ${REDIS_USERS[r]} on >${PW[r]} `)), r).toHaveLength(1);
    expect(new Set(Object.values(REDIS_USERS)).size).toBe(REDIS_ROLES.length);
  });

  it("leaves the replication user off the Sentinels, and requires auth there for everyone else", () => {
    const lines = sentinelAclLines(PW);
    expect(lines[0]).toBe("user default off resetpass -@all");
    expect(lines.some((l) => l.startsWith("user replica "))).toBe(false);
    expect(lines.map((l) => l.split(" ")[1]).sort()).toEqual(["app", "default", "monitor", "operator", "sentinel"]);
  });

  it("does not name a command the settings renamed away (Redis would refuse the user line at start)", () => {
    const rules = dataNodeRules(["INFO", "SCRIPT", "PING"]);
    for (const r of Object.values(rules)) expect(r.filter((x) => /^[+-](info|script\||ping)\b/.test(x))).toEqual([]);
    expect(rules.application).toContain("-@dangerous");
    expect(rules.application).toContain("-function|load");
  });

  it("refuses a password a user line cannot hold, naming the role", () => {
    expect(() => aclUserLine("monitoring", "monitor", "a b", [])).toThrow(/monitoring user's password contains a space/);
    expect(() => aclUserLine("operator", "operator", "", [])).toThrow(/operator user's password is empty/);
  });

  it("renders ElastiCache access strings ElastiCache accepts: on/off, no password, no reset; older engines' syntax", () => {
    const seven = elasticacheAccessStrings("redis", "7.1");
    expect(Object.keys(seven).sort()).toEqual(["application", "default", "monitoring", "operator"]);
    for (const a of Object.values(seven)) expect(a).toMatch(/^(on|off) (?!.*(>|<|#|\breset))/);
    expect(seven.application).toContain("-script|flush");
    // No Sentinel on ElastiCache: the application keeps every channel, without a selector.
    expect(seven.application).toMatch(/^on ~\* &\* \+@all .* -select -move$/);
    // 6.2: no subcommand removal, so SCRIPT goes except LOAD/EXISTS; 6.0: no channel rules either.
    const six2 = elasticacheAccessStrings("redis", "6.2");
    expect(six2.application).not.toMatch(/-(script|function)\|/);
    expect(six2.application).toMatch(/-script \+script\|load \+script\|exists$/);
    expect(six2.application).toContain("&*");
    expect(elasticacheAccessStrings("redis", "6.0").application).not.toContain("&");
    expect(elasticacheAccessStrings("valkey", "8.0")).toEqual(elasticacheAccessStrings("redis", "7.1"));
  });

  it("knows which engines have ACL users (ElastiCache RBAC likewise)", () => {
    expect(supportsAcl("redis", "5.0")).toBe(false);
    expect(supportsAcl("redis", "6.0")).toBe(true);
    expect(supportsAcl("valkey", "7.2")).toBe(true);
  });
});
