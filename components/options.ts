/**
 * Resource options for the stateful children of a component (databases, replication
 * groups, parameter groups, secrets): protection and how a replacement may proceed.
 *
 * - `protect`: on in production; otherwise left unset, so the child inherits the
 *   caller's `protect` through its parent (Pulumi copies the parent's protect when a
 *   child sets none). Setting `protect: false` would override a caller's `protect: true`.
 * - `deleteBeforeReplace` for a child whose physical name is fixed and must stay (an RDS
 *   identifier, the replication group id): Pulumi creates the replacement first by
 *   default, and AWS refuses a second resource under the same name. Never on protected
 *   data (production, or a caller's `protect: true`): there a replacement must be
 *   refused, not carried out by deleting the data first.
 */
import type * as pulumi from "@pulumi/pulumi";

/** The protect a child of `parent` inherits (the parent's own, itself inherited). */
export function inheritedProtect(parent: pulumi.Resource): boolean {
  // Resource keeps its effective protect in this field (set in its constructor).
  return (parent as unknown as { __protect?: boolean }).__protect === true;
}

export interface StatefulOptions {
  /** The child's physical name is fixed and must stay the same across a replacement. */
  fixedName?: boolean;
}

/** Options of a stateful child: see the file comment. */
export function statefulOptions(parent: pulumi.Resource, production: boolean, o: StatefulOptions = {}): pulumi.CustomResourceOptions {
  const opts: pulumi.CustomResourceOptions = { parent };
  if (production) opts.protect = true;
  if (o.fixedName && !production && !inheritedProtect(parent)) opts.deleteBeforeReplace = true;
  return opts;
}
