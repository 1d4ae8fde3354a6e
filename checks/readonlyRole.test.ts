import { describe, expect, it } from "vitest";
import { readonlyWritesMessage } from "./readonlyRole";

describe("readonlyWritesMessage", () => {
  it("nothing found: no message (the check PASSes)", () => {
    expect(readonlyWritesMessage("app_readonly", [])).toBeUndefined();
  });

  it("groups the privileges per object, names its owner, and says why it matters", () => {
    const m = readonlyWritesMessage("app_readonly", [
      { object: "table revenue_transactions", privilege: "INSERT", owner: "app" },
      { object: "table revenue_transactions", privilege: "UPDATE", owner: "app" },
      { object: "SECURITY DEFINER function public.f()", privilege: "EXECUTE", owner: "app" },
    ]);
    expect(m).toBe(
      "app_readonly may write: INSERT, UPDATE on table revenue_transactions (owner app); EXECUTE on SECURITY DEFINER function public.f() (owner app). The read-only pool falls back to the primary when no replica is healthy, where these succeed; REVOKE them (an owner may GRANT on what it owns; a SECURITY DEFINER function runs as its owner)",
    );
  });

  it("shows ten objects and counts the rest (a grant ON ALL TABLES over thousands of partitions stays one line)", () => {
    const rows = Array.from({ length: 25 }, (_, i) => ({ object: `table p${i}`, privilege: "DELETE", owner: "app" }));
    const m = readonlyWritesMessage("app_readonly", rows)!;
    expect(m.match(/DELETE on table p\d+/g)).toHaveLength(10);
    expect(m).toContain(", and 15 more.");
  });
});
