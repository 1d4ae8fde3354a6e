/**
 * The sandbox's own verdict after a heal, for the integration tests. A drill converges on
 * the suite's checks; `status` probes on its own (a port within 1 s, each Postgres within
 * 2 s, the router's last round), so right after a heal on a busy machine one probe can
 * still be settling. Polls for a short bound and returns the last status: the caller
 * asserts its `problems` are none, so a failure names what is still wrong.
 */
import { sandboxStatus, type SandboxStatus } from "../sandbox/lifecycle";

export async function settledStatus(dir: string, ms = 10_000): Promise<SandboxStatus> {
  const end = Date.now() + ms;
  let s = await sandboxStatus(dir);
  while (!s.healthy && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 250));
    s = await sandboxStatus(dir);
  }
  return s;
}
