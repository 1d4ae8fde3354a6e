/**
 * execIn against a fake engine: podman can drop a finished exec session before its exit
 * code is read (HTTP 404 "no such exec session"); the health wait must see "unknown" and
 * retry, not fail the whole `up`. Any other engine error still surfaces.
 */
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { execIn } from "./apply";

function engine(inspect: () => Promise<unknown>): Docker {
  const exec = {
    start: async () => {
      const s = new PassThrough();
      setImmediate(() => s.end(Buffer.from("ok\n")));
      return s;
    },
    inspect,
  };
  return { getContainer: () => ({ exec: async () => exec }) } as unknown as Docker;
}

const httpError = (statusCode: number, message: string) => Object.assign(new Error(message), { statusCode });

describe("execIn", () => {
  it("returns the exit code and output the engine reports", async () => {
    expect(await execIn(engine(async () => ({ ExitCode: 3 })), "c", ["true"], 1000)).toEqual({ code: 3, output: "ok" });
  });

  it("an exec session the engine already dropped (404) gives an unknown code, with the output kept", async () => {
    const r = await execIn(engine(async () => Promise.reject(httpError(404, "(HTTP code 404) no such exec - no exec session with ID x found"))), "c", ["true"], 1000);
    expect(r).toEqual({ code: null, output: "ok" });
  });

  it("any other engine error is thrown", async () => {
    await expect(execIn(engine(async () => Promise.reject(httpError(500, "(HTTP code 500) server error"))), "c", ["true"], 1000)).rejects.toThrow(/HTTP code 500/);
  });
});
