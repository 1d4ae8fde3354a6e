/**
 * Issue 9, item 7: a seeded fuzz run of hostile stack files and outputs documents
 * through the real entry points, in-process (stack-file reading + settings validation +
 * the pure renderers the program calls; outputs-file reading + the contract), plus a
 * few through the command lines. Every case must end valid, or as the documented
 * error (settings: SettingsError / StackFileError, exit 2; outputs: ContractError /
 * UsageError, exit 3) naming a key, with no stack trace and no planted secret printed.
 * FUZZ_SEED and FUZZ_CASES override the seed and the case count (a finding prints both).
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { UsageError } from "../../checks/errors";
import { readOutputsFile } from "../../checks/outputsSource";
import { ContractError, isHostOrAddress, secretValues, type StackOutputs } from "../../components/contract/outputs";
import { renderPgBouncerIni } from "../../components/pgbouncer/render";
import { rdsParameters, renderPostgresConf } from "../../components/postgres/render";
import { hasUnprintable } from "../../components/printable";
import { elasticacheParameters, renderRedisConf, renderSentinelConf } from "../../components/redis/render";
import { parseSettings, SettingsError } from "../../components/settings/load";
import { PROJECT_ROOT, readStackFile, StackFileError } from "../../components/settings/stackFile";
import { sampleOutputs } from "../fixtures/outputs";
import { breakText, MARKER, mutate, rng } from "./hostile";

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
/** Cases per kind: settings cases cost more (YAML + zod + renderers) than outputs cases. */
const CASES = Number(process.env.FUZZ_CASES ?? 1000);
const OUTPUT_CASES = 2 * CASES;
const dir = mkdtempSync(join(tmpdir(), "fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STACK_TRACE = /\n\s+at .+:\d+:\d+\)?/;
const KEY = /^(data-tier:|aws:region|Pulumi\.yaml)/;

interface Finding {
  index: number;
  what: string;
}

/** What the program does with valid settings before any resource: the pure renderers. */
function renderAll(s: ReturnType<typeof parseSettings>): void {
  // As the program does: the parameter groups on AWS, the rendered files on docker.
  if (s.platform === "aws") {
    rdsParameters(s);
    elasticacheParameters(s.redis);
    return;
  }
  renderPostgresConf(s, { role: "primary", port: 5432, listenAddresses: "127.0.0.1", socketDir: "/tmp" });
  const passwords = { application: "a".repeat(32), replication: "r".repeat(32), sentinel: "s".repeat(32), monitoring: "m".repeat(32), operator: "o".repeat(32) };
  renderRedisConf(s.redis, { bind: "127.0.0.1", port: 6379, dir: "/tmp", passwords });
  renderSentinelConf(s.redis, { bind: "127.0.0.1", port: 26379, dir: "/tmp", masterHost: "127.0.0.1", masterPort: 6379, passwords });
  renderPgBouncerIni(s.pgbouncer as never, { listenAddr: "127.0.0.1", listenPort: 6432, primary: { host: "127.0.0.1", port: 5432 }, replicas: [{ host: "127.0.0.1", port: 5433 }], database: s.postgres.databaseName } as never);
}

describe(`fuzz: hostile stack files (seed ${SEED})`, () => {
  it(`${CASES} cases end valid or as a clear settings error (exit 2) naming the key`, () => {
    const bases = ["Pulumi.dev.yaml", "Pulumi.prod.yaml"].map((f) => parse(readFileSync(join(PROJECT_ROOT, f), "utf8")) as Record<string, unknown>);
    const r = rng(SEED);
    const file = join(dir, "Pulumi.fuzz.yaml");
    const findings: Finding[] = [];
    const outcomes = { valid: 0, settingsError: 0, stackFileError: 0 };
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const base = bases[i % bases.length];
      const doc = mutate({ config: base.config }, r);
      let text = stringify(doc);
      const broken = r() < 0.2;
      if (broken) text = breakText(text, r);
      writeFileSync(file, text);
      const t0 = performance.now();
      try {
        const settings = parseSettings(readStackFile("fuzz", { root: PROJECT_ROOT, file }).raw);
        renderAll(settings);
        outcomes.valid++;
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        if (e instanceof SettingsError) {
          outcomes.settingsError++;
          const unnamed = e.problems.filter((p) => !KEY.test(p.key));
          if (unnamed.length) findings.push({ index: i, what: `problem without a config key: ${JSON.stringify(unnamed[0]).slice(0, 200)}` });
        } else if (e instanceof StackFileError) {
          outcomes.stackFileError++;
          if (msg.includes(MARKER)) findings.push({ index: i, what: `stack-file error echoes the file's content: ${msg.slice(0, 200)}` });
        } else {
          findings.push({ index: i, what: `${(e as Error).name ?? "throw"} (the CLI would exit 4): ${msg.split("\n")[0].slice(0, 300)}` });
          continue;
        }
        if (STACK_TRACE.test(msg)) findings.push({ index: i, what: "message holds a stack trace" });
        if (hasUnprintable(msg.replace(/\n/g, ""))) findings.push({ index: i, what: `message holds a raw control character: ${JSON.stringify(msg.slice(0, 200))}` });
        if (msg.length > 64 * 1024) findings.push({ index: i, what: `message is ${msg.length} characters` });
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(`settings fuzz: seed ${SEED}, ${CASES} cases: ${outcomes.valid} valid, ${outcomes.settingsError} settings errors, ${outcomes.stackFileError} stack-file errors; slowest case ${slowest.toFixed(1)} ms`);
    expect(findings.slice(0, 10).map((f) => `#${f.index} (FUZZ_SEED=${SEED}): ${f.what}`)).toEqual([]);
    // Some of each: the generator reaches every outcome, so the run is not vacuous.
    expect(Math.min(outcomes.valid, outcomes.settingsError, outcomes.stackFileError)).toBeGreaterThan(0);
    // No hang: the slowest case is far below a second (a stalled review took minutes).
    expect(slowest).toBeLessThan(5_000);
  }, 120_000);
});

function endpointsOf(o: StackOutputs): { host: string }[] {
  return [o.redis.primary, ...o.redis.readers, ...o.redis.nodes, ...o.redis.sentinels, o.postgres.primary, ...o.postgres.replicas, o.pgbouncer.endpoint];
}

function stringsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (v && typeof v === "object") {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      stringsOf(x, out);
    }
  }
  return out;
}

describe(`fuzz: hostile outputs documents (seed ${SEED})`, () => {
  it(`${OUTPUT_CASES} cases end valid (every host a host, nothing unprintable) or as a clear outputs error (exit 3), never echoing a credential`, async () => {
    const base = sampleOutputs();
    // The credentials' values: never in a message. (The marker may land inside a field name
    // when the text is broken, and field names are what a message names: not checked here.)
    const secrets = secretValues(base);
    const r = rng(SEED + 1);
    const file = join(dir, "outputs.json");
    const findings: Finding[] = [];
    const outcomes = { valid: 0, contractError: 0, usageError: 0 };
    let slowest = 0;
    for (let i = 0; i < OUTPUT_CASES; i++) {
      let text = JSON.stringify(mutate(base, r));
      if (r() < 0.15) text = breakText(text, r);
      writeFileSync(file, text);
      const t0 = performance.now();
      try {
        const o = await readOutputsFile(file);
        outcomes.valid++;
        const bad = endpointsOf(o).find((e) => !isHostOrAddress(e.host));
        if (bad) findings.push({ index: i, what: `accepted host ${JSON.stringify(bad.host).slice(0, 80)}` });
        if (stringsOf(o).some(hasUnprintable)) findings.push({ index: i, what: "accepted a string with a control character" });
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        if (e instanceof ContractError) outcomes.contractError++;
        else if (e instanceof UsageError) outcomes.usageError++;
        else {
          findings.push({ index: i, what: `${(e as Error).name} (the CLI would exit 4): ${msg.split("\n")[0].slice(0, 300)}` });
          continue;
        }
        if (e instanceof ContractError && e.problems.some((p) => !p.field)) findings.push({ index: i, what: "a problem names no field" });
        if (STACK_TRACE.test(msg)) findings.push({ index: i, what: "message holds a stack trace" });
        const leaked = secrets.find((s) => msg.includes(s));
        if (leaked) findings.push({ index: i, what: `message echoes a secret: ${msg.slice(0, 200)}` });
        if (hasUnprintable(msg.replace(/\n/g, ""))) findings.push({ index: i, what: `message holds a raw control character: ${JSON.stringify(msg.slice(0, 200))}` });
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    console.log(`outputs fuzz: seed ${SEED + 1}, ${OUTPUT_CASES} cases: ${outcomes.valid} valid, ${outcomes.contractError} contract errors, ${outcomes.usageError} usage errors; slowest case ${slowest.toFixed(1)} ms`);
    expect(findings.slice(0, 10).map((f) => `#${f.index} (FUZZ_SEED=${SEED}): ${f.what}`)).toEqual([]);
    expect(Math.min(outcomes.valid, outcomes.contractError, outcomes.usageError)).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(5_000);
  }, 120_000);
});

/** Runs a CLI as `npm run` does (package.json: scripts/run.mjs), bounded; resolves to its exit code and output. */
function cli(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(PROJECT_ROOT, "scripts", "run.mjs"), join(PROJECT_ROOT, script), ...args], { cwd: PROJECT_ROOT, timeout: 100_000, env: { PATH: process.env.PATH, NO_COLOR: "1" } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: `${stdout}${stderr}` });
    });
  });
}

