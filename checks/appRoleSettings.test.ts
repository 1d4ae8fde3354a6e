import { describe, expect, it } from "vitest";
import { roleSettingDrift, settingMs } from "./appRoleSettings";

const as = (role: string, config: string[], database: string | null = null) => ({ role, database, config });
const stacks = ["statement_timeout=30000", "idle_in_transaction_session_timeout=60000"];

describe("roleSettingDrift: the application roles' stored defaults against the stack's", () => {
  it("nothing when each role carries exactly the stack's, in any unit PostgreSQL stores", () => {
    expect(roleSettingDrift(["app", "app_readonly"], [as("app", stacks), as("app_readonly", ["statement_timeout=30s", "idle_in_transaction_session_timeout=1min"])])).toEqual([]);
  });

  it("names a changed value, a missing one, one the stack never set, and settings for one database", () => {
    const drift = roleSettingDrift(["app", "app_readonly"], [as("app", ["statement_timeout=0", "default_transaction_read_only=on", "work_mem=2GB"]), as("app_readonly", stacks), as("app_readonly", ["search_path=evil"], "app")]);
    expect(drift).toEqual([
      "app has statement_timeout = 0, not 30000 ms",
      "app lacks idle_in_transaction_session_timeout = 60000 ms",
      "app has default_transaction_read_only = on",
      "app has work_mem = 2GB",
      "app_readonly has settings for database app: search_path=evil",
    ]);
  });

  it("a role with no stored settings at all lacks both", () => {
    expect(roleSettingDrift(["app"], [])).toEqual(["app lacks statement_timeout = 30000 ms", "app lacks idle_in_transaction_session_timeout = 60000 ms"]);
  });

  it("a value with '=' in it is kept whole", () => {
    expect(roleSettingDrift(["app"], [as("app", [...stacks, "application_name=a=b"])])).toEqual(["app has application_name = a=b"]);
  });
});

describe("settingMs", () => {
  it("reads PostgreSQL's time units; a bare number is ms; anything else is not a time", () => {
    expect(["30000", "30s", "30000ms", "0.5min", "1h", "1d"].map(settingMs)).toEqual([30_000, 30_000, 30_000, 30_000, 3_600_000, 86_400_000]);
    expect(settingMs("thirty")).toBeNaN();
    expect(settingMs("30 weeks")).toBeNaN();
  });
});
