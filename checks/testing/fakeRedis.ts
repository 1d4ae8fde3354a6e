/**
 * A scripted RESP server for message tests: answers the few commands the cache checks
 * send (PING, AUTH, INFO, SENTINEL ..., SET/GET/DEL/WAIT) from a reply function, so a
 * test can stage what no healthy topology shows on demand (TILT, NOQUORUM, two masters).
 * Real servers cover the rest (checks/sandbox.int.test.ts, the fault matrix).
 */
import { loopbackServer } from "./fakes";

/** A reply: string = simple string, {error} = error reply, {bulk} = bulk string, array, number, null. */
export type Reply = string | number | null | { error: string } | { bulk: string } | Reply[];

export function encode(r: Reply): string {
  if (r === null) return "$-1\r\n";
  if (typeof r === "number") return `:${r}\r\n`;
  if (typeof r === "string") return `+${r}\r\n`;
  if (Array.isArray(r)) return `*${r.length}\r\n${r.map(encode).join("")}`;
  if ("error" in r) return `-${r.error}\r\n`;
  return `$${Buffer.byteLength(r.bulk)}\r\n${r.bulk}\r\n`;
}

/** Parses as many complete RESP arrays of bulk strings as `buf` holds; returns them and the rest. */
export function parseCommands(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let i = 0;
  for (;;) {
    if (buf[i] !== "*") break;
    const nl = buf.indexOf("\r\n", i);
    if (nl < 0) break;
    const n = Number(buf.slice(i + 1, nl));
    let j = nl + 2;
    const args: string[] = [];
    let complete = true;
    for (let k = 0; k < n; k++) {
      const l = buf.indexOf("\r\n", j);
      if (buf[j] !== "$" || l < 0) {
        complete = false;
        break;
      }
      const len = Number(buf.slice(j + 1, l));
      if (buf.length < l + 2 + len + 2) {
        complete = false;
        break;
      }
      args.push(buf.slice(l + 2, l + 2 + len));
      j = l + 2 + len + 2;
    }
    if (!complete) break;
    commands.push(args);
    i = j;
  }
  return { commands, rest: buf.slice(i) };
}

/** INFO text from sections of key/value pairs. */
export function infoText(fields: Record<string, string | number>): { bulk: string } {
  return { bulk: Object.entries(fields).map(([k, v]) => `${k}:${v}`).join("\r\n") + "\r\n" };
}

export interface FakeRedis {
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 answering each command with `reply(args)` (args[0]
 * upper-cased). A reply may be a promise (a slow server); answers keep the commands' order.
 */
export function fakeRedis(reply: (args: string[]) => Reply | Promise<Reply>): Promise<FakeRedis> {
  return loopbackServer((s) => {
    let buf = "";
    let queue: Promise<void> = Promise.resolve();
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      const parsed = parseCommands(buf + d);
      buf = parsed.rest;
      for (const args of parsed.commands) {
        const answer = reply([args[0].toUpperCase(), ...args.slice(1)]);
        if (!(answer instanceof Promise)) {
          queue = queue.then(() => void s.write(encode(answer), "latin1"));
          continue;
        }
        queue = queue.then(async () => {
          const r = await answer;
          if (!s.destroyed) s.write(encode(r), "latin1");
        });
      }
    });
  });
}
