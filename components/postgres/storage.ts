/**
 * maxAllocatedStorage as RDS takes it: above allocatedStorage turns storage autoscaling on;
 * RDS refuses a maximum equal to the allocation ("Max storage size must be greater than
 * storage size"), so equal means "no autoscaling", sent as 0 (the provider's "disabled").
 */
export function storageAutoscalingLimit(p: { allocatedStorageGb: number; maxAllocatedStorageGb: number }): number {
  return p.maxAllocatedStorageGb > p.allocatedStorageGb ? p.maxAllocatedStorageGb : 0;
}
