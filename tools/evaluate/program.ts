/**
 * Evaluates the real program for a stack under Pulumi's mocks and returns every
 * registered resource (type, name, inputs, parent, protect, ...) and the stack
 * outputs. The offline review, the policy runner and the tests read programs this way.
 *
 * Only public SDK APIs: `runtime.setMocks` sees what reaches the engine (type, name,
 * serialized inputs with their secret markers, custom, provider), and a stack
 * transformation (`runtime.registerStackTransformation`) sees the resource object and
 * its options (parent, protect, dependsOn, ignoreChanges, ...). An SDK upgrade is a
 * version bump, not a patch of its internals.
 *
 * Config comes from `Pulumi.<stack>.yaml` (plus optional overrides), exactly as the
 * CLI would hand it to the program. One run per process at a time: Pulumi's
 * runtime state is global.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- recorded inputs and state are provider-shaped; policies and tests read them by path */
import * as pulumi from "@pulumi/pulumi";
import { deepMerge } from "../../components/settings/defaults";
import { readStackFile, type StackFile } from "../../components/settings/stackFile";
import { mockCall, mockNewResource } from "./mocks";
import { readSharedRun, sharedRunFile, writeSharedRun } from "./shared";

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
  /**
   * State merged over what the mocks compute for a resource (e.g. real passwords for
   * random:RandomPassword when the dev-stack runner creates the containers for real).
   */
  state?: (type: string, name: string, inputs: Record<string, any>) => Record<string, unknown> | undefined;
}

