/**
 * Runs the real program for a stack under Pulumi's mocks and returns every
 * registered resource (type, name, inputs, parent, protect, ...) and the stack
 * outputs. Used by component and policy tests and by the offline review.
 *
 * Config comes from `Pulumi.<stack>.yaml` (plus optional overrides), exactly as the
 * CLI would hand it to the program. One run per process at a time: Pulumi's
 * runtime state is global.
 */
import * as pulumi from "@pulumi/pulumi";
import { deserializeProperties, isRpcSecret, unwrapRpcSecret } from "@pulumi/pulumi/runtime/rpc";
import { deepMerge } from "../components/settings/defaults";
import { readStackFile, type StackFile } from "../components/settings/stackFile";
import { mockCall, mockNewResource } from "./mocks";

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** True for provider resources (ElastiCache, RDS, ...); false for components. */
  custom: boolean;
  /** Inputs as the provider receives them, secrets unwrapped. */
  inputs: Record<string, any>;
  /** Top-level input names whose value was a secret. */
  secretInputs: string[];
  /** Dot paths (array indices as numbers) of every secret value in the inputs, at any depth. */
  secretPaths: string[];
  /** State the mock returned (inputs plus computed outputs). */
  state: Record<string, any>;
  parent?: string;
  protect: boolean;
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  dependencies: string[];
  /** Input name -> URNs it depends on (as the engine hands them to stack policies). */
  propertyDependencies?: Record<string, string[]>;
  /** Physical id the mock returned. */
  id?: string;
  provider?: string;
}

export interface ProgramRun {
  stack: string;
  resources: RecordedResource[];
  outputs: Record<string, any>;
  /** Top-level outputs exported as Pulumi secrets. */
  secretOutputs: string[];
}

/** Property of an error thrown by the program: the resources registered before it. */
export const REGISTERED = Symbol("registeredResources");

/** Resources a failed run registered before it threw. */
export function registeredBefore(error: unknown): RecordedResource[] {
  return ((error as Record<symbol, RecordedResource[]>)?.[REGISTERED]) ?? [];
}

export interface RunOptions {
  stack: string;
  /** Values deep-merged over the stack file's own (un-namespaced keys: `redis`, `platform`, ...). */
  overrides?: Record<string, unknown>;
  /** Explicit stack file path instead of `Pulumi.<stack>.yaml`. */
  file?: string;
  preview?: boolean;
}

/** Paths of the secret values in deserialized RPC properties (not descending into a secret). */
function secretPathsOf(v: any, path: string[] = []): string[] {
  if (isRpcSecret(v)) return [path.join(".")];
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => secretPathsOf(x, [...path, k]));
  return [];
}

function unwrapSecrets(v: any): any {
  if (isRpcSecret(v)) return unwrapSecrets(unwrapRpcSecret(v));
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

/** Namespaced config for a stack file plus overrides, as the CLI would set it. */
export function stackConfig(sf: StackFile, overrides: Record<string, unknown> = {}): Record<string, string> {
  const config = { ...sf.config };
  for (const [k, v] of Object.entries(overrides)) {
    const full = k.includes(":") ? k : `${sf.project}:${k}`;
    const short = full.slice(full.indexOf(":") + 1);
    const current = full === "aws:region" ? sf.raw.awsRegion : sf.raw.values[short];
    const merged = deepMerge(current, v);
    if (merged === undefined) delete config[full];
    else config[full] = typeof merged === "string" ? merged : JSON.stringify(merged);
  }
  return config;
}

export async function runProgram(opts: RunOptions): Promise<ProgramRun> {
  const sf = readStackFile(opts.stack, { file: opts.file });
  const resources: RecordedResource[] = [];
  const states = new Map<string, Record<string, any>>();

  pulumi.runtime.setAllConfig(stackConfig(sf, opts.overrides), []);
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const r = mockNewResource(args);
        states.set(`${args.type}::${args.name}`, r.state);
        return r;
      },
      call: mockCall,
    },
    sf.project,
    opts.stack,
    opts.preview ?? false,
  );

  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, cb: (err: any, resp: any) => void) => {
    const raw = deserializeProperties(req.getObject());
    const rec: RecordedResource = {
      type: req.getType(),
      name: req.getName(),
      urn: "",
      custom: req.getCustom(),
      inputs: unwrapSecrets(raw),
      secretInputs: Object.entries(raw).filter(([, v]) => isRpcSecret(v)).map(([k]) => k),
      secretPaths: secretPathsOf(raw),
      state: {},
      parent: req.getParent() || undefined,
      protect: req.getProtect() === true,
      retainOnDelete: req.getRetainondelete?.() === true,
      deleteBeforeReplace: req.getDeletebeforereplace?.() === true,
      ignoreChanges: req.getIgnorechangesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      dependencies: req.getDependenciesList(),
      propertyDependencies: Object.fromEntries(req.getPropertydependenciesMap().toArray().map(([k, v]: [string, any]) => [k, v[0] ?? []])),
      provider: req.getProvider() || undefined,
    };
    resources.push(rec);
    register(req, (err: any, resp: any) => {
      if (resp) {
        rec.urn = resp.getUrn();
        rec.id = resp.getId() || undefined;
        rec.state = unwrapSecrets(states.get(`${rec.type}::${rec.name}`) ?? {});
      }
      cb(err, resp);
    });
  };

  const { main } = await import("../stacks/program");
  let exported: Record<string, unknown>;
  try {
    exported = await main();
  } catch (e) {
    // Tests assert that a failing program registered nothing (no half-created stack).
    if (e && typeof e === "object") Object.defineProperty(e, REGISTERED, { value: resources });
    throw e;
  }
  const outputs: Record<string, any> = {};
  const secretOutputs: string[] = [];
  for (const [k, v] of Object.entries(exported)) {
    const o = pulumi.output(v as pulumi.Input<unknown>) as pulumi.Output<unknown>;
    outputs[k] = await new Promise((resolve) => o.apply((x) => resolve(x)));
    if (await pulumi.isSecret(o)) secretOutputs.push(k);
  }
  await (pulumi.runtime as any).waitForRPCs?.();
  return { stack: opts.stack, resources, outputs, secretOutputs };
}

/**
 * The run seen from one component: `resources` holds only that component's
 * descendants (so `single(view, type)` is about this component, however many other
 * slices register the same type), `all` keeps the whole run.
 */
export function within(run: ProgramRun, componentType: string): ProgramRun & { all: RecordedResource[] } {
  const roots = run.resources.filter((r) => r.type === componentType).map((r) => r.urn);
  if (roots.length === 0) throw new Error(`no ${componentType} in the run`);
  const inside = new Set(roots);
  for (const r of run.resources) if (r.parent && inside.has(r.parent)) inside.add(r.urn);
  return { ...run, resources: run.resources.filter((r) => inside.has(r.urn)), all: run.resources };
}

/** Resources of one type, in registration order. */
export function ofType(run: ProgramRun, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The single resource of a type; throws (naming what exists) when there is not exactly one. */
export function single(run: ProgramRun, type: string): RecordedResource {
  const found = ofType(run, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
  return found[0];
}
