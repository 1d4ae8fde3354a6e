/** The switchover flags without Pulumi: what an application (and the rollout) needs. */
export * from "./document";
export * from "./phases";
export * from "./strategies";
export * from "./bucket";
