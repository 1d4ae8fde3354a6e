import { describe, expect, it } from "vitest";
import { deepMerge } from "../settings/defaults";
import { SettingsError, parseSettings } from "../settings/load";
import { loadStackSettings, readStackFile } from "../settings/stackFile";
import { loadRouterConfig, parseRouterConfig } from "./config";
import { sampleConfig } from "./testing";

describe("readRouting settings", () => {
  it("defaults: every 2 s, 1 s connect bound, a pinned Node image", () => {
    expect(loadStackSettings("dev").readRouting).toEqual({ enabled: true, intervalMs: 2000, connectTimeoutMs: 1000, baseImage: expect.stringMatching(/^node:\d+\.\d+\.\d+-alpine/) });
    expect(loadStackSettings("prod").readRouting.intervalMs).toBe(2000);
  });

  it("refuses a connect bound that does not fit in the interval, and an interval too short, naming the keys", () => {
    const raw = readStackFile("dev").raw;
    let problems: string[] = [];
    try {
      parseSettings({ ...raw, values: deepMerge(raw.values, { readRouting: { intervalMs: 100, connectTimeoutMs: 5000 } }) });
    } catch (e) {
      problems = (e as SettingsError).problems.map((p) => `${p.key}: ${p.message}`);
    }
    expect(problems.join("\n")).toMatch(/data-tier:readRouting\.intervalMs: .*at least 200/);
    try {
      parseSettings({ ...raw, values: deepMerge(raw.values, { readRouting: { intervalMs: 1000, connectTimeoutMs: 1000 } }) });
      expect.unreachable();
    } catch (e) {
      expect((e as SettingsError).problems.map((p) => `${p.key}: ${p.message}`).join("\n")).toMatch(/data-tier:readRouting\.connectTimeoutMs: is 1000, not below readRouting\.intervalMs 1000/);
    }
  });
});

describe("the router's configuration document", () => {
  it("parses a complete document", () => {
    expect(parseRouterConfig(sampleConfig(), "t").replicas.map((r) => r.name)).toEqual(["r1", "r2"]);
  });

  it("lists every problem with its key and never echoes a password", () => {
    const bad = { ...sampleConfig(), intervalMs: "often", replicas: [{ name: "r1", host: "", port: 0 }], monitoring: { user: "m", password: 42 } } as Record<string, unknown>;
    let msg = "";
    try {
      parseRouterConfig(bad, "router.json");
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^router\.json: not a read-router configuration \(4 problems\)/);
    expect(msg).toMatch(/intervalMs:/);
    expect(msg).toMatch(/replicas\.0\.host:/);
    expect(msg).toMatch(/replicas\.0\.port:/);
    expect(msg).toMatch(/monitoring\.password: expected a non-empty string/);
    expect(msg).not.toContain("42");
  });

  it("refuses a connect bound not below the interval", () => {
    expect(() => parseRouterConfig({ ...sampleConfig(), connectTimeoutMs: 5000 }, "t")).toThrow(/connectTimeoutMs \(5000\) must be below intervalMs \(2000\)/);
  });

  it("reads the document from the environment, passwords from their own variables", () => {
    const doc = sampleConfig();
    doc.monitoring.password = "placeholder";
    const cfg = loadRouterConfig(undefined, { READ_ROUTER_CONFIG: JSON.stringify(doc), READ_ROUTER_MONITORING_PASSWORD: "m-secret", READ_ROUTER_CONSOLE_PASSWORD: "c-secret" });
    expect(cfg.monitoring.password).toBe("m-secret");
    expect(cfg.pgbouncer.console.password).toBe("c-secret");
  });

  it("says what is missing when there is no document at all, or a file cannot be read", () => {
    expect(() => loadRouterConfig(undefined, {})).toThrow(/no read-router configuration: give a file .* or set READ_ROUTER_CONFIG/);
    expect(() => loadRouterConfig("/nonexistent/router.json", {})).toThrow(/\/nonexistent\/router\.json: cannot read the read-router configuration \(ENOENT\)/);
    expect(() => loadRouterConfig(undefined, { READ_ROUTER_CONFIG: "{" })).toThrow(/\$READ_ROUTER_CONFIG: not valid JSON/);
  });
});
