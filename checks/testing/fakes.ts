/** Test helpers for the smoke suite: outputs pointing at dead ports, hanging servers, tiny checks. */
import { createServer, type Server, type Socket } from "node:net";
import { sampleOutputs } from "../../testing/fixtures/outputs";
import type { StackOutputs } from "../../components/contract/outputs";
import type { Check, CheckOutcome } from "../types";
import { freePort } from "../../testing/local";
export { freePort };


/** A TCP server on 127.0.0.1 running `onSocket` per connection; `close` destroys open sockets first. */
export async function loopbackServer(onSocket: (s: Socket) => void = () => undefined): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => undefined);
    s.on("close", () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return {
    port: (srv.address() as { port: number }).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        srv.close(() => r());
      }),
  };
}

/** A TCP server that accepts connections and never answers: a hung endpoint. */
export function hangingServer(): Promise<{ port: number; close(): Promise<void> }> {
  return loopbackServer();
}

/** Sample outputs whose endpoints are all closed loopback ports (found free just now). */
export async function deadOutputs(): Promise<StackOutputs> {
  const o = sampleOutputs();
  const p = async () => ({ host: "127.0.0.1", port: await freePort() });
  o.redis.primary = await p();
  o.redis.nodes = [{ name: "redis-master", ...o.redis.primary }, { name: "redis-replica-1", ...(await p()) }];
  o.redis.readers = [{ host: o.redis.nodes[1].host, port: o.redis.nodes[1].port }];
  o.redis.sentinels = [await p()];
  o.postgres.primary = await p();
  o.postgres.replicas = [{ id: "replica-1", ...(await p()) }];
  o.pgbouncer.endpoint = await p();
  return o;
}

export function fakeCheck(id: string, run: Check["run"] | CheckOutcome, extra: Partial<Check> = {}): Check {
  return { id, group: "system", title: `fake ${id}`, run: typeof run === "function" ? run : async () => run, ...extra };
}
