/**
 * The "Changes" section of `review --base <ref>`: the diff from the ref's program and
 * stack file to the current ones (diff.ts), failed in production on a replace or
 * delete of a data-bearing resource unless --allow-replace, and anywhere on a
 * replacement that would collide with its own physical name.
 */
import { REPO_ROOT, type BaseSnapshot } from "./base";
import { diffSnapshots, renderDiff, verdict } from "./diff";
import type { ReviewInput, ReviewSection } from "./section";
import { snapshotOf } from "./snapshot";

export interface ChangesOptions {
  base: BaseSnapshot;
  /** The digest key the base snapshot was made with. */
  key: string;
  allowReplace: boolean;
}

export function changesSection({ settings, run }: ReviewInput, o: ChangesOptions): ReviewSection {
  const changes = diffSnapshots(o.base.resources, snapshotOf(run.resources, o.key, REPO_ROOT));
  const v = verdict(changes, { production: settings.production, allowReplace: o.allowReplace });
  const head = `against ${o.base.ref} (${o.base.commit.slice(0, 12)}, ${o.base.stackFile}${o.base.existed ? "" : ": not in that commit, so everything is new"})`;
  const lines = [head, "", ...renderDiff(changes, v)];
  if (v.collisions.length > 0) lines.push(`${v.collisions.length} resource(s) would fail on a physical name still in use: give the resource a new name, let it be deleted first, or keep its URN with an alias`);
  if (o.allowReplace && settings.production) lines.push("--allow-replace: replacements and deletions of data-bearing resources accepted");
  return {
    title: "Changes",
    text: lines.join("\n"),
    json: {
      base: { ref: o.base.ref, commit: o.base.commit, stackFile: o.base.stackFile, existed: o.base.existed },
      changes,
      refused: v.refused.map((c) => c.urn),
      collisions: v.collisions.map((c) => c.urn),
    },
    failed: v.refused.length > 0 || v.collisions.length > 0,
  };
}
