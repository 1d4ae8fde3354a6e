/**
 * Helpers for code that runs real servers on loopback: the integration tests and the
 * benchmark's self-started fallback. Ports come from the sandbox's range below the
 * ephemeral one (sandbox/ports.ts).
 */
import { loopbackPort } from "../sandbox/ports";

/** A free port on 127.0.0.1, below the ephemeral range and never the same twice in a process (sandbox/ports.ts). */
export const freePort = loopbackPort;

/**
 * Retries `probe` until it returns true or `ms` pass; the error names what was awaited
 * and the last failure. Each probe must bound its own time.
 */
export async function until(what: string, probe: () => Promise<boolean>, ms = 15_000, everyMs = 150): Promise<void> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await probe()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? `: ${(last as Error).message ?? String(last)}` : ""}`);
}
