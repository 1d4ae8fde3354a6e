/**
 * The workflow cannot run here: check that it parses and names the commands it must run,
 * with the cloud steps gated on configured credentials and prod gated on dev's smoke suite.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

interface Step {
  run?: string;
  uses?: string;
  with?: Record<string, unknown>;
  if?: string;
}
interface Job {
  if?: string;
  needs?: string[];
  steps: Step[];
  strategy?: { matrix?: { stack?: string[] } };
  environment?: string;
}

const text = readFileSync(join(__dirname, "data-tier.yml"), "utf8");
const wf = parse(text) as { on: Record<string, unknown>; jobs: Record<string, Job> };
const runs = (job: string) => wf.jobs[job].steps.map((s) => s.run ?? "").join("\n");
const uses = (job: string, action: string) => wf.jobs[job].steps.filter((s) => s.uses === action);

describe(".github/workflows/data-tier.yml", () => {
  it("runs on pull requests and on pushes to main", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push"]);
    expect(wf.on.push).toEqual({ branches: ["main"] });
  });

  it("pull requests: npm ci, npm test, and the offline review of every stack", () => {
    expect(runs("test")).toMatch(/^npm ci\nnpm test$/m);
    expect(wf.jobs.review.strategy?.matrix?.stack).toEqual(["dev", "staging", "prod"]);
    expect(runs("review")).toContain("npm ci");
    expect(runs("review")).toContain("npm run --silent review -- --stack ${{ matrix.stack }} --json");
    expect(runs("review")).toContain("set -o pipefail");
  });

  it("pull requests: the review diffs against the pull request's base commit, with the full history checked out", () => {
    const step = wf.jobs.review.steps.find((s) => s.run?.includes("npm run --silent review"))! as Step & { env?: Record<string, string> };
    expect(step.env?.BASE_SHA).toBe("${{ github.event.pull_request.base.sha }}");
    expect(step.run).toContain('extra+=(--base "$BASE_SHA")');
    expect(step.run).toContain('"${extra[@]}"');
    expect(step.env?.ALLOW_REPLACE).toContain("'allow-replace'");
    const [checkout] = uses("review", "actions/checkout@v4");
    expect(checkout.with).toMatchObject({ "fetch-depth": 0 });
  });

  it("previews with the policy pack and the stack's policy config, only with credentials", () => {
    const [step] = uses("preview", "pulumi/actions@v7");
    expect(step.with).toMatchObject({ command: "preview", "stack-name": "${{ matrix.stack }}", policyPacks: "policies", policyPackConfigs: "policies/config/${{ matrix.stack }}.json" });
    expect(wf.jobs.preview.strategy?.matrix?.stack).toEqual(["dev", "staging", "prod"]);
    expect(wf.jobs.preview.if).toContain("needs.credentials.outputs.configured == 'true'");
    expect(wf.jobs.preview.if).toContain("github.event_name == 'pull_request'");
    expect(text).toMatch(/PULUMI_ACCESS_TOKEN: \$\{\{ secrets\.PULUMI_ACCESS_TOKEN \}\}/);
  });

  it("main: the dev gate runs the sandbox and the smoke suite, with no Pulumi state and no cloud credentials", () => {
    const job = wf.jobs["dev-gate"];
    expect(runs("dev-gate")).toMatch(/^npm ci\nnpm run demo$/m);
    expect(uses("dev-gate", "pulumi/actions@v7")).toEqual([]);
    expect(JSON.stringify(job)).not.toContain("PULUMI_ACCESS_TOKEN");
    expect(job.if).toContain("github.ref == 'refs/heads/main'");
    expect(job.needs).toEqual(expect.arrayContaining(["test", "review"]));
    // No job deploys the docker dev stack onto a hosted runner any more.
    expect(Object.values(wf.jobs).flatMap((j) => j.steps).filter((s) => s.uses === "pulumi/actions@v7" && s.with?.command === "up").map((s) => s.with?.["stack-name"])).toEqual(["prod"]);
  });

  it("main: prod deploys from a runner inside the VPC and gates through the in-VPC checks task", () => {
    const job = wf.jobs["deploy-prod"] as Job & { "runs-on": unknown };
    expect(job["runs-on"]).toEqual(["self-hosted", "linux", "data-tier-prod"]);
    const [up] = uses("deploy-prod", "pulumi/actions@v7");
    expect(up.with).toMatchObject({ command: "up", "stack-name": "prod", policyPacks: "policies", policyPackConfigs: "policies/config/prod.json" });
    expect(runs("deploy-prod")).toContain("npm run check -- --stack prod --in-vpc");
    const steps = job.steps;
    expect(steps.findIndex((s) => s.run?.startsWith("npm run check"))).toBeGreaterThan(steps.indexOf(up));
    expect(job.if).toContain("needs.credentials.outputs.configured == 'true'");
    expect(job.environment).toBe("prod");
    expect(job.needs).toContain("dev-gate");
  });

  it("never puts a secret value in the file", () => {
    expect(text).not.toMatch(/(AKIA[0-9A-Z]{16}|pul-[0-9a-f]{40})/);
  });
});
