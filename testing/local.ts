/**
 * Helpers for code that runs real servers on loopback: the integration tests and the
 * benchmark's self-started fallback. (The sandbox picks its ports from a fixed range
 * below the ephemeral one instead: sandbox/ports.ts.)
 */
import { createServer } from "node:net";

/** A port the kernel hands out as free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

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
