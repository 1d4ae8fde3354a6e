/**
 * Defaults of `postgres.partitionChecks`, in one place: the settings profile applies them
 * to a stack, and the smoke suite falls back to them for outputs written before the
 * field existed in the contract.
 */
export const PARTITION_CHECK_DEFAULTS = {
  /** Row parity on the gate is judged over rows this recent (plus any dated ahead of now). */
  windowSeconds: 3_600,
  /** A reconcile result older than this is stale (a daily schedule plus two hours of slack). */
  reconcileMaxAgeSeconds: 93_600,
} as const;
