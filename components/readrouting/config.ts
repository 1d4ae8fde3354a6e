/**
 * The read router's configuration: one JSON document, from a file (sandbox: 0600, it
 * holds the monitoring and console passwords) or an environment variable (containers:
 * the passwords come from their own variables, filled by ECS from Secrets Manager).
 * Checked through a schema: every problem at once, each naming its key, no secret echoed.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { pgbouncer as pgbouncerSettings } from "../settings/schema";

const endpoint = z.strictObject({ host: z.string().min(1), port: z.int().min(1).max(65535) });

export const routerConfigSchema = z.strictObject({
  /** Heartbeat row id and log prefix; one per router (each PgBouncer task runs its own). */
  instance: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: "expected 1-64 letters, digits, _ . : -" }),
  intervalMs: z.int().min(200),
  connectTimeoutMs: z.int().min(50),
  /** Replica-lag levels, seconds: out beyond critical, back within warning. */
  lag: z.strictObject({ warning: z.number().min(0), critical: z.number().min(0) }),
  primary: endpoint,
  replicas: z.array(endpoint.extend({ name: z.string().min(1) })),
  /** The real database on the servers (the pools are <database> and <database>_ro). */
  database: z.string().min(1),
  /** Servers demand TLS (RDS): verified, NODE_EXTRA_CA_CERTS names the bundle. */
  tls: z.boolean(),
  monitoring: z.strictObject({ user: z.string().min(1), password: z.string().min(1) }),
  pgbouncer: z.strictObject({
    /** The stack's PgBouncer settings: the ini is rendered by components/pgbouncer/render.ts. */
    settings: pgbouncerSettings,
    /** The renderer's runtime without `primary`/`replicas` (those come from above). */
    runtime: z.strictObject({
      listenAddr: z.string().min(1),
      listenPort: z.int().min(1).max(65535),
      authFile: z.string().min(1),
      logFile: z.string().optional(),
      pidFile: z.string().optional(),
      unixSocketDir: z.string().optional(),
      authUser: z.string().optional(),
      /** PgBouncer's hba file and the roles per pool: a re-rendered ini keeps auth_type = hba. */
      hbaFile: z.string().optional(),
      poolUsers: z.strictObject({ readWrite: z.array(z.string().min(1)), readOnly: z.array(z.string().min(1)) }).optional(),
      /** The pools' server logins (sandbox: the config file is 0600 like the ini it renders). */
      serverLogins: z
        .strictObject({
          readWrite: z.strictObject({ user: z.string().min(1), password: z.string().min(1) }).optional(),
          readOnly: z.strictObject({ user: z.string().min(1), password: z.string().min(1) }).optional(),
        })
        .optional(),
      tls: z.strictObject({ clientCertFile: z.string().optional(), clientKeyFile: z.string().optional(), serverCaFile: z.string().optional() }).optional(),
    }),
    /** pgbouncer.ini the router rewrites (atomically) before RELOAD. */
    iniPath: z.string().min(1),
    /** Owner of the ini (PgBouncer runs as another user than the router locally). */
    iniOwner: z.strictObject({ uid: z.int(), gid: z.int() }).optional(),
    /** The admin console, where RELOAD is sent. */
    console: endpoint.extend({ user: z.string().min(1), password: z.string().min(1) }),
  }),
  /** Where the state (current set, last check, last change) is written; null: not written. */
  stateFile: z.string().min(1).nullable(),
  /** CloudWatch metrics (AWS); null: not published. */
  metrics: z.strictObject({ namespace: z.string().min(1), region: z.string().min(1), dimensions: z.record(z.string(), z.string()) }).nullable(),
});

export type RouterConfig = z.infer<typeof routerConfigSchema>;

/** Variables that override the document's passwords (containers keep them out of it). */
export const PASSWORD_ENV = { monitoring: "READ_ROUTER_MONITORING_PASSWORD", console: "READ_ROUTER_CONSOLE_PASSWORD" } as const;
/** A password written as this is read from its variable in PASSWORD_ENV. */
export const ENV_PLACEHOLDER = "$env";
/** Variable holding the whole document (containers) when no file is given. */
export const CONFIG_ENV = "READ_ROUTER_CONFIG";

const SECRET_PATHS = new Set(["monitoring.password", "pgbouncer.console.password"]);

/** Parses a document; the error lists every problem with its key, never a value of a password. */
export function parseRouterConfig(value: unknown, source: string): RouterConfig {
  const r = routerConfigSchema.safeParse(value);
  if (r.success) {
    if (r.data.connectTimeoutMs >= r.data.intervalMs) throw new Error(`${source}: connectTimeoutMs (${r.data.connectTimeoutMs}) must be below intervalMs (${r.data.intervalMs})`);
    return r.data;
  }
  const lines = r.error.issues.map((i) => {
    const path = i.path.join(".") || "(root)";
    return `  - ${path}: ${SECRET_PATHS.has(path) ? "expected a non-empty string" : i.message}`;
  });
  throw new Error(`${source}: not a read-router configuration (${lines.length} problem${lines.length === 1 ? "" : "s"}):\n${lines.join("\n")}`);
}

/** Reads the document from `file`, or from $READ_ROUTER_CONFIG; passwords from their variables when set. */
export function loadRouterConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): RouterConfig {
  let text: string | undefined;
  let source: string;
  if (file) {
    source = file;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new Error(`${file}: cannot read the read-router configuration (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else {
    source = `$${CONFIG_ENV}`;
    text = env[CONFIG_ENV];
    if (!text) throw new Error(`no read-router configuration: give a file (read-router <config.json>) or set ${CONFIG_ENV}`);
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`);
  }
  const monitoringPw = env[PASSWORD_ENV.monitoring];
  const consolePw = env[PASSWORD_ENV.console];
  const mon = typeof doc.monitoring === "object" && doc.monitoring ? (doc.monitoring as Record<string, unknown>) : undefined;
  const pb = doc.pgbouncer as Record<string, Record<string, unknown>> | undefined;
  const con = pb && typeof pb.console === "object" && pb.console ? pb.console : undefined;
  if (monitoringPw && mon) mon.password = monitoringPw;
  if (consolePw && con) con.password = consolePw;
  // "$env": the document defers the password to its variable, which must then be set.
  const unset = [mon?.password === ENV_PLACEHOLDER && `monitoring.password (set ${PASSWORD_ENV.monitoring})`, con?.password === ENV_PLACEHOLDER && `pgbouncer.console.password (set ${PASSWORD_ENV.console})`].filter(Boolean);
  if (unset.length) throw new Error(`${source}: ${unset.join(" and ")} ${unset.length > 1 ? "come" : "comes"} from the environment, which does not hold ${unset.length > 1 ? "them" : "it"}`);
  return parseRouterConfig(doc, source);
}
