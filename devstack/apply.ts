/**
 * Creates what the plan holds through the Docker Engine API: networks, volumes, then the
 * containers wave by wave (a wave waits for the health of the one before), the files
 * uploaded before each start, then the program's Postgres roles and grants. Re-running
 * keeps a container whose spec is unchanged (starting it if stopped) and recreates one
 * whose spec changed. Everything created carries the dev-stack label.
 *
 * Health: the runner runs the container's own health test (exec) until it passes,
 * instead of waiting for the engine's health status: podman schedules health checks
 * through systemd timers, which this kind of machine does not have.
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import type Docker from "dockerode";
import { openPg } from "../components/clients/postgres";
import { DEVSTACK_LABEL, SPEC_HASH_LABEL, type ContainerSpec, type DevPlan, type HealthSpec } from "./plan";
import type { PgProviderTarget, PgStatement } from "./postgresql";
import { tarFiles } from "./tar";

export type Log = (line: string) => void;

export function specHash(c: ContainerSpec): string {
  return createHash("sha256").update(JSON.stringify(c)).digest("hex").slice(0, 24);
}

/** Engine API body for a container (pure). */
export function createBody(c: ContainerSpec): Docker.ContainerCreateOptions {
  const ns = (ms: number) => ms * 1_000_000;
  const ports = Object.fromEntries(c.ports.map((p) => [`${p.internal}/${p.protocol}`, {}]));
  const bindings = Object.fromEntries(c.ports.map((p) => [`${p.internal}/${p.protocol}`, [{ HostIp: p.ip, HostPort: String(p.external) }]]));
  const [first] = c.networks;
  return {
    name: c.name,
    Hostname: c.hostname,
    Image: c.image,
    Entrypoint: c.entrypoint,
    Cmd: c.command,
    Env: c.env,
    Labels: { ...c.labels, [SPEC_HASH_LABEL]: specHash(c) },
    ExposedPorts: ports,
    Healthcheck: c.health && { Test: c.health.test, Interval: ns(c.health.intervalMs), Timeout: ns(c.health.timeoutMs), Retries: c.health.retries, StartPeriod: ns(c.health.startPeriodMs) },
    HostConfig: {
      PortBindings: bindings,
      Mounts: c.volumes.map((v) => ("hostPath" in v ? { Type: "bind" as const, Source: v.hostPath, Target: v.containerPath, ReadOnly: v.readOnly } : { Type: "volume" as const, Source: v.volume, Target: v.containerPath, ReadOnly: v.readOnly })),
      RestartPolicy: { Name: c.restart === "no" ? "" : c.restart },
      Ulimits: c.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      NetworkMode: first?.name,
    },
    // The API takes one network at create time; ensureContainer connects the others.
    NetworkingConfig: first ? { EndpointsConfig: { [first.name]: { Aliases: first.aliases } } } : undefined,
  };
}

async function inspect(docker: Docker, name: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 404) return null;
    throw e;
  }
}

/**
 * The Engine API's multiplexed stdout/stderr (no TTY): frames of an 8-byte header (stream,
 * 0, 0, 0, big-endian length) and the payload. Text that is not framed is returned as is.
 */
export function demux(b: Buffer): string {
  const out: Buffer[] = [];
  let i = 0;
  while (i + 8 <= b.length && b[i] <= 2 && b[i + 1] === 0 && b[i + 2] === 0 && b[i + 3] === 0) {
    const n = b.readUInt32BE(i + 4);
    out.push(b.subarray(i + 8, i + 8 + n));
    i += 8 + n;
  }
  return i === 0 ? b.toString("utf8") : Buffer.concat(out).toString("utf8") + b.subarray(i).toString("utf8");
}

