export * from "./schema";
export * from "./load";
export * from "./rules";
export { profileFor, deepMerge } from "./defaults";
