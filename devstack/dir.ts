/**
 * The dev stack's host folder: outputs, kept passwords and every folder the runner binds
 * into a container live under it, so `--dir` moves all of them and `down --purge` finds
 * them. Kept free of engine imports: the program reads it too (stacks/pgbouncer.ts).
 */
import { join, resolve } from "node:path";
import { PROJECT_ROOT } from "../components/settings/stackFile";

/** Pulumi config key (namespace `devstack`, not a setting) through which the runner hands `--dir` to the program. */
export const DIR_CONFIG_NAMESPACE = "devstack";
export const DIR_CONFIG_KEY = "dir";

export const defaultDir = (stack: string) => join(PROJECT_ROOT, ".devstack", stack);

/** The stack's folder as the program sees it: the runner's `--dir`, else `.devstack/<stack>`; absolute. */
export const stackDir = (stack: string, configured: string | undefined) => resolve(configured ?? defaultDir(stack));

/** The read router's state folder, bound into its container. */
export const readRouterStateDir = (dir: string) => join(dir, "readrouter");
