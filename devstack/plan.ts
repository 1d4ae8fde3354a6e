/**
 * Pure: the Docker resources a program run registered (under mocks, as the offline review
 * runs it) turned into what the runner creates through the Docker Engine API. Nothing
 * here knows the topology: networks, volumes, images and containers come from the run,
 * with their properties as the component set them, so a change to a component changes
 * what runs.
 *
 * References between resources are resolved through the run's recorded dependencies
 * (a container's `image` input is the image resource's computed id under mocks; its
 * `propertyDependencies.image` names the image resource, whose `name` is the pinned ref).
 */
import type { ProgramRun, RecordedResource } from "../tools/evaluate/program";

export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const CONTAINER = "docker:index/container:Container";

/** Label on everything the runner creates: `down` removes exactly what carries it. */
export const DEVSTACK_LABEL = "datatier.devstack";
/** Hash of a container's spec: `up` recreates a container whose spec changed. */
export const SPEC_HASH_LABEL = "datatier.devstack.spec-hash";

/** Container inputs the runner turns into Engine API fields; any other input is an error, never dropped. */
const CONTAINER_INPUTS = new Set([
  "name",
  "hostname",
  "image",
  "command",
  "entrypoints",
  "envs",
  "networksAdvanced",
  "ports",
  "volumes",
  "uploads",
  "healthcheck",
  "restart",
  "labels",
  "ulimits",
  "wait",
  "waitTimeout",
]);
const NETWORK_INPUTS = new Set(["name", "driver", "labels"]);
const VOLUME_INPUTS = new Set(["name", "labels"]);
const IMAGE_INPUTS = new Set(["name", "keepLocally"]);

export interface Upload {
  file: string;
  content: string;
  /** `content` is base64 (the provider's `contentBase64`): decoded when written. */
  base64?: boolean;
  uid: number;
  gid: number;
  mode: number;
}

export interface HealthSpec {
  /** Docker's form: ["CMD-SHELL", "..."] or ["CMD", arg, ...]. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface ContainerSpec {
  /** Pulumi resource name (for messages). */
  resource: string;
  name: string;
  hostname?: string;
  image: string;
  entrypoint?: string[];
  command?: string[];
  env: string[];
  networks: { name: string; aliases: string[] }[];
  ports: { internal: number; external: number; ip: string; protocol: "tcp" | "udp" }[];
  /** Named volumes (`volume`) and host folders bound in (`hostPath`, created when missing). */
  volumes: ({ volume: string; containerPath: string; readOnly: boolean } | { hostPath: string; containerPath: string; readOnly: boolean })[];
  uploads: Upload[];
  health?: HealthSpec;
  restart: string;
  labels: Record<string, string>;
  ulimits: { name: string; soft: number; hard: number }[];
  /** Containers (by name) that must be healthy before this one is created. */
  after: string[];
  /** Seconds to wait for health (the provider's waitTimeout), when the component set one. */
  waitTimeoutS?: number;
}

export interface DevPlan {
  stack: string;
  networks: { name: string; driver: string; labels: Record<string, string> }[];
  volumes: { name: string; labels: Record<string, string> }[];
  /** Pinned image references the containers use. */
  images: string[];
  /** Containers in waves: every container of a wave depends only on earlier waves. */
  waves: ContainerSpec[][];
}

