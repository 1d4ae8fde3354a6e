/**
 * SCRAM-SHA-256 verifiers computed on the client (RFC 5802 / RFC 7677, the format of
 * PostgreSQL's pg_authid.rolpassword), so that `CREATE ROLE ... PASSWORD '<verifier>'`
 * carries no password: PostgreSQL stores a value already in this format as it is
 * (https://www.postgresql.org/docs/15/sql-createrole.html: "If the presented password
 * string is already in MD5-encrypted or SCRAM-encrypted format, then it is stored as-is").
 * The plain text then never reaches pg_stat_statements, the server log or the WAL.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/** PostgreSQL's defaults (scram_iterations, SCRAM_DEFAULT_SALT_LEN). */
export const SCRAM_ITERATIONS = 4096;
export const SCRAM_SALT_BYTES = 16;

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/;

/** Whether `s` is a SCRAM-SHA-256 verifier (what PostgreSQL stores as-is). */
export function isScramVerifier(s: string): boolean {
  return VERIFIER.test(s);
}

/**
 * The verifier of `password`. `salt` (base64 of at least 16 bytes) makes it
 * deterministic, which a Pulumi resource needs to stay unchanged between runs; without
 * it a random salt is drawn. Passwords are printable ASCII: SASLprep is then the
 * identity, so the server and any client derive the same keys.
 */
export function scramVerifier(password: string, salt?: string, iterations = SCRAM_ITERATIONS): string {
  if (password.length === 0 || /[^\x20-\x7e]/.test(password)) throw new Error("scram verifier: the password must be non-empty printable ASCII");
  const saltBytes = salt === undefined ? randomBytes(SCRAM_SALT_BYTES) : Buffer.from(salt, "base64");
  if (saltBytes.length < SCRAM_SALT_BYTES) throw new Error(`scram verifier: the salt must be base64 of at least ${SCRAM_SALT_BYTES} bytes`);
  const salted = pbkdf2Sync(password, saltBytes, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${saltBytes.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Whether `verifier` was made from `password` (recomputes it with the verifier's own salt and iterations). */
export function verifierMatches(verifier: string, password: string): boolean {
  const m = VERIFIER.exec(verifier);
  return m !== null && scramVerifier(password, m[2], Number(m[1])) === verifier;
}
