/** Moved to components/clients/heartbeat.ts (the read router, which the package ships, writes it too); re-exported for the checks and the sandbox. */
export * from "../../components/clients/heartbeat";
