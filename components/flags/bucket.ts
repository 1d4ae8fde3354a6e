/**
 * How an application applies a flag's percentage to an organization: a stable bucket in
 * [0, 100) from the organization id, exposed when the bucket is below the percentage. Stable
 * (the same organization always gets the same bucket, on every host) and monotonic (raising
 * the percentage only adds organizations, so a phase never moves an organization back to the
 * legacy tables; only a rollback does).
 */
import { createHash } from "node:crypto";

/** Buckets are hundredths of a percent: 1% is 100 buckets. */
const BUCKETS = 10_000;

/** The organization's bucket, 0 <= b < 100, in steps of 0.01. */
export function organizationBucket(organizationId: string): number {
  const h = createHash("sha256").update(`partitioned-switchover:${organizationId}`).digest();
  return (h.readUInt32BE(0) % BUCKETS) / 100;
}

/** Whether a flag at `percentage` (0-100) applies to the organization. */
export function appliesTo(organizationId: string, percentage: number): boolean {
  return organizationBucket(organizationId) < percentage;
}
