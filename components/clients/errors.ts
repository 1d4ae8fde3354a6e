/** A driver's error in words, shared by every Redis and Postgres connection the project opens. */

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const NET_REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused (nothing listening)",
  ECONNRESET: "connection reset by the server",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "host name lookup failed (DNS)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
};

/** A driver's connect error in words: "connect ECONNREFUSED 127.0.0.1:6390" -> "connection refused (nothing listening)". */
export function connectReason(e: unknown): string {
  const text = errorText(e);
  const code = (e as { code?: string })?.code ?? /\b(E[A-Z]+)\b/.exec(text)?.[1];
  return (code && NET_REASONS[code]) ?? text;
}
