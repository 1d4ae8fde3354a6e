/**
 * `review --base <ref>` end to end: the base is a commit of a scratch git repository
 * holding this working tree (so "no change" really means no change, whatever is
 * uncommitted here), evaluated by the child process from `git archive`; the current
 * side is this tree with an edited copy of the stack file.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, newDigestKey, snapshotAtRef, type BaseSnapshot } from "./base";
import { EXIT, review } from "./cli";
import type { ResourceChange } from "./diff";

const PROD = readFileSync(join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8");
const scratch = mkdtempSync(join(tmpdir(), "review-base-test-"));
const repo = join(scratch, "repo");
const key = newDigestKey();
let base: BaseSnapshot;

/** The prod stack file with `lines` added under the `data-tier:<section>:` mapping. */
function withUnder(section: string, lines: string[], text = PROD): string {
  const marker = `  data-tier:${section}:\n`;
  expect(text).toContain(marker);
  return text.replace(marker, marker + lines.map((l) => `    ${l}\n`).join(""));
}

function stackFile(name: string, text: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Pulumi.prod.yaml"), text);
  return join(dir, "Pulumi.prod.yaml");
}

async function reviewed(file: string, extra: Partial<Parameters<typeof review>[0]> = {}): Promise<{ code: number; doc: any; out: string }> {
  const lines: string[] = [];
  const code = await review({ stack: "prod", file, baseSnapshot: { snapshot: base, key }, print: (l) => lines.push(l), ...extra });
  const out = lines.join("\n");
  return { code, out, doc: extra.json ? JSON.parse(out) : undefined };
}

function changesOf(doc: any): ResourceChange[] {
  return doc.sections.Changes.changes as ResourceChange[];
}

beforeAll(async () => {
  // A repository with one commit: this working tree's files (tracked and untracked, not ignored).
  const files = execFileSync("git", ["-C", REPO_ROOT, "ls-files", "-co", "--exclude-standard", "-z"], { encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(REPO_ROOT, f))) continue; // deleted but not yet committed
    mkdirSync(dirname(join(repo, f)), { recursive: true });
    cpSync(join(REPO_ROOT, f), join(repo, f));
  }
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };
  execFileSync("git", ["init", "-q", repo]);
  execFileSync("git", ["-C", repo, "add", "-A"], { env });
  execFileSync("git", ["-C", repo, "-c", "commit.gpgsign=false", "commit", "-qm", "base"], { env });
  base = await snapshotAtRef({ ref: "HEAD", stack: "prod", key, repoRoot: repo });
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("review --base", () => {
  it("evaluated the ref in a temporary tree that is gone afterwards", () => {
    expect(base.existed).toBe(true);
    expect(base.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(base.resources.filter((r) => r.custom).length).toBeGreaterThan(50);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith("review-base-") && !d.startsWith("review-base-test-"))).toEqual([]);
    expect(JSON.stringify(base.resources)).not.toMatch(/mock-[a-z-]+-x{4,}/); // generated passwords only as digests
  });

  it("end to end: a masterUsername change is a replace forced by username, and production exits 1", async () => {
    const file = stackFile("username", withUnder("postgres", ["masterUsername: admin2"]));
    const lines: string[] = [];
    const code = await review({ stack: "prod", file, base: "HEAD", repoRoot: repo, json: true, print: (l) => lines.push(l) });
    const doc = JSON.parse(lines.join("\n"));
    expect(code).toBe(EXIT.failed);
    expect(doc.failed).toEqual(["Changes"]);
    const replaced = changesOf(doc).filter((c) => c.kind === "replace");
    expect(replaced.map((c) => [c.type, c.name, c.replacedBy])).toEqual([["aws:rds/instance:Instance", "data-tier-prod-postgres-primary", ["username"]]]);
    expect(doc.sections.Changes.refused).toEqual([replaced[0].urn]);
    expect(doc.sections.Changes.base.ref).toBe("HEAD");
  }, 240_000);

  it("a redis.port change is a replace of the replication group forced by port; the report names both", async () => {
    const { code, out } = await reviewed(stackFile("port", withUnder("redis", ["port: 6380"])));
    expect(code).toBe(EXIT.failed);
    expect(out).toMatch(/replace aws:elasticache\/replicationGroup:ReplicationGroup data-tier-prod-redis-group \[data-bearing, protected\]\n\s+forced by: port \(/);
    expect(out).toMatch(/port: 6379 -> 6380/);
    expect(out).toContain("refused without --allow-replace");
  }, 120_000);

  it("a threshold change is an update of the alarm's threshold, which the Changes section passes", async () => {
    const file = stackFile("threshold", withUnder("alarms", ["thresholds:", "  replicaLag: { warning: 12, critical: 30 }"]));
    const { code, doc } = await reviewed(file, { json: true });
    const changes = changesOf(doc);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes.every((c) => c.kind === "update")).toBe(true);
    const alarm = changes.find((c) => c.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && c.changes.some((p) => p.property === "threshold"));
    expect(alarm?.changes.find((p) => p.property === "threshold")).toMatchObject({ before: 10, after: 12 });
    expect(doc.sections.Changes.refused).toEqual([]);
    // The prod policy pack insists on the documented replica-lag warning (10 s): that section fails, not Changes.
    expect(doc.failed).toEqual(["Policies"]);
    expect(code).toBe(EXIT.failed);
  }, 120_000);

  it("a comment-only change changes nothing", async () => {
    const file = stackFile("comment", withUnder("postgres", ["# a reviewer's note, nothing else"], `# edited header\n${PROD}# trailing note\n`));
    const { code, out } = await reviewed(file);
    expect(out).toMatch(/== Changes\nagainst HEAD \([0-9a-f]{12}, Pulumi\.prod\.yaml\)\n\nno changes/);
    expect(code).toBe(EXIT.ok);
  }, 120_000);

  it("--allow-replace lifts the production refusal, but not a replacement that collides on its name", async () => {
    const { code, doc } = await reviewed(stackFile("allow", withUnder("postgres", ["masterUsername: admin2"])), { json: true, allowReplace: true });
    expect(doc.sections.Changes.refused).toEqual([]);
    // Protected prod data is never deleted first, so the kept identifier still collides.
    expect(doc.sections.Changes.collisions).toHaveLength(1);
    expect(code).toBe(EXIT.failed);
  }, 120_000);

  it("exits 2 naming a ref that does not exist, before evaluating anything", async () => {
    const lines: string[] = [];
    const code = await review({ stack: "prod", base: "no-such-branch", repoRoot: repo, print: (l) => lines.push(l) });
    expect(code).toBe(EXIT.invalidSettings);
    expect(lines.join("\n")).toContain('--base: "no-such-branch" names no commit');
    expect(lines.join("\n")).not.toContain("== Plan");
  });

  it("a stack file missing at the ref makes every resource a create", async () => {
    // "qa": a stack with no file in the repository (staging has one now).
    const snap = await snapshotAtRef({ ref: "HEAD", stack: "qa", key, repoRoot: repo });
    expect(snap).toMatchObject({ existed: false, resources: [], stackFile: "Pulumi.qa.yaml" });
  });
});
