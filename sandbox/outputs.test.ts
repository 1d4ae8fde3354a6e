import { describe, expect, it } from "vitest";
import { parseStackOutputs } from "../components/contract/outputs";
import { loadStackSettings } from "../components/settings/stackFile";
import { stopGroups } from "./lifecycle";
import { buildOutputs } from "./outputs";
import { withPassfile } from "./postgres";
import type { ProcessRecord } from "./procs";
import { STATE_VERSION, type SandboxState } from "./state";

const settings = loadStackSettings("dev");
const proc = (name: string, kind: ProcessRecord["kind"], port: number): ProcessRecord => ({ name, kind, host: "127.0.0.1", port, pid: 1000 + port, startTicks: 1, command: "/bin/x", args: [], user: "root", logFile: "/x" });

function state(master = "redis-0"): SandboxState {
  return {
    version: STATE_VERSION,
    stack: "dev",
    dir: "/x",
    complete: true,
    createdAt: "",
    parts: ["redis", "postgres", "pgbouncer"],
    settings,
    secrets: { redisPassword: "rp", redisReplication: "rr", redisSentinel: "rs", redisMonitoring: "rm", redisOperator: "ro2", postgresSuperuser: "su", replication: "rep", app: "ap", readonly: "ro", monitoring: "mon", pgbouncerAdmin: "adm", pgbouncerStats: "sta" },
    redis: { masterName: "datatier", master },
    postgres: { database: "app", socketDir: "/x/sock", primaryDataDir: "/x/p", replicas: [{ name: "postgres-replica-1", id: "postgres-replica-1", slot: "replica_1", dataDir: "/x/r1" }] },
    processes: [
      proc("redis-0", "redis", 21000),
      proc("redis-1", "redis", 21001),
      proc("redis-2", "redis", 21002),
      proc("sentinel-0", "sentinel", 21010),
      proc("sentinel-1", "sentinel", 21011),
      proc("sentinel-2", "sentinel", 21012),
      proc("postgres-primary", "postgres", 22000),
      proc("postgres-replica-1", "postgres", 22001),
      proc("pgbouncer", "pgbouncer", 23000),
    ],
  };
}

describe("buildOutputs", () => {
  it("fills the contract from the state: sandbox platform, no AWS parts, documented thresholds, credentials", () => {
    const o = buildOutputs(state())!;
    expect(() => parseStackOutputs(JSON.parse(JSON.stringify(o)), "test")).not.toThrow();
    expect(o.platform).toBe("sandbox");
    expect([o.redis.aws, o.postgres.aws, o.pgbouncer.aws]).toEqual([null, null, null]);
    expect(o.alarms).toEqual({ customMetricNamespace: settings.alarms.customMetricNamespace, warningTopicArn: null, criticalTopicArn: null, alarmNames: [] });
    expect(o.thresholds.replicaLag).toEqual({ warning: 10, critical: 30, unit: "seconds", comparison: "greaterThan" });
    expect(o.credentials).toEqual({ redisMonitoringPassword: "rm", redisOperatorPassword: "ro2", postgresMonitoringPassword: "mon", pgbouncerAdminPassword: "adm", pgbouncerStatsPassword: "sta" });
    // Per-role Redis logins: the application's user in its plain half, its password alone in its secret.
    expect(o.redis.users).toEqual({ application: "app", monitoring: "monitor", operator: "operator" });
    expect(o.application.redis).toMatchObject({ user: "app", sentinelMasterName: settings.redis.sentinel.masterName, sentinels: o.redis.sentinels, authRequired: true });
    for (const other of ["rr", "rs", "rm", "ro2"]) expect(Object.values(o.applicationCredentials)).not.toContain(other);
    // The application's half: PgBouncer's pools as the application roles, Redis AUTH; nothing of the operator's.
    expect(o.applicationCredentials).toEqual({
      readWrite: { engine: "postgres", host: "127.0.0.1", port: 23000, dbname: "app", username: "app", password: "ap" },
      readOnly: { engine: "postgres", host: "127.0.0.1", port: 23000, dbname: "app_ro", username: "app_readonly", password: "ro" },
      redisPassword: "rp",
    });
    expect(o.application).toMatchObject({ readWrite: { host: "127.0.0.1", port: 23000, database: "app", user: "app", tls: false }, readOnly: { database: "app_ro", user: "app_readonly" }, aws: null });
    expect(o.application.redis.primary).toEqual(o.redis.primary);
    expect(o.redis.sentinels.map((s) => s.port)).toEqual([21010, 21011, 21012]);
    expect(o.postgres.replicas).toEqual([{ id: "postgres-replica-1", host: "127.0.0.1", port: 22001 }]);
    expect(o.pgbouncer).toMatchObject({ endpoint: { host: "127.0.0.1", port: 23000 }, readWriteDatabase: "app", readOnlyDatabase: "app_ro", poolMode: "transaction", maxClientConn: 1000 });
  });

  it("names the current master as primary and the other nodes as readers", () => {
    const o = buildOutputs(state("redis-2"))!;
    expect(o.redis.primary.port).toBe(21002);
    expect(o.redis.readers.map((r) => r.port)).toEqual([21000, 21001]);
    expect(o.redis.expectedReplicas).toBe(2);
  });

  it("is null for a sandbox without every part (the contract needs all three)", () => {
    expect(buildOutputs({ ...state(), parts: ["redis"] })).toBeNull();
  });
});

describe("withPassfile", () => {
  it("drops the plain password from primary_conninfo and points at the passfile", () => {
    const auto = "# Do not edit\nprimary_conninfo = 'user=replicator password=s3cr''et channel_binding=prefer host=127.0.0.1 port=5555'\nprimary_slot_name = 'replica_1'\n";
    const out = withPassfile(auto, "/tmp/x/replicator.pgpass");
    expect(out).not.toContain("password=");
    expect(out).not.toContain("s3cr");
    expect(out).toContain("primary_conninfo = 'user=replicator channel_binding=prefer host=127.0.0.1 port=5555 passfile=''/tmp/x/replicator.pgpass'''");
    expect(out).toContain("primary_slot_name = 'replica_1'");
  });
});

describe("stopGroups", () => {
  it("stops PgBouncer and the Sentinels first, the Redis master and the Postgres primary last", () => {
    const names = stopGroups(state("redis-1")).map((g) => g.map((p) => p.name).sort());
    expect(names).toEqual([
      ["pgbouncer", "sentinel-0", "sentinel-1", "sentinel-2"],
      ["postgres-replica-1", "redis-0", "redis-2"],
      ["postgres-primary", "redis-1"],
    ]);
  });
});
