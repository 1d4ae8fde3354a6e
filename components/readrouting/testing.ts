/** A complete router configuration for unit tests (nothing listens at these addresses). */
import { loadStackSettings } from "../settings/stackFile";
import type { RouterConfig } from "./config";

export function sampleConfig(): RouterConfig {
  return {
    instance: "test",
    intervalMs: 2000,
    connectTimeoutMs: 1000,
    lag: { warning: 10, critical: 30 },
    primary: { host: "10.0.0.10", port: 5432 },
    replicas: [
      { name: "r1", host: "10.0.0.1", port: 5432 },
      { name: "r2", host: "10.0.0.2", port: 5432 },
    ],
    database: "app",
    tls: false,
    monitoring: { user: "datatier_monitor", password: "monitor-pw" },
    pgbouncer: {
      settings: loadStackSettings("dev").pgbouncer,
      runtime: { listenAddr: "127.0.0.1", listenPort: 6432, authFile: "/etc/pgbouncer/userlist.txt" },
      iniPath: "/tmp/unused.ini",
      console: { host: "127.0.0.1", port: 6432, user: "pgbouncer_admin", password: "console-pw" },
    },
    stateFile: null,
    metrics: null,
  };
}
