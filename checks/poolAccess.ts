/**
 * Issue 20: the application's credentials reach only their own pool. With exactly the
 * credentials the contract gives an application (applicationCredentials), a login to the
 * other pool must be refused by PgBouncer, and a login to PostgreSQL directly (primary
 * and replicas) must be refused by PostgreSQL or the network.
 */
import type { StackOutputs } from "../components/contract/outputs";
import { withPg, type PgTarget } from "./lib/postgres";
import type { Check, CheckContext } from "./types";

/** What a server says when it refuses a login (PgBouncer's hba, Postgres's pg_hba or password check). */
const REFUSED = /authentication|not allowed|pg_hba\.conf|no such user|permission denied/i;
/** Nothing listens or answers: the network refuses before any login. */
const UNREACHABLE = /connection refused|timed out|no route|unreachable|not known|ENOTFOUND|EAI_AGAIN|ECONNRESET/i;

export type Attempt = { outcome: "admitted" } | { outcome: "refused" | "unreachable"; reason: string; error?: Error };

/** Classifies a login error (pure). Anything else (TLS, protocol) is neither: the caller fails. */
export function classifyLoginError(message: string): Attempt | null {
  if (REFUSED.test(message)) return { outcome: "refused", reason: message.replace(/^.*: /, "") };
  if (UNREACHABLE.test(message)) return { outcome: "unreachable", reason: message.replace(/^.*: /, "") };
  return null;
}

async function attempt(ctx: CheckContext, t: PgTarget): Promise<Attempt> {
  try {
    // Uncapped: two logins per server, judged by the connect deadline (a silent primary held every capped slot, and this check timed out waiting behind them).
    await withPg(ctx, t, (c) => c.query("SELECT 1"), { uncapped: true });
    return { outcome: "admitted" };
  } catch (e) {
    const msg = (e as Error).message;
    const a = classifyLoginError(msg);
    if (!a) throw e;
    return a.outcome === "admitted" ? a : { ...a, error: e as Error };
  }
}

type Role = "readWrite" | "readOnly";
const other = (r: Role): Role => (r === "readWrite" ? "readOnly" : "readWrite");

function secretTarget(o: StackOutputs, role: Role, database: string, at: { host: string; port: number }, label: string, viaPgBouncer: boolean): PgTarget {
  const s = o.applicationCredentials[role];
  const tls = viaPgBouncer ? o.application[role].tls : o.postgres.tls;
  return { host: at.host, port: at.port, database, user: s.username, password: s.password, tls, label, viaPgBouncer };
}

/** The read-only role on the read-write pool, the read-write role on the read-only pool: both refused. */
export function poolRolesCheck(o: StackOutputs): Check {
  return {
    id: "pgbouncer.pool-roles",
    group: "pgbouncer",
    title: "Each application role is refused on the other pool",
    async run(ctx) {
      const wrong: string[] = [];
      const refused: string[] = [];
      for (const role of ["readOnly", "readWrite"] as const) {
        const pool = o.applicationCredentials[other(role)].dbname;
        const user = o.applicationCredentials[role].username;
        const a = await attempt(ctx, secretTarget(o, role, pool, o.application[other(role)], `PgBouncer pool "${pool}"`, true));
        if (a.outcome === "admitted") wrong.push(`${user} logged in to pool "${pool}"`);
        // A PgBouncer that does not answer cannot show a refusal: FAIL with the connect error, like the other PgBouncer checks.
        else if (a.outcome === "unreachable") throw a.error ?? new Error(a.reason);
        else refused.push(`${user} on "${pool}": ${a.reason}`);
      }
      if (wrong.length) return { status: "FAIL", message: `PgBouncer admits an application role to a pool that is not its own: ${wrong.join("; ")} (auth_type hba with the rendered auth_hba_file ties each role to its pool)` };
      return { status: "PASS", message: `refused: ${refused.join("; ")}` };
    },
  };
}

/**
 * The verdict on the application's credentials at PostgreSQL directly (pure). Refused
 * passes; admitted fails where the stack enforces it (sandbox and docker: the pools log
 * in with server passwords applications never get) and is a SKIP with its reason on AWS,
 * which relies on security groups the suite cannot see from where it runs.
 */
export function directLoginVerdict(platform: StackOutputs["platform"], admitted: string[], seen: string[]): { status: "PASS" | "FAIL" | "SKIP"; message: string } {
  if (admitted.length === 0) return { status: "PASS", message: seen.join("; ") };
  const what = `the application's credentials log in to PostgreSQL directly (${admitted.join(", ")}), bypassing the pools`;
  if (platform === "sandbox") return { status: "FAIL", message: `${what}: the sandbox's pools log in with server passwords applications never get; this one does not (a sandbox made before that split: npm run sandbox -- down --purge, then up)` };
  if (platform === "aws") return { status: "SKIP", message: `${what} from the suite's network position; applications cannot reach RDS: its security group admits only PgBouncer's and the admin groups (docs/application.md)` };
  return { status: "FAIL", message: `${what}: the dev stack's pools log in with server passwords applications never get; this one does not (roles made before that split: npm run dev-stack -- down --purge, then up)` };
}

/**
 * The application's credentials at each PostgreSQL server directly. Refused passes
 * (servers that do not answer are listed; when none answers it fails, as nothing was
 * shown); admitted: see directLoginVerdict.
 */
export function noBypassCheck(o: StackOutputs): Check {
  return {
    id: "postgres.app-direct-refused",
    group: "database",
    title: "The application's credentials are refused at PostgreSQL directly (only PgBouncer's pools admit them)",
    async run(ctx) {
      const servers = [{ name: "primary", at: o.postgres.primary }, ...o.postgres.replicas.map((r) => ({ name: r.id, at: { host: r.host, port: r.port } }))];
      const admitted: string[] = [];
      const seen: string[] = [];
      // Concurrently: a silent server costs one connect deadline, not one per login.
      const tries = servers.flatMap(({ name, at }) =>
        (["readWrite", "readOnly"] as const).map(async (role) => {
          const user = o.applicationCredentials[role].username;
          return { who: `${user} at ${name}`, a: await attempt(ctx, secretTarget(o, role, o.postgres.database, at, `Postgres ${name} directly`, false)) };
        }),
      );
      const results = await Promise.all(tries);
      for (const { who, a } of results) {
        if (a.outcome === "admitted") admitted.push(who);
        else seen.push(`${who} ${a.outcome}`);
      }
      // Nothing answered: no refusal was shown (a dead stack fails, it does not pass).
      const firstUnreachable = results.find((r) => r.a.outcome === "unreachable");
      if (results.every((r) => r.a.outcome === "unreachable") && firstUnreachable && firstUnreachable.a.outcome !== "admitted") throw firstUnreachable.a.error ?? new Error(firstUnreachable.a.reason);
      return directLoginVerdict(o.platform, admitted, seen);
    },
  };
}
