/**
 * `npm run preflight -- --stack <name>`: the stack's settings against a real AWS account
 * and region, read-only (checks.ts), every mismatch at once. The step after the offline
 * review and before `pulumi up`.
 *
 * Credentials come from the SDK's default chain (environment, profile, SSO, web
 * identity, container or instance role). Exit codes as the review's: 0 everything
 * matches; 1 a mismatch (or a check that could not be made); 2 invalid settings, a
 * stack that is not on aws, or no credentials; 4 internal error.
 */
import { EC2Client } from "@aws-sdk/client-ec2";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { RDSClient } from "@aws-sdk/client-rds";
import { ServiceQuotasClient } from "@aws-sdk/client-service-quotas";
import { Command } from "commander";
import pc from "picocolors";
import { SettingsError, parseSettings, type Settings } from "../../components/settings";
import { StackFileError, readStackFile } from "../../components/settings/stackFile";
import { runPreflight, type CheckResult, type PreflightClients } from "./checks";

export const EXIT = { ok: 0, mismatch: 1, usage: 2, internal: 4 } as const;

/** Resolves credentials; rejects when there are none (the SDK's provider signature). */
export type CredentialsProvider = () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string }>;

export interface PreflightOptions {
  stack: string;
  file?: string;
  json?: boolean;
  print?: (line: string) => void;
  color?: boolean;
  /** Clients to use instead of the SDK's (tests pass mocked ones). */
  clients?: PreflightClients;
  /** Credentials instead of the SDK's default chain (tests). */
  credentials?: CredentialsProvider;
}

function clientsFor(region: string, credentials?: CredentialsProvider): PreflightClients & { rds: RDSClient; destroy(): void } {
  const config = { region, ...(credentials ? { credentials } : {}), maxAttempts: 3 };
  const c = { rds: new RDSClient(config), elasticache: new ElastiCacheClient(config), ec2: new EC2Client(config), quotas: new ServiceQuotasClient(config) };
  return { ...c, destroy: () => Object.values(c).forEach((x) => x.destroy()) };
}

/** The credentials error as one actionable line (never the credentials). */
async function credentialsProblem(rds: RDSClient): Promise<string | undefined> {
  try {
    await rds.config.credentials();
    return undefined;
  } catch (e) {
    return `no AWS credentials: ${(e as Error).message.split("\n")[0]} (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role is available); preflight makes read-only calls only`;
  }
}

export async function preflight(opts: PreflightOptions): Promise<number> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const c = pc.createColors(opts.color ?? false);
  const fail = (code: number, message: string) => {
    print(opts.json ? JSON.stringify({ stack: opts.stack, ok: false, problems: [{ message }] }, null, 2) : c.red(message));
    return code;
  };
  let settings: Settings;
  try {
    settings = parseSettings(readStackFile(opts.stack, { file: opts.file }).raw);
  } catch (e) {
    if (e instanceof SettingsError) {
      if (opts.json) print(JSON.stringify({ stack: opts.stack, ok: false, problems: e.problems }, null, 2));
      else print(c.red(e.message));
      return EXIT.usage;
    }
    if (e instanceof StackFileError) return fail(EXIT.usage, e.message);
    throw e;
  }
  if (settings.platform !== "aws" || !settings.region) return fail(EXIT.usage, `stack "${opts.stack}" is on platform ${settings.platform}: preflight checks an AWS account (data-tier:platform: aws with aws:region)`);

  const own = opts.clients ? undefined : clientsFor(settings.region, opts.credentials);
  if (own) {
    const problem = await credentialsProblem(own.rds);
    if (problem) {
      own.destroy();
      return fail(EXIT.usage, problem);
    }
  }
  let results: CheckResult[];
  try {
    results = await runPreflight(opts.clients ?? own!, settings, `${settings.project}-${settings.environment}`);
  } finally {
    own?.destroy();
  }
  const mismatches = results.flatMap((r) => r.mismatches);
  if (opts.json) {
    print(JSON.stringify({ stack: opts.stack, region: settings.region, ok: mismatches.length === 0, mismatches, checks: results }, null, 2));
  } else {
    print(c.bold(`Preflight of stack "${opts.stack}" against AWS ${settings.region} (read-only)`));
    for (const r of results) {
      if (r.mismatches.length === 0) print(`${c.green("ok")}    ${r.check}: ${r.ok ?? ""}`);
      for (const m of r.mismatches) print(`${c.red("FAIL")}  ${m.check}: ${m.key}: ${m.message}`);
    }
    print("");
    print(mismatches.length === 0 ? c.green("Preflight passed: AWS offers what the settings ask for.") : c.red(`Preflight failed: ${mismatches.length} mismatch(es).`));
  }
  return mismatches.length === 0 ? EXIT.ok : EXIT.mismatch;
}

async function cli(argv: string[]): Promise<void> {
  const program = new Command()
    .name("preflight")
    .description("Checks a stack's settings against the AWS account and region (read-only calls), every mismatch at once.")
    .requiredOption("-s, --stack <name>", "stack name (reads Pulumi.<name>.yaml)")
    .option("-f, --file <path>", "stack file to read instead of Pulumi.<name>.yaml")
    .option("--json", "print one JSON document instead of the report")
    .option("--no-color", "never colour the report")
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT.usage));
  program.parse(argv);
  const o = program.opts<{ stack: string; file?: string; json?: boolean; color: boolean }>();
  const color = o.color && process.stdout.isTTY === true && !("NO_COLOR" in process.env);
  process.exitCode = await preflight({ stack: o.stack, file: o.file, json: o.json, color });
}

if (require.main === module) {
  cli(process.argv).catch((e) => {
    console.error(`preflight: internal error: ${(e as Error).message ?? e}`);
    process.exit(EXIT.internal);
  });
}
