/**
 * The host ports the docker platform publishes on 127.0.0.1, from the settings alone
 * (components/{redis,postgres,pgbouncer}/docker.ts: a replica or Sentinel takes the port
 * after the one before it). Docker binds a host port once and only within 1-65535, so
 * two settings that land on one port, or a port pushed past 65535, are refused here by
 * key; tools/review/programChecks.ts judges the evaluated plan the same way, and
 * dockerPorts.test.ts keeps the two in step.
 */
import type { Settings } from "./schema";

export interface HostPort {
  port: number;
  /** Settings key that places it. */
  key: string;
  /** What publishes it, e.g. "PostgreSQL replica 1". */
  what: string;
}

export function dockerHostPorts(s: Pick<Settings, "redis" | "postgres" | "pgbouncer">): HostPort[] {
  const out: HostPort[] = [];
  const run = (key: string, base: number, count: number, what: (i: number) => string) => {
    for (let i = 0; i < count; i++) out.push({ port: base + i, key, what: what(i) });
  };
  run("redis.port", s.redis.port, 1 + s.redis.replicas, (i) => (i === 0 ? "Redis master" : `Redis replica ${i}`));
  run("redis.sentinel.port", s.redis.sentinel.port, s.redis.sentinel.count, (i) => `Sentinel ${i + 1}`);
  run("postgres.port", s.postgres.port, 1 + s.postgres.replicas, (i) => (i === 0 ? "PostgreSQL primary" : `PostgreSQL replica ${i}`));
  run("pgbouncer.port", s.pgbouncer.port, 1, () => "PgBouncer");
  return out;
}

/** Each clash or out-of-range port once, reported under the key of the later publisher. */
export function dockerHostPortProblems(s: Pick<Settings, "redis" | "postgres" | "pgbouncer">): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  const seen = new Map<number, HostPort>();
  for (const p of dockerHostPorts(s)) {
    if (p.port > 65535) {
      out.push({ path: p.key.split("."), message: `puts ${p.what} on host port ${p.port}; docker publishes ports up to 65535 (replicas and Sentinels take the ports after their primary's)` });
      continue;
    }
    const first = seen.get(p.port);
    if (first) out.push({ path: p.key.split("."), message: `puts ${p.what} on host port ${p.port}, which ${first.what} already publishes (${first.key}); docker binds a host port once: choose ports whose ranges do not meet` });
    else seen.set(p.port, p);
  }
  return out;
}