/** Runs a command in a container: exit code and output (bounded by `timeoutMs`). */
export async function execIn(docker: Docker, name: string, cmd: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const ex = await docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on("data", (b: Buffer) => void chunks.push(b));
  const ended = await Promise.race([
    new Promise<boolean>((resolve) => {
      stream.on("end", () => resolve(true));
      stream.on("close", () => resolve(true));
      stream.on("error", () => resolve(true));
    }),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs)),
  ]);
  if (!ended) {
    stream.destroy();
    return { code: null, output: `timed out after ${timeoutMs} ms` };
  }
  const output = demux(Buffer.concat(chunks)).trim();
  // Podman may drop a finished exec session before its exit code is read (HTTP 404 "no
  // such exec session"): the code is then unknown, as after a timeout, and callers retry.
  const info = await ex.inspect().catch((e: { statusCode?: number }) => {
    if (e?.statusCode === 404) return null;
    throw e;
  });
  if (!info) return { code: null, output: output || "exit code unknown: the engine dropped the exec session before it was read" };
  return { code: info.ExitCode ?? null, output };
}

export function healthCommand(h: HealthSpec): string[] {
  const [kind, ...rest] = h.test;
  if (kind === "CMD-SHELL") return ["/bin/sh", "-c", rest.join(" ")];
  if (kind === "CMD") return rest;
  throw new Error(`health test "${kind}" is not supported (expected CMD or CMD-SHELL)`);
}

async function logsTail(docker: Docker, name: string): Promise<string> {
  try {
    const b = (await docker.getContainer(name).logs({ stdout: true, stderr: true, tail: 15 })) as unknown as Buffer;
    return demux(b).trim();
  } catch {
    return "";
  }
}

/** Waits until the container's health test passes; fails fast when the container exits. */
export async function waitHealthy(docker: Docker, c: ContainerSpec, log: Log): Promise<number> {
  const t0 = performance.now();
  if (!c.health) return 0;
  const h = c.health;
  const limitMs = c.waitTimeoutS !== undefined ? c.waitTimeoutS * 1000 : h.startPeriodMs + (h.retries + 1) * h.intervalMs + 60_000;
  const cmd = healthCommand(h);
  let last = "";
  while (performance.now() - t0 < limitMs) {
    const st = await inspect(docker, c.name);
    if (!st?.State.Running) {
      throw new Error(`container ${c.name} exited (code ${st?.State.ExitCode ?? "?"}) before it was healthy; last log lines:\n${await logsTail(docker, c.name)}`);
    }
    const r = await execIn(docker, c.name, cmd, h.timeoutMs);
    if (r.code === 0) {
      const ms = Math.round(performance.now() - t0);
      log(`  healthy   ${c.name} (${(ms / 1000).toFixed(1)} s)`);
      return ms;
    }
    last = r.output;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`container ${c.name} not healthy within ${Math.round(limitMs / 1000)} s (health test: ${last || "no output"}); last log lines:\n${await logsTail(docker, c.name)}`);
}

function notOurs(kind: string, name: string, stack: string): Error {
  return new Error(`${kind} ${name} exists but is not the dev stack's (no label ${DEVSTACK_LABEL}=${stack}); remove it or rename the stack's ${kind}`);
}

async function ensureContainer(docker: Docker, c: ContainerSpec, stack: string, log: Log): Promise<"kept" | "started" | "created" | "recreated"> {
  const hash = specHash(c);
  const have = await inspect(docker, c.name);
  let outcome: "kept" | "started" | "created" | "recreated" = "created";
  if (have) {
    if (have.Config.Labels?.[DEVSTACK_LABEL] !== stack) throw notOurs("container", c.name, stack);
    if (have.Config.Labels?.[SPEC_HASH_LABEL] === hash) {
      if (have.State.Running) return "kept";
      await docker.getContainer(c.name).start();
      log(`  started   ${c.name}`);
      return "started";
    }
    await docker.getContainer(c.name).remove({ force: true });
    outcome = "recreated";
  }
  // A bound host folder must exist (the engine refuses a missing one); private: a router's state is in it.
  for (const v of c.volumes) if ("hostPath" in v) mkdirSync(v.hostPath, { recursive: true, mode: 0o700 });
  const ct = await docker.createContainer(createBody(c));
  for (const n of c.networks.slice(1)) await docker.getNetwork(n.name).connect({ Container: c.name, EndpointConfig: { Aliases: n.aliases } });
  if (c.uploads.length) await ct.putArchive(tarFiles(c.uploads.map((u) => ({ path: u.file, content: u.base64 ? Buffer.from(u.content, "base64") : u.content, uid: u.uid, gid: u.gid, mode: u.mode }))), { path: "/" });
  await ct.start();
  log(`  ${outcome.padEnd(9)} ${c.name} (${c.image})`);
  return outcome;
}

