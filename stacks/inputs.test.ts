/**
 * No stringified value reaches any input: every registered input of both stacks is
 * walked (JSON documents inside strings too, such as the dashboard body) for the text of
 * a stringified Output, "[object Object]", "undefined", or NaN. The dashboard used to get
 * "Calling [toJSON] on an [Output<T>]..." as DBInstanceIdentifier, because a component
 * was passed inside pulumi.output(...), which does not unwrap resources.
 */
import { describe, expect, it } from "vitest";
import { runProgram, type RecordedResource } from "../testing/harness";

const BAD_TEXT: [RegExp, string][] = [
  [/Calling \[toJSON\] on an \[Output<T>\]|\[Output<T>\]|Calling \[toString\] on an \[Output/, "a stringified Output"],
  [/\[object Object\]/, '"[object Object]"'],
  [/\bundefined\b/, '"undefined" text'],
  [/\bNaN\b/, '"NaN" text'],
];

/** Every bad value under `v`, as "path: what". */
export function badValues(v: unknown, path: string): string[] {
  if (typeof v === "number") return Number.isNaN(v) || !Number.isFinite(v) ? [`${path}: ${v}`] : [];
  if (typeof v === "string") {
    const found = BAD_TEXT.filter(([re]) => re.test(v)).map(([, what]) => `${path}: ${what} in ${JSON.stringify(v.slice(0, 120))}`);
    if (/^[[{]/.test(v.trim())) {
      try {
        return badValues(JSON.parse(v), `${path}(json)`);
      } catch {
        return found;
      }
    }
    return found;
  }
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => badValues(x, `${path}[${i}]`));
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => badValues(x, `${path}.${k}`));
  return [];
}

function scan(resources: RecordedResource[]): string[] {
  return resources.flatMap((r) => badValues(r.inputs, `${r.type} ${r.name}`));
}

describe("registered inputs hold no stringified value", () => {
  let prodRun: ReturnType<typeof runProgram> | undefined;
  it.each(["prod", "staging", "dev"])("%s: every input of every resource", async (stack) => {
    const run = await (stack === "prod" ? (prodRun ??= runProgram({ stack })) : runProgram({ stack }));
    expect(run.resources.length).toBeGreaterThan(10);
    expect(scan(run.resources)).toEqual([]);
  });

  it("prod: the dashboard's RDS widgets name the real instance identifiers", async () => {
    const run = await (prodRun ??= runProgram({ stack: "prod" }));
    const dashboard = run.resources.find((r) => r.type === "aws:cloudwatch/dashboard:Dashboard");
    const ids = run.resources.filter((r) => r.type === "aws:rds/instance:Instance").map((r) => String(r.inputs.identifier));
    const body = JSON.parse(String(dashboard?.inputs.dashboardBody));
    const named = new Set<string>();
    for (const w of body.widgets) for (const row of w.properties.metrics) for (let i = 0; i < row.length - 1; i++) if (row[i] === "DBInstanceIdentifier") named.add(row[i + 1]);
    expect([...named].sort()).toEqual([...ids].sort());
  });

  it("prod: one max_connections in the parameter group, the pool rule's input and the connections alarm", async () => {
    const run = await (prodRun ??= runProgram({ stack: "prod" }));
    const { loadStackSettings } = await import("../components/settings/stackFile");
    const s = loadStackSettings("prod");
    const group = run.resources.find((r) => r.type === "aws:rds/parameterGroup:ParameterGroup");
    const param = (group?.inputs.parameters as { name: string; value: string; applyMethod: string }[]).find((x) => x.name === "max_connections");
    expect(param).toEqual({ name: "max_connections", value: String(s.postgres.maxConnections), applyMethod: "pending-reboot" });
    const alarms = run.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && /-pg-connections-warning$|connections-warning$/.test(String(r.inputs.name)) && r.inputs.metricName === "DatabaseConnections");
    expect(alarms.length).toBeGreaterThan(0);
    for (const a of alarms) expect(a.inputs.threshold).toBeCloseTo((s.alarms.baseline.rdsConnectionsPercentOfMax / 100) * s.postgres.maxConnections, 6);
  });

  it("prod: the derived physical names the rules bound are names the program registers", async () => {
    const run = await (prodRun ??= runProgram({ stack: "prod" }));
    const { derivedPhysicalNames } = await import("../components/settings/awsRules");
    const { loadStackSettings } = await import("../components/settings/stackFile");
    const registered = new Set(run.resources.flatMap((r) => Object.values(r.inputs).filter((v): v is string => typeof v === "string")));
    for (const d of derivedPhysicalNames(loadStackSettings("prod"))) expect(registered.has(d.name), `${d.what} ${d.name}`).toBe(true);
  });

  it("the scan finds what it is for", () => {
    expect(badValues({ a: "Calling [toJSON] on an [Output<T>] is not supported." }, "x")).toHaveLength(1);
    expect(badValues({ b: ["[object Object]"], c: JSON.stringify({ d: "undefined" }), e: Number.NaN }, "x")).toHaveLength(3);
    expect(badValues({ ok: "fine", n: 1, list: [1, "two"] }, "x")).toEqual([]);
  });
});
