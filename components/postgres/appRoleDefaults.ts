/**
 * Per-role defaults of the application roles (`app`, `app_readonly`), the same on the
 * sandbox (sandbox/schema.ts) and through @pulumi/postgresql on docker and AWS (roles.ts).
 * No Pulumi import here: the sandbox CLI loads this module.
 *
 * statement_timeout: the server's default is 0 (none), so one runaway query from an
 * application held a pooled server connection (and its locks) until someone killed it
 * (issue 20). A role default bounds it; a transaction that needs longer raises it for
 * itself with `SET LOCAL statement_timeout = …` (a session `SET` leaks through the pools).
 * The monitoring role keeps the server default: its checks set their own.
 */
export const APP_ROLE_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * idle_in_transaction_session_timeout: under transaction pooling a client idle inside a
 * transaction keeps its server connection from every other client, so a few such clients
 * starve a pool; the server-wide 5 min (components/postgres/render.ts) is long for that.
 * The server ends such a session (SQLSTATE 25P03) and PgBouncer gives the slot back.
 */
export const APP_ROLE_IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;
