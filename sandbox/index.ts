/**
 * The local sandbox: the dev topology (Redis master + replicas + Sentinels, PostgreSQL
 * 15 primary + streaming replicas, PgBouncer) as real processes from Debian packages
 * on loopback, from the same renderers as the containers and the cloud.
 */
export { startSandbox, stopSandbox, sandboxStatus, defaultDir, DEFAULT_STACK } from "./lifecycle";
export type { StartOptions, SandboxInfo, StopReport, SandboxStatus, ProcessStatus } from "./lifecycle";
export type { SandboxState, Part } from "./state";
export { readState, stateFile, outputsFile, PARTS } from "./state";
export type { ProcessRecord } from "./procs";
