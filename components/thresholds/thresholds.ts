/**
 * The documented thresholds (design.md, "Documented thresholds"), the only place
 * their numbers live. Alarms, the smoke suite, the policy pack and the review's
 * alarm catalogue all read this table (through the stack's settings, which may
 * override a value per stack but never hold a second copy of the defaults).
 */

/** Direction in which a metric gets worse. */
export type Comparison = "greaterThan" | "lessThan";

/** Unit the threshold is written in (the human unit of the design table). */
export type ThresholdUnit = "count" | "percent" | "seconds" | "milliseconds";

export type Severity = "warning" | "critical";

export interface ThresholdLevels {
  warning: number;
  critical: number;
}

export interface ThresholdDefinition extends ThresholdLevels {
  /** Row label as written in design.md's table. */
  label: string;
  unit: ThresholdUnit;
  comparison: Comparison;
  /** Where AWS gets the number (design.md's "AWS source" column). */
  awsSource: string;
}

export const THRESHOLD_KEYS = [
  "partitionRowDelta",
  "cacheHitRate",
  "replicaLag",
  "cacheGetTime",
  "invalidationFailureRate",
] as const;

export type ThresholdKey = (typeof THRESHOLD_KEYS)[number];

export type Thresholds = Record<ThresholdKey, ThresholdDefinition>;

export const DOCUMENTED_THRESHOLDS: Readonly<Thresholds> = Object.freeze({
  partitionRowDelta: {
    label: "partition row-count delta (legacy vs partitioned)",
    unit: "count",
    comparison: "greaterThan",
    warning: 10,
    critical: 100,
    awsSource: "custom metric",
  },
  cacheHitRate: {
    label: "cache hit rate",
    unit: "percent",
    comparison: "lessThan",
    warning: 70,
    critical: 50,
    awsSource: "ElastiCache CacheHitRate",
  },
  replicaLag: {
    label: "replica lag",
    unit: "seconds",
    comparison: "greaterThan",
    warning: 10,
    critical: 30,
    awsSource: "RDS ReplicaLag, ElastiCache ReplicationLag",
  },
  cacheGetTime: {
    label: "cache GET time",
    unit: "milliseconds",
    comparison: "greaterThan",
    warning: 50,
    critical: 100,
    awsSource: "ElastiCache GetTypeCmdsLatency (microseconds)",
  },
  invalidationFailureRate: {
    label: "cache invalidation failure rate",
    unit: "percent",
    comparison: "greaterThan",
    warning: 5,
    critical: 10,
    awsSource: "custom metric",
  },
});

/** Overrides a stack may set: only the levels, never the unit or direction. */
export type ThresholdOverrides = Partial<Record<ThresholdKey, Partial<ThresholdLevels>>>;

/** Applies per-stack overrides onto the documented table (the one merge point). */
export function resolveThresholds(overrides: ThresholdOverrides = {}): Thresholds {
  const out = {} as Thresholds;
  for (const key of THRESHOLD_KEYS) {
    out[key] = { ...DOCUMENTED_THRESHOLDS[key], ...(overrides[key] ?? {}) };
  }
  return out;
}

/**
 * True when critical is strictly worse than warning in the metric's direction:
 * for "greaterThan" critical > warning, for "lessThan" critical < warning.
 */
export function levelsOrdered(def: Pick<ThresholdDefinition, "comparison">, levels: ThresholdLevels): boolean {
  return def.comparison === "greaterThan" ? levels.critical > levels.warning : levels.critical < levels.warning;
}

/** Whether `value` breaches `limit` in the metric's direction (strict, as in the table's > and <). */
export function breaches(comparison: Comparison, value: number, limit: number): boolean {
  return comparison === "greaterThan" ? value > limit : value < limit;
}

/** Classifies a measured value: "ok", "warning" or "critical". */
export function classify(def: ThresholdDefinition, value: number): "ok" | Severity {
  if (breaches(def.comparison, value, def.critical)) return "critical";
  if (breaches(def.comparison, value, def.warning)) return "warning";
  return "ok";
}

/** The table's symbol for a comparison, for catalogues and check messages. */
export function comparisonSymbol(comparison: Comparison): ">" | "<" {
  return comparison === "greaterThan" ? ">" : "<";
}

/** Human rendering of a level, e.g. "> 10 s", "< 70%". */
export function formatLevel(def: Pick<ThresholdDefinition, "comparison" | "unit">, level: number): string {
  const suffix = { count: "", percent: "%", seconds: " s", milliseconds: " ms" }[def.unit];
  return `${comparisonSymbol(def.comparison)} ${level}${suffix}`;
}

/**
 * Disk space on self-managed nodes (sandbox and dev stack; RDS and ElastiCache manage
 * their own storage and alarm on it in CloudWatch): percent of the data directory's file
 * system in use, as `df` counts it (root-reserved blocks excluded). Not in the design
 * table above, so not a stack setting: the one place these numbers live.
 */
export const SELF_MANAGED_DISK_USED_PERCENT: Readonly<ThresholdLevels> = Object.freeze({ warning: 80, critical: 90 });