export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(`the program's Docker resources cannot be run (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PlanError";
  }
}

const labelMap = (labels: { label: string; value: string }[] | undefined, stack: string): Record<string, string> => ({
  ...Object.fromEntries((labels ?? []).map((l) => [l.label, String(l.value)])),
  [DEVSTACK_LABEL]: stack,
});

/** Go duration ("5s", "500ms", "1m30s") in milliseconds; the provider's healthcheck format. */
export function durationMs(text: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) throw new Error(`"${text}" is not a duration such as "5s" or "500ms"`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0);
}

function unknownInputs(r: RecordedResource, allowed: Set<string>): string[] {
  return Object.keys(r.inputs)
    .filter((k) => !allowed.has(k))
    .map((k) => `${r.type.split(":").pop()} "${r.name}": input "${k}" is not supported by the dev-stack runner`);
}

export function planFromRun(run: ProgramRun): DevPlan {
  const problems: string[] = [];
  const docker = run.resources.filter((r) => r.custom && r.type.startsWith("docker:"));
  for (const r of docker) if (![NETWORK, VOLUME, REMOTE_IMAGE, CONTAINER].includes(r.type)) problems.push(`${r.type} "${r.name}": resource type not supported by the dev-stack runner`);
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const of = (t: string) => docker.filter((r) => r.type === t);

  const networks = of(NETWORK).map((r) => {
    problems.push(...unknownInputs(r, NETWORK_INPUTS));
    return { name: String(r.inputs.name ?? r.name), driver: String(r.inputs.driver ?? "bridge"), labels: labelMap(r.inputs.labels, run.stack) };
  });
  const volumes = of(VOLUME).map((r) => {
    problems.push(...unknownInputs(r, VOLUME_INPUTS));
    return { name: String(r.inputs.name ?? r.name), labels: labelMap(r.inputs.labels, run.stack) };
  });
  for (const r of of(REMOTE_IMAGE)) problems.push(...unknownInputs(r, IMAGE_INPUTS));

  const containerUrns = new Map(of(CONTAINER).map((r) => [r.urn, String(r.inputs.name ?? r.name)]));
  const containers = of(CONTAINER).map((r): ContainerSpec => {
    const i = r.inputs;
    problems.push(...unknownInputs(r, CONTAINER_INPUTS));
    const imageRes = (r.propertyDependencies?.image ?? []).map((u) => byUrn.get(u)).find((x) => x?.type === REMOTE_IMAGE);
    const image = imageRes ? String(imageRes.inputs.name) : String(i.image ?? "");
    if (!imageRes && !/^[^\s@]+[:@]/.test(image)) problems.push(`Container "${r.name}": image "${image}" is neither an image resource nor a pinned reference`);
    let health: HealthSpec | undefined;
    if (i.healthcheck) {
      try {
        const h = i.healthcheck;
        health = { test: h.tests, intervalMs: durationMs(h.interval ?? "30s"), timeoutMs: durationMs(h.timeout ?? "30s"), retries: Number(h.retries ?? 3), startPeriodMs: durationMs(h.startPeriod ?? "0s") };
      } catch (e) {
        problems.push(`Container "${r.name}": healthcheck ${(e as Error).message}`);
      }
    }
    const uploads = (i.uploads ?? []).map((u: Record<string, unknown>) => {
      if (u.content === undefined && u.contentBase64 === undefined) problems.push(`Container "${r.name}": upload ${String(u.file)} has no inline content or contentBase64 (source is not supported)`);
      const base64 = u.content === undefined && u.contentBase64 !== undefined;
      return {
        file: String(u.file),
        content: String((base64 ? u.contentBase64 : u.content) ?? ""),
        ...(base64 ? { base64: true } : {}),
        uid: Number(u.owner ?? 0),
        gid: Number(u.group ?? 0),
        mode: parseInt(String(u.permissions ?? (u.executable ? "0755" : "0644")), 8),
      };
    });
    return {
      resource: r.name,
      name: String(i.name ?? r.name),
      hostname: i.hostname,
      image,
      entrypoint: i.entrypoints,
      command: i.command,
      env: i.envs ?? [],
      networks: (i.networksAdvanced ?? []).map((n: { name: string; aliases?: string[] }) => ({ name: String(n.name), aliases: n.aliases ?? [] })),
      ports: (i.ports ?? []).map((p: Record<string, unknown>) => ({ internal: Number(p.internal), external: Number(p.external), ip: String(p.ip ?? "0.0.0.0"), protocol: (p.protocol as "tcp" | "udp") ?? "tcp" })),
      volumes: (i.volumes ?? []).map((v: Record<string, unknown>) => {
        const common = { containerPath: String(v.containerPath), readOnly: v.readOnly === true };
        if (v.hostPath !== undefined && v.volumeName === undefined) {
          if (!String(v.hostPath).startsWith("/")) problems.push(`Container "${r.name}": volume hostPath "${String(v.hostPath)}" is not an absolute path`);
          return { hostPath: String(v.hostPath), ...common };
        }
        if (v.volumeName === undefined) problems.push(`Container "${r.name}": a volume at ${common.containerPath} has neither volumeName nor hostPath`);
        return { volume: String(v.volumeName), ...common };
      }),
      uploads,
      health,
      restart: String(i.restart ?? "no"),
      labels: labelMap(i.labels, run.stack),
      ulimits: (i.ulimits ?? []).map((u: Record<string, unknown>) => ({ name: String(u.name), soft: Number(u.soft), hard: Number(u.hard) })),
      after: r.dependencies.map((u) => containerUrns.get(u)).filter((n): n is string => n !== undefined),
      waitTimeoutS: i.wait ? Number(i.waitTimeout ?? 60) : undefined,
    };
  });
  for (const p of ["0.0.0.0", "::"]) {
    for (const c of containers) if (c.ports.some((x) => x.ip === p)) problems.push(`Container "${c.resource}": a port is published on ${p}; the dev stack publishes on 127.0.0.1 only`);
  }
  if (problems.length) throw new PlanError(problems);
  return { stack: run.stack, networks, volumes, images: [...new Set(containers.map((c) => c.image))], waves: waves(containers) };
}

/** Groups containers so each depends only on earlier groups, keeping registration order inside one. */
export function waves(containers: ContainerSpec[]): ContainerSpec[][] {
  const placed = new Set<string>();
  const out: ContainerSpec[][] = [];
  let left = containers;
  while (left.length) {
    const ready = left.filter((c) => c.after.every((a) => placed.has(a)));
    if (ready.length === 0) throw new PlanError([`containers depend on each other in a cycle: ${left.map((c) => c.name).join(", ")}`]);
    ready.forEach((c) => placed.add(c.name));
    out.push(ready);
    left = left.filter((c) => !placed.has(c.name));
  }
  return out;
}
