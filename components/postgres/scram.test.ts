import { describe, expect, it } from "vitest";
import { isScramVerifier, scramVerifier, verifierMatches } from "./scram";

describe("client-side SCRAM-SHA-256 verifiers", () => {
  it("has pg_authid's format and checks against its password (a real login with it: sandbox/rolePasswords.int.test.ts)", () => {
    const v = scramVerifier("postgres", "yTo5lMI+1XyqZOcvYz99Kw==");
    expect(isScramVerifier(v)).toBe(true);
    expect(v.startsWith("SCRAM-SHA-256$4096:yTo5lMI+1XyqZOcvYz99Kw==$")).toBe(true);
    expect(verifierMatches(v, "postgres")).toBe(true);
    expect(verifierMatches(v, "postgreS")).toBe(false);
  });

  it("is deterministic for a given salt, random without one, and never contains the password", () => {
    const salt = Buffer.alloc(16, 7).toString("base64");
    expect(scramVerifier("abcDEF123456", salt)).toBe(scramVerifier("abcDEF123456", salt));
    expect(scramVerifier("abcDEF123456")).not.toBe(scramVerifier("abcDEF123456"));
    expect(scramVerifier("abcDEF123456")).not.toContain("abcDEF123456");
  });

  it("refuses what SASLprep could change, and short salts", () => {
    expect(() => scramVerifier("pässword")).toThrow(/printable ASCII/);
    expect(() => scramVerifier("")).toThrow(/printable ASCII/);
    expect(() => scramVerifier("ok-password", "c2FsdA==")).toThrow(/at least 16 bytes/);
  });
});
