/**
 * Reads the parameter catalogue off a real PostgreSQL 15: a throw-away cluster from
 * initdb (pg_stat_statements preloaded, so its parameters are listed too), listening on
 * a Unix socket only, in a 0700 folder of its own. Used by the generator (generate.ts)
 * and by the test that fails when the committed catalogue and the server disagree.
 */
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openPg } from "../../clients/postgres";
import type { PgParameter } from "./index";

export const PG_BIN = "/usr/lib/postgresql/15/bin";

function asPostgres(cmd: string, args: string[]): string {
  return execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] }).toString();
}

/** pg_settings rows of a fresh PostgreSQL 15, as catalogue entries, and the server version. */
export async function readLiveCatalogue(): Promise<{ serverVersion: string; parameters: Record<string, PgParameter> }> {
  const root = mkdtempSync(join(tmpdir(), "pg-catalogue-"));
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  chownSync(root, uid, gid);
  const data = join(root, "data");
  let started = false;
  try {
    // Trust on the Unix socket only: no TCP listener, and the socket sits in a 0700 folder.
    asPostgres(`${PG_BIN}/initdb`, ["-D", data, "--auth-local=trust", "--auth-host=reject", "-U", "postgres", "--no-sync"]);
    asPostgres(`${PG_BIN}/pg_ctl`, [
      "start", "-D", data, "-w", "-t", "30", "-l", join(root, "server.log"),
      "-o", `-c listen_addresses='' -c unix_socket_directories='${root}' -c shared_preload_libraries=pg_stat_statements -c fsync=off`,
    ]);
    started = true;
    const client = openPg({ host: root, user: "postgres", database: "postgres" }, { connectTimeoutMs: 5000, queryTimeoutMs: 10_000 });
    await client.connect();
    try {
      const version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0].server_version;
      const rows = (
        await client.query<{ name: string; vartype: string; context: string; category: string; unit: string | null; min_val: string | null; max_val: string | null; enumvals: string[] | null }>(
          "SELECT name, vartype, context, category, unit, min_val, max_val, enumvals FROM pg_settings ORDER BY name",
        )
      ).rows;
      const parameters: Record<string, PgParameter> = {};
      for (const r of rows) {
        const p: PgParameter = { type: r.vartype as PgParameter["type"], context: r.context, category: r.category };
        if (r.unit) p.unit = r.unit;
        if (r.min_val !== null && (r.vartype === "integer" || r.vartype === "real")) p.min = Number(r.min_val);
        if (r.max_val !== null && (r.vartype === "integer" || r.vartype === "real")) p.max = Number(r.max_val);
        if (r.enumvals) p.values = [...r.enumvals];
        parameters[r.name] = p;
      }
      return { serverVersion: version.split(" ")[0], parameters };
    } finally {
      await client.end();
    }
  } finally {
    if (started) {
      try {
        asPostgres(`${PG_BIN}/pg_ctl`, ["stop", "-D", data, "-m", "immediate", "-w", "-t", "20"]);
      } catch {
        // the folder is removed below; a server that will not stop is reported by the caller's timeout
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
}