describe("hostile inputs through the command lines", () => {
  it("review exits 2 and check exits 3, at once, naming the problem, no stack trace, no secret", async () => {
    const fifo = join(dir, "input.fifo");
    execFileSync("mkfifo", [fifo]);
    const brokenYaml = join(dir, "Pulumi.broken.yaml");
    writeFileSync(brokenYaml, `config:\n  data-tier:platform: docker\n  data-tier:tags: {Owner: '${MARKER}\n`);
    const forged = sampleOutputs();
    forged.redis.primary.host = `127.0.0.1\n  \u001b[32mPASS\u001b[0m  forged ${MARKER}`;
    const forgedFile = join(dir, "forged.json");
    writeFileSync(forgedFile, JSON.stringify(forged));

    // Each run is a fresh process: four, at once. (The __proto__ key and the rest are covered in-process above.)
    const runs = await Promise.all([
      cli("tools/review/cli.ts", ["--stack", "fuzz", "--file", fifo]),
      cli("tools/review/cli.ts", ["--stack", "fuzz", "--file", brokenYaml]),
      cli("checks/cli.ts", ["--outputs", fifo]),
      cli("checks/cli.ts", ["--outputs", forgedFile]),
    ]);
    const [reviewFifo, reviewYaml, checkFifo, checkForged] = runs;
    expect(reviewFifo.code, reviewFifo.out).toBe(2);
    expect(reviewFifo.out).toMatch(/is a FIFO \(named pipe\); expected a regular file/);
    expect(reviewYaml.code, reviewYaml.out).toBe(2);
    expect(reviewYaml.out).toMatch(/not valid YAML at line \d+, column \d+/);
    expect(checkFifo.code, checkFifo.out).toBe(3);
    expect(checkFifo.out).toMatch(/outputs file .* is a FIFO/);
    expect(checkForged.code, checkForged.out).toBe(3);
    expect(checkForged.out).toMatch(/redis\.primary\.host: contains a control or bidirectional character/);
    for (const r of runs) {
      expect(r.out).not.toContain(MARKER);
      expect(r.out).not.toMatch(STACK_TRACE);
      expect(r.out).not.toContain("\u001b");
    }
  }, 120_000);
});
