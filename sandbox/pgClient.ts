/** Short-lived Postgres connections with connect, query and statement timeouts. */
import { Client } from "pg";

export interface PgTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** query_timeout bounds every query client-side (PgBouncer refuses a statement_timeout startup parameter). */
export async function withPg<T>(t: PgTarget, fn: (c: Client) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const c = new Client({
    host: t.host,
    port: t.port,
    user: t.user,
    password: t.password,
    database: t.database,
    connectionTimeoutMillis: Math.min(timeoutMs, 5000),
    query_timeout: timeoutMs,
    application_name: "datatier-sandbox",
  });
  c.on("error", () => undefined);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}
