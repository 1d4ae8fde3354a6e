/**
 * Pins the input shapes of the operations in operations.ts from botocore's service
 * models into models.json (with the source and date), so CI needs no extra package:
 *   apt-get download python3-botocore && dpkg-deb -x python3-botocore_*.deb /tmp/bc
 *   npx tsx components/aws/models/pin.ts /tmp/bc/usr/lib/python3/dist-packages/botocore/data "<source description>"
 * Only what a check reads is kept: type, min, max, pattern, enum, member/members/key/value.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { MODEL_OPERATIONS } from "./operations";

type RawShape = Record<string, unknown> & { type: string; members?: Record<string, { shape: string }>; member?: { shape: string }; key?: { shape: string }; value?: { shape: string } };

function readModel(dir: string, service: string, version: string): { metadata: Record<string, unknown>; operations: Record<string, { input?: { shape: string } }>; shapes: Record<string, RawShape> } {
  const base = join(dir, service, version, "service-2.json");
  if (existsSync(base)) return JSON.parse(readFileSync(base, "utf8"));
  return JSON.parse(gunzipSync(readFileSync(`${base}.gz`)).toString("utf8"));
}

function main(): void {
  const [dir, source] = process.argv.slice(2);
  if (!dir || !source) {
    console.error("usage: pin.ts <botocore data dir> <source description>");
    process.exit(2);
  }
  const services: Record<string, unknown> = {};
  for (const [service, { apiVersion, operations }] of Object.entries(MODEL_OPERATIONS)) {
    const model = readModel(dir, service, apiVersion);
    const keep: Record<string, unknown> = {};
    const visit = (name: string) => {
      if (keep[name]) return;
      const s = model.shapes[name];
      const t: Record<string, unknown> = { type: s.type };
      for (const k of ["min", "max", "pattern", "enum"]) if (s[k] !== undefined) t[k] = s[k];
      keep[name] = t;
      if (s.members) {
        t.members = Object.fromEntries(Object.entries(s.members).map(([m, v]) => [m, v.shape]));
        Object.values(s.members).forEach((v) => visit(v.shape));
      }
      for (const k of ["member", "key", "value"] as const) {
        const ref = s[k];
        if (ref) {
          t[k] = ref.shape;
          visit(ref.shape);
        }
      }
    };
    const ops: Record<string, string> = {};
    for (const op of operations) {
      const input = model.operations[op]?.input?.shape;
      if (!input) throw new Error(`${service} ${apiVersion} has no operation ${op}`);
      ops[op] = input;
      visit(input);
    }
    services[service] = { apiVersion, protocol: model.metadata.protocol, operations: ops, shapes: keep };
  }
  const out = join(__dirname, "models.json");
  writeFileSync(out, `${JSON.stringify({ source, pinned: new Date().toISOString().slice(0, 10), services }, null, 0)}\n`);
  console.log(`${out}: ${Object.keys(services).length} services`);
}

if (require.main === module) main();
