/**
 * Whether a Redis node can still persist (INFO persistence). What a full disk does to
 * Redis 7.0, measured in the fault matrix: a master answers every write and even PING
 * with MISCONF (the suite's connect then fails with that text, and Sentinel fails over);
 * a replica panics ("Replica was unable to write command to disk"). What is left for
 * this check: a node that still answers PING with a failed status, e.g. an AOF rewrite
 * or an RDB snapshot that failed while appends still fit (a disk nearly full), or
 * stop-writes-on-bgsave-error off. Redis does not say why (the errno is only in its log).
 */

/** The problems INFO persistence reports, empty when the node persists normally. */
export function persistenceProblems(p: Record<string, string>): string[] {
  const out: string[] = [];
  if (p.aof_enabled === "1" && p.aof_last_write_status === "err") out.push("writes to the append-only file are failing (aof_last_write_status:err)");
  if (p.rdb_last_bgsave_status === "err") out.push("the last RDB snapshot failed (rdb_last_bgsave_status:err)");
  if (p.aof_last_bgrewrite_status === "err") out.push("the last AOF rewrite failed (aof_last_bgrewrite_status:err)");
  return out;
}

/** The FAIL message for one node, or null when it persists normally. */
export function persistenceMessage(node: string, p: Record<string, string>): string | null {
  const problems = persistenceProblems(p);
  if (problems.length === 0) return null;
  return `${node} cannot persist: ${problems.join("; ")}: its disk is full or unwritable (the reason is in its log); a master then refuses writes with MISCONF`;
}
