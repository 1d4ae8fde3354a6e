/**
 * Free ports for a sandbox, picked at start and recorded in its state file. Ports come
 * from below the kernel's ephemeral range (32768+ here), so an outgoing connection
 * cannot take one between the pick and the bind, and never the services' default ports.
 */
import { createServer } from "node:net";

/** The default ports of the real services: a sandbox must never take them. */
export const RESERVED_PORTS: ReadonlySet<number> = new Set([5432, 6379, 6432, 26379]);

export const PORT_RANGE = { from: 20_000, to: 32_000 } as const;

export interface PickOptions {
  /** Probe: is this port free (on every host it must be free on)? */
  isFree: (port: number) => Promise<boolean>;
  /** Ports already taken by this sandbox or another one. */
  exclude?: Iterable<number>;
  range?: { from: number; to: number };
  /** [0, 1) source, injected for tests. @default Math.random */
  random?: () => number;
  /** Probes before giving up. @default 200 */
  maxAttempts?: number;
}

/** Picks `count` distinct free ports at random from the range. */
export async function pickPorts(count: number, o: PickOptions): Promise<number[]> {
  const range = o.range ?? PORT_RANGE;
  if (!(range.from >= 1024 && range.to <= 65535 && range.from <= range.to)) throw new Error(`port range ${range.from}-${range.to} is not within 1024-65535`);
  const random = o.random ?? Math.random;
  const taken = new Set<number>([...RESERVED_PORTS, ...(o.exclude ?? [])]);
  const picked: number[] = [];
  const maxAttempts = o.maxAttempts ?? 200;
  let attempts = 0;
  while (picked.length < count) {
    if (attempts++ >= maxAttempts) {
      throw new Error(`could not find ${count} free ports in ${range.from}-${range.to} after ${maxAttempts} probes (found ${picked.length})`);
    }
    const port = range.from + Math.floor(random() * (range.to - range.from + 1));
    if (taken.has(port)) continue;
    taken.add(port);
    if (await o.isFree(port)) picked.push(port);
  }
  return picked;
}

/** Whether `port` can be bound on `host` right now. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** A probe that wants the port free on every one of `hosts`. */
export function freeOn(hosts: string[]): (port: number) => Promise<boolean> {
  return async (port) => {
    for (const h of hosts) if (!(await canBind(h, port))) return false;
    return true;
  };
}

/** Ports this process has handed out through loopbackPort(): never twice, bound yet or not. */
const handedOut = new Set<number>();

/**
 * One free port on 127.0.0.1 from the sandbox's range, for a server started right after.
 * Not the kernel's `listen(0)`: that port comes from the ephemeral range, where any
 * outgoing connection made before the server binds it (a client of the server started
 * just before, say) can take it, and the server then fails to start.
 */
export async function loopbackPort(): Promise<number> {
  const [port] = await pickPorts(1, { isFree: freeOn(["127.0.0.1"]), exclude: handedOut });
  handedOut.add(port);
  return port;
}
