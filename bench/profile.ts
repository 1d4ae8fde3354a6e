/**
 * Where the review's CPU time goes, from a V8 CPU profile (`node --cpu-prof`), for
 * `npm run bench:review -- --profile`: self time of each sample grouped by what it was
 * doing. Pure: reads a profile object, returns milliseconds per category.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** First match wins: [category, test on the frame's url and function name]. */
const RULES: [string, (url: string, fn: string) => boolean][] = [
  ["TypeScript loader (tsx hooks, transpile)", (u) => /node_modules\/(tsx|get-tsconfig)\//.test(u)],
  ["esbuild (bundling at run time)", (u) => u.includes("node_modules/esbuild/")],
  ["stack traces (Pulumi's per-promise Error().stack, source-mapped under tsx)", (u, f) => u.includes("source_map") || /prepareStackTrace|serializeJSStackFrame/.test(f)],
  ["compiling modules (V8)", (_u, f) => /wrapSafe|compileFunctionForCJSLoader|compileSourceTextModule/.test(f)],
  ["resolving and reading modules (Node)", (u, f) => u.startsWith("node:internal/modules") || u.startsWith("node:internal/url") || /readFileUtf8|internalModuleStat|readPackageJSON|lstat|realpath/.test(f)],
  ["Pulumi SDK and providers (@pulumi/*, grpc, protobuf)", (u) => /node_modules\/(@pulumi|@grpc|google-protobuf|@opentelemetry)\//.test(u)],
  ["typescript (loaded by @pulumi/pulumi's closure code)", (u) => u.includes("node_modules/typescript/")],
  ["validation and parsing (zod, ajv, yaml)", (u) => /node_modules\/(zod|ajv|yaml|js-yaml|fast-uri)\//.test(u)],
  ["garbage collection", (_u, f) => f === "(garbage collector)"],
  ["this repository's code", (u) => u.includes("/.cache/data-tier/") || /\/(components|stacks|tools|policies|checks|devstack)\/.*\.ts$/.test(u)],
];

export function categorize(profile: CpuProfile): { total: number; byCategory: [string, number][] } {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const n = nodes.get(id);
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!n || n.callFrame.functionName === "(idle)") return;
    total += ms;
    const rule = RULES.find(([, test]) => test(n.callFrame.url, n.callFrame.functionName));
    const cat = rule?.[0] ?? "other";
    totals.set(cat, (totals.get(cat) ?? 0) + ms);
  });
  return { total, byCategory: [...totals.entries()].sort((a, b) => b[1] - a[1]) };
}
