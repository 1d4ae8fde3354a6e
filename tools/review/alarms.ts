/**
 * The offline review's alarm catalogue: the CloudWatch alarms the program registered
 * under mocks (not a recomputation), one row each: resource, metric, statistic,
 * period, comparison, threshold in the metric's unit, severity, action. A run whose
 * alarms do not match its exported `alarms.alarmNames`, or whose documented alarms
 * miss a level, fails the section.
 */
import { formatRows, type CatalogueRow } from "../../components/alarms/catalogue";
import { THRESHOLD_KEYS, formatLevel, resolveThresholds } from "../../components/thresholds/thresholds";
import type { RecordedResource } from "../evaluate/program";
import type { ReviewSection, SectionBuilder } from "./section";

const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";

/** A catalogue row from a registered MetricAlarm's inputs. */
export function rowFromAlarm(r: RecordedResource): CatalogueRow {
  const i = r.inputs;
  const watched = (i.metricQueries ?? []).find((q: { returnData?: boolean }) => q.returnData);
  const firstStat = (i.metricQueries ?? []).find((q: { metric?: unknown }) => q.metric)?.metric?.stat;
  const resource = /^[A-Z]+: (.+?): /.exec(String(i.alarmDescription ?? ""))?.[1] ?? r.name;
  const topic = String(i.alarmActions?.[0] ?? "none").split(":").pop();
  return {
    name: i.name,
    resource,
    metric: i.metricName ?? watched?.label ?? watched?.expression ?? "?",
    statistic: i.statistic ?? firstStat ?? "?",
    period: i.period ?? (i.metricQueries ?? []).find((q: { metric?: unknown }) => q.metric)?.metric?.period ?? 0,
    comparison: i.comparisonOperator === "LessThanThreshold" ? "<" : ">",
    threshold: i.threshold,
    unit: i.tags?.Unit ?? "",
    severity: i.tags?.Severity,
    action: `SNS ${topic}`,
  };
}

export const alarmsReviewSection: SectionBuilder = ({ settings, run }): ReviewSection => {
  const title = "Alarm catalogue";
  const registered = run.resources.filter((r) => r.type === ALARM);
  if (settings.platform !== "aws" || !settings.alarms.enabled) {
    const t = resolveThresholds(settings.alarms.thresholds);
    const levels = THRESHOLD_KEYS.map((k) => `  ${t[k].label}: warning ${formatLevel(t[k], t[k].warning)}, critical ${formatLevel(t[k], t[k].critical)}`);
    const why = settings.platform !== "aws" ? `platform ${settings.platform} has no CloudWatch` : "alarms.enabled is false";
    const problems = registered.length > 0 ? [`${registered.length} CloudWatch alarms registered although ${why}`] : [];
    const text = [`no alarms: ${why}; the smoke suite (npm run check) holds the same thresholds:`, ...levels, ...problems.map((p) => `PROBLEM: ${p}`)].join("\n");
    return { title, text, json: { alarms: [], thresholds: t, problems }, failed: problems.length > 0 };
  }

  const order = (run.outputs.alarms?.alarmNames ?? []) as string[];
  const rank = (n: string) => (order.includes(n) ? order.indexOf(n) : order.length);
  const rows = registered.map(rowFromAlarm).sort((a, b) => rank(a.name) - rank(b.name));
  const problems: string[] = [];
  const exported = order;
  const names = rows.map((r) => r.name);
  const notExported = names.filter((n) => !exported.includes(n));
  const notRegistered = exported.filter((n) => !names.includes(n));
  if (notExported.length) problems.push(`registered but not in outputs.alarms.alarmNames: ${notExported.join(", ")}`);
  if (notRegistered.length) problems.push(`in outputs.alarms.alarmNames but not registered: ${notRegistered.join(", ")}`);
  for (const key of THRESHOLD_KEYS) {
    const sev = new Set(registered.filter((r) => r.inputs.tags?.AlarmKind === key).map((r) => r.inputs.tags?.Severity));
    // Replica lag needs replicas; the other documented metrics always apply on aws.
    if (key === "replicaLag" && settings.postgres.replicas === 0 && settings.redis.replicas === 0) continue;
    for (const s of ["warning", "critical"]) if (!sev.has(s)) problems.push(`no ${s} alarm for the documented threshold "${key}"`);
  }
  const documented = registered.filter((r) => (THRESHOLD_KEYS as readonly string[]).includes(r.inputs.tags?.AlarmKind)).length;
  const bySeverity = (s: string) => rows.filter((r) => r.severity === s).length;
  const text = [
    `${rows.length} alarms (${documented} at the documented thresholds, ${rows.length - documented} baseline health): ${bySeverity("critical")} critical, ${bySeverity("warning")} warning; every one notifies its severity's topic on ALARM and OK`,
    "",
    formatRows(rows),
    ...problems.map((p) => `PROBLEM: ${p}`),
  ].join("\n");
  return { title, text, json: { alarms: rows, problems }, failed: problems.length > 0 };
};
