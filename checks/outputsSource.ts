/**
 * Where the suite gets the stack's outputs: a JSON file, or the Pulumi CLI. Both end
 * in parseStackOutputs, whose errors name the field and never echo a value.
 */
import { execFile } from "node:child_process";
import { InputFileError, jsonErrorWithoutText, MAX_INPUT_FILE_BYTES, readRegularFile } from "../components/boundedFile";
import { parseStackOutputs, type StackOutputs } from "../components/contract/outputs";
import { UsageError } from "./errors";
import { hostileValueProblems } from "./outputsValues";

export const PULUMI_TIMEOUT_MS = 60_000;

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8's message can quote the text (and so a password): keep only the position.
    throw new UsageError(`${source} is not valid JSON (${jsonErrorWithoutText(e, text)}); expected the output of \`pulumi stack output --json --show-secrets\``);
  }
}

/** Structure and sizes first (control characters, oversize strings and lists), then the contract. */
function parseOutputs(value: unknown, source: string): StackOutputs {
  hostileValueProblems(value, source);
  return parseStackOutputs(value, source);
}

/** Reads an outputs document: a regular file of at most 1 MiB (a FIFO or a device is refused, never waited on). */
export async function readOutputsFile(path: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readRegularFile(path, { what: "outputs file" });
  } catch (e) {
    if (e instanceof InputFileError) throw new UsageError(e.message);
    throw e;
  }
  return parseOutputs(parseJson(text, path), path);
}

/** Runs `pulumi stack output --json --show-secrets --stack <stack>` (PATH lookup, bounded). */
export async function readOutputsFromStack(stack: string, options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<StackOutputs> {
  if (!/^[A-Za-z0-9._/-]+$/.test(stack)) throw new UsageError(`--stack "${stack.slice(0, 60)}" is not a stack name (letters, digits, ".", "_", "-", "/")`);
  const args = ["stack", "output", "--json", "--show-secrets", "--stack", stack];
  const source = `\`pulumi ${args.join(" ")}\``;
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile("pulumi", args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? PULUMI_TIMEOUT_MS, maxBuffer: MAX_INPUT_FILE_BYTES, encoding: "utf8" }, (err, out, errOut) => {
      if (!err) return resolve(out);
      const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number };
      if (e.code === "ENOENT") return reject(new UsageError("the Pulumi CLI (`pulumi`) was not found on PATH: install it (https://www.pulumi.com/docs/install/) or pass --outputs <file> with the output of `pulumi stack output --json --show-secrets`"));
      if (e.code === "ERR_CHILD_PROCESS_STDIO_MAXBUFFER") return reject(new UsageError(`${source} printed more than ${MAX_INPUT_FILE_BYTES} bytes; expected a stack-outputs document`));
      if (e.killed) return reject(new UsageError(`${source} did not finish within ${options.timeoutMs ?? PULUMI_TIMEOUT_MS} ms`));
      const detail = String(errOut || "").trim().split("\n").slice(-3).join(" ").slice(0, 400);
      reject(new UsageError(`${source} failed (exit ${e.code ?? "?"})${detail ? `: ${detail}` : ""}`));
    });
  });
  return parseOutputs(parseJson(stdout, source), `stack ${stack}`);
}
