import { describe, expect, it } from "vitest";
import { loadStackSettings } from "../settings/stackFile";
import type { PgBouncerSettings } from "../settings/schema";
import { DNS_MAX_TTL_SECONDS, poolTargets, readOnlyDatabaseName, SERVER_CONNECT_TIMEOUT_SECONDS, readWriteDatabaseName, renderPgBouncerIni, renderUserlist, type PgBouncerRuntime } from "./render";

const dev = loadStackSettings("dev").pgbouncer;
const prod = loadStackSettings("prod").pgbouncer;

const rt: PgBouncerRuntime = {
  listenAddr: "127.0.0.1",
  listenPort: 16432,
  primary: { host: "pg-primary", port: 5432 },
  replicas: [
    { host: "pg-replica-1", port: 5432 },
    { host: "pg-replica-2", port: 5432 },
  ],
  database: "app",
  authFile: "/etc/pgbouncer/userlist.txt",
};

/** key = value pairs of one section. */
function section(ini: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  let current = "";
  for (const line of ini.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1];
    else if (current === name && line.includes("=") && !line.startsWith(";")) {
      const i = line.indexOf("=");
      out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
  }
  return out;
}

describe("renderPgBouncerIni", () => {
  it("carries the seed's promise from the settings: transaction pooling, 1000 clients onto 100 server connections", () => {
    const p = section(renderPgBouncerIni(dev, rt), "pgbouncer");
    expect(p.get("pool_mode")).toBe("transaction");
    expect(p.get("max_client_conn")).toBe("1000");
    expect(p.get("default_pool_size")).toBe("100");
    expect(p.get("auth_type")).toBe("scram-sha-256");
    expect(p.get("ignore_startup_parameters")).toBe("extra_float_digits");
  });

  it("renders every pool, timeout and access setting from the settings", () => {
    const s: PgBouncerSettings = {
      ...dev,
      poolMode: "session",
      maxClientConn: 321,
      defaultPoolSize: 17,
      minPoolSize: 3,
      reservePoolSize: 4,
      reservePoolTimeoutSeconds: 5,
      serverIdleTimeoutSeconds: 61,
      queryWaitTimeoutSeconds: 62,
      clientIdleTimeoutSeconds: 63,
      serverCheckDelaySeconds: 29,
      authType: "md5",
      adminUser: "ops_admin",
      statsUser: "ops_stats",
    };
    const p = section(renderPgBouncerIni(s, rt), "pgbouncer");
    expect(Object.fromEntries(p)).toMatchObject({
      pool_mode: "session",
      max_client_conn: "321",
      default_pool_size: "17",
      min_pool_size: "3",
      reserve_pool_size: "4",
      reserve_pool_timeout: "5",
      server_idle_timeout: "61",
      query_wait_timeout: "62",
      client_idle_timeout: "63",
      server_check_delay: "29",
      server_check_query: "select 1",
      auth_type: "md5",
      auth_file: "/etc/pgbouncer/userlist.txt",
      admin_users: "ops_admin",
      stats_users: "ops_stats",
      listen_addr: "127.0.0.1",
      listen_port: "16432",
    });
  });

  it("follows a server's new address within seconds: dns_max_ttl 1 s, server_connect_timeout 3 s (PgBouncer's defaults, 15 s each, left ~15 s of failed reads after a quick restart)", () => {
    // prod's TLS needs certificate files in the runtime; the two keys do not depend on the stack.
    for (const settings of [dev, { ...prod, tls: dev.tls }]) {
      const p = section(renderPgBouncerIni(settings, rt), "pgbouncer");
      expect([p.get("dns_max_ttl"), p.get("dns_nxdomain_ttl"), p.get("server_connect_timeout")]).toEqual([String(DNS_MAX_TTL_SECONDS), String(DNS_MAX_TTL_SECONDS), String(SERVER_CONNECT_TIMEOUT_SECONDS)]);
    }
    expect(DNS_MAX_TTL_SECONDS).toBeLessThan(15);
    expect(SERVER_CONNECT_TIMEOUT_SECONDS).toBeLessThan(15);
  });

  it("routes the read-write pool to the primary and spreads the read-only pool over every replica", () => {
    const d = section(renderPgBouncerIni(dev, rt), "databases");
    expect(d.get("app")).toBe("host=pg-primary port=5432 dbname=app");
    expect(d.get("app_ro")).toBe("host=pg-replica-1,pg-replica-2 port=5432 dbname=app");
    expect(section(renderPgBouncerIni(dev, rt), "pgbouncer").get("server_round_robin")).toBe("1");
  });

  it("falls back to the primary for the read-only pool when there are no replicas", () => {
    const ini = renderPgBouncerIni(dev, { ...rt, replicas: [] });
    expect(section(ini, "databases").get("app_ro")).toBe("host=pg-primary port=5432 dbname=app");
    expect(ini).toContain("falls back to the primary");
    expect(poolTargets({ ...rt, replicas: [] }).readOnly.route).toBe("primary-fallback");
  });

  it("refuses replicas on different ports, which one PgBouncer entry cannot spread over", () => {
    expect(() => renderPgBouncerIni(dev, { ...rt, replicas: [{ host: "127.0.0.1", port: 5433 }, { host: "127.0.0.1", port: 5434 }] })).toThrow(/ports 5433, 5434/);
  });

  it("disables the Unix socket unless asked and writes optional files only when given", () => {
    const plain = section(renderPgBouncerIni(dev, rt), "pgbouncer");
    expect(plain.get("unix_socket_dir")).toBe("");
    expect(plain.has("logfile")).toBe(false);
    expect(plain.has("auth_user")).toBe(false);
    const full = section(renderPgBouncerIni(dev, { ...rt, logFile: "/tmp/x/pgb.log", pidFile: "/tmp/x/pgb.pid", unixSocketDir: "/tmp/x", authUser: "pgbouncer_auth" }), "pgbouncer");
    expect([full.get("logfile"), full.get("pidfile"), full.get("unix_socket_dir"), full.get("auth_user")]).toEqual(["/tmp/x/pgb.log", "/tmp/x/pgb.pid", "/tmp/x", "pgbouncer_auth"]);
  });

  it("turns client and server TLS on as prod asks, with the certificate files", () => {
    expect(prod.tls).toEqual({ client: "require", server: "require" });
    const p = section(renderPgBouncerIni(prod, { ...rt, tls: { clientCertFile: "/run/tls/cert.pem", clientKeyFile: "/run/tls/key.pem" } }), "pgbouncer");
    expect(p.get("client_tls_sslmode")).toBe("require");
    expect(p.get("client_tls_cert_file")).toBe("/run/tls/cert.pem");
    expect(p.get("client_tls_key_file")).toBe("/run/tls/key.pem");
    expect(p.get("server_tls_sslmode")).toBe("require");
    const off = section(renderPgBouncerIni(dev, rt), "pgbouncer");
    expect([off.get("client_tls_sslmode"), off.get("server_tls_sslmode"), off.has("client_tls_cert_file")]).toEqual(["disable", "disable", false]);
  });

  it("refuses client TLS without certificate files and verified server TLS without a CA bundle", () => {
    expect(() => renderPgBouncerIni(prod, rt)).toThrow(/tls.client is "require".*clientCertFile/);
    expect(() => renderPgBouncerIni({ ...dev, tls: { client: "disable", server: "verify-full" } }, rt)).toThrow(/serverCaFile/);
  });

  it("refuses values that could inject another line or key", () => {
    expect(() => renderPgBouncerIni(dev, { ...rt, database: "app\nadmin_users = x" })).toThrow(/database/);
    expect(() => renderPgBouncerIni(dev, { ...rt, primary: { host: "h port=1", port: 5432 } })).toThrow(/primary host/);
    expect(() => renderPgBouncerIni(dev, { ...rt, authFile: "/etc/x y" })).toThrow(/auth_file/);
    expect(() => renderPgBouncerIni(dev, { ...rt, listenPort: 70000 })).toThrow(/listen_port is 70000/);
  });
});

describe("pool names", () => {
  it("keeps the database name for read-write and adds _ro for read-only", () => {
    expect(readWriteDatabaseName("app")).toBe("app");
    expect(readOnlyDatabaseName("app")).toBe("app_ro");
  });
});

describe("renderUserlist", () => {
  it("quotes names and secrets, doubling a double quote", () => {
    expect(renderUserlist([
      { name: "app", secret: "SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vydg==" },
      { name: "pgbouncer_admin", secret: 'pa"ss' },
    ])).toBe('"app" "SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vydg=="\n"pgbouncer_admin" "pa""ss"\n');
  });

  it("refuses control characters, empty secrets and duplicates without echoing the secret", () => {
    let message = "";
    try {
      renderUserlist([{ name: "app", secret: "top\nsecret" }]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/secret of user "app".*control character/);
    expect(message).not.toContain("top");
    expect(() => renderUserlist([{ name: "app", secret: "" }])).toThrow(/empty/);
    expect(() => renderUserlist([{ name: "a", secret: "x" }, { name: "a", secret: "y" }])).toThrow(/appears twice/);
  });
});
