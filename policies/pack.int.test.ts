/**
 * The pack as the Pulumi CLI runs it: `policies/` started by @pulumi/pulumi's
 * run-policy-pack (the analyzer plugin's entry, TypeScript through ts-node and
 * policies/tsconfig.json, `version` from policies/package.json), then queried over its
 * gRPC interface the way the engine does: GetAnalyzerInfo, then Analyze on one resource.
 * No Pulumi CLI is needed; the process is ours and is always stopped.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_POLICIES } from "./policies";

/* eslint-disable @typescript-eslint/no-require-imports */
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const structPb = require("google-protobuf/google/protobuf/struct_pb");
const emptyPb = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const PACK_DIR = __dirname;
let child: ChildProcess;
let client: InstanceType<typeof grpc.Client> & Record<string, (req: unknown, cb: (err: Error | null, res: unknown) => void) => void>;

function call<T>(method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => client[method](req, (err, res) => (err ? reject(err) : resolve(res as T))));
}

beforeAll(async () => {
  child = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", "."], { cwd: PACK_DIR, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the pack printed no port within 90 s; stderr: ${stderr.slice(0, 2000)}`)), 90_000);
    child.stdout!.on("data", (d: Buffer) => {
      const m = /^(\d+)\s*$/m.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the pack exited with ${code}; stderr: ${stderr.slice(0, 2000)}`));
    });
  });
  const Client = grpc.makeGenericClientConstructor(analyzerRpc.AnalyzerService, "Analyzer");
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as typeof client;
}, 120_000);

afterAll(() => {
  client?.close();
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

describe("policies/ as a policy pack process", () => {
  it("serves every policy of the library, at policies/package.json's version", async () => {
    const info = (await call<{ getName(): string; getVersion(): string; getPoliciesList(): { getName(): string }[] }>("getAnalyzerInfo", new emptyPb.Empty()));
    expect(info.getName()).toBe("data-tier");
    expect(info.getVersion()).toBe("0.1.0");
    expect(info.getPoliciesList().map((p) => p.getName())).toEqual(ALL_POLICIES.map((p) => p.name));
  });

  it("analyzes a resource like the engine: a public RDS instance is reported", async () => {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType("aws:rds/instance:Instance");
    req.setName("db");
    req.setUrn("urn:pulumi:prod::data-tier::aws:rds/instance:Instance::db");
    req.setProperties(structPb.Struct.fromJavaScript({ storageEncrypted: true, publiclyAccessible: true, backupRetentionPeriod: 14, performanceInsightsEnabled: true, tags: { Project: "data-tier", Environment: "prod", ManagedBy: "pulumi", Owner: "platform-data" } }));
    req.setOptions(new analyzerPb.AnalyzerResourceOptions());
    const res = await call<{ getDiagnosticsList(): { getPolicyname(): string; getMessage(): string }[] }>("analyze", req);
    expect(res.getDiagnosticsList().map((d) => [d.getPolicyname(), d.getMessage()])).toEqual([
      ["rds-no-public-access", expect.stringContaining("Set publiclyAccessible to false on the RDS instance")],
    ]);
  });
});