// Pulumi's documented wire format for a secret value (sdk/proto "secret" signature):
// what the mock monitor receives in place of a value marked secret.
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretValue(v: unknown): v is { value: unknown } {
  return !!v && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Paths of the secret values in serialized inputs (not descending into a secret). */
function secretPathsOf(v: unknown, path: string[] = []): string[] {
  if (isSecretValue(v)) return [path.join(".")];
  if (v && typeof v === "object") return Object.entries(v).flatMap(([k, x]) => secretPathsOf(x, [...path, k]));
  return [];
}

function unwrapSecrets(v: any): any {
  if (isSecretValue(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

/** Resolves an Output (known or not) to its value, or undefined when it never resolves in a dry run. */
function settle<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((x) => resolve(x)));
}

/** What the stack transformation saw of one resource, completed when it reaches the mock. */
interface Construction {
  resource: pulumi.Resource;
  props: Record<string, unknown>;
  opts: pulumi.ResourceOptions;
  rec: RecordedResource;
}

/**
 * Outputs and resources reachable from an input value (arrays and plain objects
 * walked). An Output counts when it is one of an earlier resource's own output
 * properties, which is how components pass `group.name` or `sg.id` to a child.
 */
function referencedResources(v: unknown, owners: WeakMap<object, pulumi.Resource>, seen = new Set<unknown>()): pulumi.Resource[] {
  if (!v || typeof v !== "object" || seen.has(v)) return [];
  seen.add(v);
  if (pulumi.Resource.isInstance(v)) return [v];
  const owner = owners.get(v);
  if (owner) return [owner];
  if (pulumi.Output.isInstance(v)) return [];
  const values = Array.isArray(v) ? v : Object.getPrototypeOf(v) === Object.prototype ? Object.values(v) : [];
  return values.flatMap((x) => referencedResources(x, owners, seen));
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
  // Unit tests only (DATA_TIER_SHARED_RUNS): a plain run of an unchanged tree, evaluated once.
  const shared = sharedRunFile({ ...opts });
  const stored = shared ? readSharedRun<ProgramRun>(shared) : undefined;
  if (stored) return stored;
  const sf = readStackFile(opts.stack, { file: opts.file });
  const resources: RecordedResource[] = [];
  const waiting = new Map<string, Construction[]>();
  const byResource = new Map<pulumi.Resource, Construction>();
  const owners = new WeakMap<object, pulumi.Resource>();
  const key = (type: string, name: string) => `${type}::${name}`;

  const complete = (c: Construction, args: pulumi.runtime.MockResourceArgs, state: Record<string, any>) => {
    const { rec, opts: o } = c;
    const parentC = o.parent ? byResource.get(o.parent) : undefined;
    rec.custom = args.custom === true;
    rec.inputs = unwrapSecrets(args.inputs ?? {});
    rec.secretInputs = Object.entries(args.inputs ?? {}).filter(([, v]) => isSecretValue(v)).map(([k]) => k);
    rec.secretPaths = secretPathsOf(args.inputs ?? {});
    rec.state = unwrapSecrets(state);
    rec.provider = args.provider || undefined;
    // The SDK has applied inheritance (protect, providers) to `opts` by the time the
    // resource is registered.
    rec.protect = o.protect === true;
    rec.retainOnDelete = o.retainOnDelete === true || (o.retainOnDelete === undefined && parentC?.rec.retainOnDelete === true);
    rec.ignoreChanges = [...(o.ignoreChanges ?? [])];
    rec.deleteBeforeReplace = (o as pulumi.CustomResourceOptions).deleteBeforeReplace === true;
    rec.additionalSecretOutputs = [...((o as pulumi.CustomResourceOptions).additionalSecretOutputs ?? [])];
  };

  pulumi.runtime.setAllConfig(stackConfig(sf, opts.overrides), []);
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const r = mockNewResource(args);
        const extra = opts.state?.(args.type, args.name, args.inputs);
        if (extra) r.state = { ...r.state, ...extra };
        const queue = waiting.get(key(args.type, args.name));
        const c = queue?.shift();
        if (c) complete(c, args, r.state);
        return r;
      },
      call: mockCall,
    },
    sf.project,
    opts.stack,
    opts.preview ?? false,
  );

  let exported: Record<string, unknown> = {};
  let failure: unknown;
  await pulumi.runtime
    .runInPulumiStack(async () => {
      pulumi.runtime.registerStackTransformation((t) => {
        const rec: RecordedResource = {
          type: t.type, name: t.name, urn: "", custom: false, inputs: {}, secretInputs: [], secretPaths: [], state: {},
          protect: false, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], additionalSecretOutputs: [], dependencies: [],
        };
        const c: Construction = { resource: t.resource, props: t.props, opts: t.opts, rec };
        resources.push(rec);
        byResource.set(t.resource, c);
        const k = key(t.type, t.name);
        waiting.set(k, [...(waiting.get(k) ?? []), c]);
        return undefined;
      });
      const { main } = await import("../../stacks/program");
      try {
        exported = await main();
      } catch (e) {
        failure = e;
      }
      return undefined;
    })
    .catch((e) => {
      failure ??= e;
    });

  // Every registration answered before the next run installs its own mocks.
  await pulumi.runtime.disconnect();

  // Identity, parents and dependencies, once every resource object exists.
  for (const [resource] of byResource) {
    for (const v of Object.values(resource)) if (pulumi.Output.isInstance(v)) owners.set(v, resource);
  }
  for (const [resource, c] of byResource) {
    c.rec.urn = await settle(resource.urn);
    if (pulumi.CustomResource.isInstance(resource)) c.rec.id = (await settle(resource.id)) || undefined;
  }
  const urnOf = (r: pulumi.Resource) => byResource.get(r)?.rec.urn;
  for (const [, c] of byResource) {
    const parent = c.opts.parent ? urnOf(c.opts.parent) : undefined;
    c.rec.parent = parent;
    const explicit = c.opts.dependsOn ? await settle(pulumi.output(c.opts.dependsOn as pulumi.Input<pulumi.Resource | pulumi.Resource[]>)) : [];
    const deps = new Set<string>();
    for (const r of ([] as pulumi.Resource[]).concat(explicit as pulumi.Resource | pulumi.Resource[])) {
      const u = urnOf(r);
      if (u) deps.add(u);
    }
    const propertyDependencies: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(c.props ?? {})) {
      const urns = [...new Set(referencedResources(v, owners).map(urnOf).filter((u): u is string => !!u && u !== c.rec.urn))];
      if (urns.length) propertyDependencies[k] = urns;
      for (const u of urns) deps.add(u);
    }
    c.rec.dependencies = [...deps];
    c.rec.propertyDependencies = propertyDependencies;
  }

  if (failure !== undefined) {
    // Tests assert that a failing program registered nothing (no half-created stack).
    if (failure && typeof failure === "object") Object.defineProperty(failure, REGISTERED, { value: resources });
    throw failure;
  }
  const outputs: Record<string, any> = {};
  const secretOutputs: string[] = [];
  for (const [k, v] of Object.entries(exported)) {
    const o = pulumi.output(v as pulumi.Input<unknown>) as pulumi.Output<unknown>;
    outputs[k] = await settle(o);
    if (await pulumi.isSecret(o)) secretOutputs.push(k);
  }
  const run = { stack: opts.stack, resources, outputs, secretOutputs };
  if (shared) writeSharedRun(shared, run);
  return run;
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
