/** Every alarm in the catalogue names who feeds it, and every custom metric an alarm reads has a publisher in this repository. */
import { describe, expect, it } from "vitest";
import { runProgram } from "../../testing/harness";
import { parseStackOutputs } from "../contract/outputs";
import { loadStackSettings } from "../settings/stackFile";
import { DOCUMENTED_THRESHOLDS } from "../thresholds/thresholds";
import { alarmPlan, CUSTOM_METRICS } from "./catalogue";
import { expectedAlarms } from "../../checks/alarms/expected";

describe("alarm publishers", () => {
  it("prod: every alarm is fed by AWS (its own namespaces) or by the scheduled checks (the custom namespace), and the schedule exists", async () => {
    const run = await runProgram({ stack: "prod" });
    const outputs = parseStackOutputs(run.outputs, "prod");
    const { specs } = expectedAlarms(outputs);
    expect(specs.map((s) => s.name).sort()).toEqual([...outputs.alarms.alarmNames].sort());
    const ns = loadStackSettings("prod").alarms.customMetricNamespace;
    for (const s of specs) {
      expect(["aws", "scheduled checks"], s.id).toContain(s.publisher);
      if (s.publisher === "aws") expect(s.namespace, s.id).toMatch(/^(AWS\/|ECS\/ContainerInsights$)/);
      else expect(s.namespace, s.id).toBe(ns);
    }
    // Something runs the checks with --publish-metrics: the schedule, in the outputs and registered.
    expect(specs.some((s) => s.publisher === "scheduled checks")).toBe(true);
    expect(outputs.checks.aws?.scheduleName).toBeTruthy();
    const schedule = run.resources.find((r) => r.type === "aws:scheduler/schedule:Schedule")!;
    expect(JSON.parse(schedule.inputs.target.input).containerOverrides[0].command).toContain("--publish-metrics");
    // The monitor on the monitor.
    expect(specs.find((s) => s.kind === "scheduledChecksSilent")).toMatchObject({ publisher: "scheduled checks", treatMissingData: "breaching" });
  });

  it("every custom metric a catalogue alarm reads is one of the metrics the scheduled checks publish", () => {
    const specs = alarmPlan({
      namePrefix: "x",
      environment: "prod",
      settings: { periodSeconds: 60, evaluationPeriods: 5, datapointsToAlarm: 3, customMetricNamespace: "DataTier", baseline: loadStackSettings("prod").alarms.baseline },
      thresholds: DOCUMENTED_THRESHOLDS,
      postgresMaxConnections: 100,
      topology: { redis: null, postgres: null, pgbouncer: null, partitionTables: ["orders"], scheduledChecks: { minutes: 5 } },
    });
    const published = new Set(Object.values(CUSTOM_METRICS).map((m) => m.metricName));
    for (const s of specs.filter((x) => x.publisher === "scheduled checks")) expect(published, s.id).toContain(s.metric!.metricName);
    // Each custom metric names who publishes it: the scheduled checks, or the read router sidecar.
    for (const m of Object.values(CUSTOM_METRICS)) expect(m.publisher, m.metricName).toMatch(/^(scheduled checks \(|the read router[ ,])/);
  });
});