export interface ApplyResult {
  containers: Record<string, "kept" | "started" | "created" | "recreated">;
  timings: { networksMs: number; containersMs: number; healthMs: Record<string, number> };
}

export async function applyPlan(docker: Docker, plan: DevPlan, log: Log): Promise<ApplyResult> {
  const t0 = performance.now();
  for (const n of plan.networks) {
    const have = await docker
      .getNetwork(n.name)
      .inspect()
      .catch(() => null);
    if (have && have.Labels?.[DEVSTACK_LABEL] !== plan.stack) throw notOurs("network", n.name, plan.stack);
    if (!have) {
      await docker.createNetwork({ Name: n.name, Driver: n.driver, Labels: n.labels });
      log(`  created   network ${n.name}`);
    }
  }
  for (const v of plan.volumes) {
    const have = await docker
      .getVolume(v.name)
      .inspect()
      .catch(() => null);
    if (have && have.Labels?.[DEVSTACK_LABEL] !== plan.stack) throw notOurs("volume", v.name, plan.stack);
    if (!have) {
      await docker.createVolume({ Name: v.name, Labels: v.labels });
      log(`  created   volume ${v.name}`);
    }
  }
  const networksMs = Math.round(performance.now() - t0);
  const containers: ApplyResult["containers"] = {};
  const healthMs: Record<string, number> = {};
  const t1 = performance.now();
  for (const wave of plan.waves) {
    await Promise.all(
      wave.map(async (c) => {
        containers[c.name] = await ensureContainer(docker, c, plan.stack, log);
        healthMs[c.name] = await waitHealthy(docker, c, log);
      }),
    );
  }
  return { containers, timings: { networksMs, containersMs: Math.round(performance.now() - t1), healthMs } };
}

/** Runs the program's role/grant statements through the provider's connection. */
export async function applyPostgres(target: PgProviderTarget, statements: PgStatement[], log: Log): Promise<void> {
  const byDb = new Map<string, PgStatement[]>();
  for (const s of statements) byDb.set(s.database ?? target.database, [...(byDb.get(s.database ?? target.database) ?? []), s]);
  for (const [database, list] of byDb) {
    const c = openPg({ host: target.host, port: target.port, user: target.user, password: target.password, database }, { connectTimeoutMs: 5000, statementTimeoutMs: 15_000 });
    await c.connect();
    try {
      // The statements carry passwords: keep them out of the server log.
      await c.query("SET log_statement = 'none'");
      for (const s of list) {
        try {
          await c.query(s.sql);
        } catch (e) {
          throw new Error(`postgres: applying ${s.resource} in database ${database} failed: ${(e as Error).message}`);
        }
      }
    } finally {
      await c.end();
    }
  }
  log(`  applied   ${statements.length} role/grant statements (${[...byDb.keys()].join(", ")})`);
}

/** Removes exactly what carries the stack's label: containers, then networks and volumes. */
export async function removeLabelled(docker: Docker, stack: string, log: Log): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const filters = JSON.stringify({ label: [`${DEVSTACK_LABEL}=${stack}`] });
  const cs = await docker.listContainers({ all: true, filters });
  await Promise.all(cs.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  const containers = cs.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ""));
  for (const c of containers) log(`  removed   container ${c}`);
  const ns = (await docker.listNetworks({ filters })).filter((n) => n.Labels?.[DEVSTACK_LABEL] === stack);
  for (const n of ns) {
    await docker.getNetwork(n.Id).remove();
    log(`  removed   network ${n.Name}`);
  }
  const vs = ((await docker.listVolumes({ filters })).Volumes ?? []).filter((v) => v.Labels?.[DEVSTACK_LABEL] === stack);
  for (const v of vs) {
    await docker.getVolume(v.Name).remove();
    log(`  removed   volume ${v.Name}`);
  }
  return { containers, networks: ns.map((n) => n.Name), volumes: vs.map((v) => v.Name) };
}
