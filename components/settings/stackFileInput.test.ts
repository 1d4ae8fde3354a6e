/**
 * Issue 9, item 7 (files and messages): stack files and outputs documents that are not
 * regular files, or are oversize, are refused before a byte is read (a FIFO used to hang
 * `review` and `check` for good); error messages never echo file content.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readOutputsFile } from "../../checks/outputsSource";
import { MAX_INPUT_FILE_BYTES } from "../boundedFile";
import { PROJECT_ROOT, readStackFile, StackFileError } from "./stackFile";

const dir = mkdtempSync(join(tmpdir(), "stack-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fifo(name: string): string {
  const p = join(dir, name);
  execFileSync("mkfifo", [p]);
  return p;
}

function stackError(file: string): StackFileError {
  try {
    readStackFile("qa", { root: PROJECT_ROOT, file });
  } catch (e) {
    if (e instanceof StackFileError) return e;
    throw e;
  }
  throw new Error("expected a StackFileError");
}

describe("stack files that are not regular files or are too large", () => {
  it.each([
    ["a FIFO", () => fifo("stack.fifo"), /is a FIFO \(named pipe\); expected a regular file/],
    ["a directory", () => (mkdirSync(join(dir, "d")), join(dir, "d")), /is a directory; expected a regular file/],
    ["a character device", () => "/dev/zero", /is a character device; expected a regular file/],
    ["an oversize file", () => (writeFileSync(join(dir, "big.yaml"), `config:\n  data-tier:tags:\n    Owner: "${"x".repeat(MAX_INPUT_FILE_BYTES)}"\n`), join(dir, "big.yaml")), /is \d+ bytes; expected at most 1048576 bytes/],
  ])("refuses %s at once, naming the file", (_what, make, message) => {
    const file = make();
    const t0 = Date.now();
    const e = stackError(file);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(file);
  });

  it("a YAML error names line and column, never the line (which may hold a secret)", () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(file, "config:\n  data-tier:platform: docker\n  data-tier:tags: {Owner: 'team', Token: 'hunter2-very-secret\n");
    const e = stackError(file);
    expect(e.message).toMatch(/not valid YAML at line \d+, column \d+ \([A-Z_]+\); the line is not shown/);
    expect(e.message).not.toContain("hunter2");
  });

  it("a key given twice is refused too, not silently last-wins", () => {
    const file = join(dir, "dup.yaml");
    writeFileSync(file, "config:\n  data-tier:platform: docker\n  data-tier:platform: aws\n");
    expect(stackError(file).message).toMatch(/DUPLICATE_KEY/);
  });

  it("a __proto__ key stays a key: the settings see it (and refuse it), the prototype is untouched", () => {
    const file = join(dir, "proto.yaml");
    writeFileSync(file, "config:\n  data-tier:platform: docker\n  data-tier:__proto__: {polluted: true}\n");
    const sf = readStackFile("qa", { root: PROJECT_ROOT, file });
    expect(Object.keys(sf.raw.values)).toEqual(["platform", "__proto__"]);
    expect(Object.getPrototypeOf(sf.raw.values)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("stack names", () => {
  it.each(["../etc/passwd", "a/b", ".hidden", "", "dev\\x"])("%j is refused as a stack name, before any file is read", (name) => {
    expect(() => readStackFile(name)).toThrow(StackFileError);
    expect(() => readStackFile(name)).toThrow(`stack name ${JSON.stringify(name)} is not valid`);
  });

  it("a valid name that has no file still says which file is missing", () => {
    expect(() => readStackFile("nope")).toThrow(/Pulumi\.nope\.yaml: no such stack file/);
    expect(readStackFile("dev").stack).toBe("dev");
  });
});

describe("outputs documents that are not regular files", () => {
  it("a FIFO is refused at once (it used to hang `check` for good)", async () => {
    const file = fifo("outputs.fifo");
    const t0 = Date.now();
    await expect(readOutputsFile(file)).rejects.toThrow(/outputs file .* is a FIFO \(named pipe\); expected a regular file/);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("a device and an oversize file are refused", async () => {
    await expect(readOutputsFile("/dev/zero")).rejects.toThrow(/is a character device/);
    const big = join(dir, "big.json");
    writeFileSync(big, " ".repeat(MAX_INPUT_FILE_BYTES + 1));
    await expect(readOutputsFile(big)).rejects.toThrow(/is 1048577 bytes; expected at most 1048576 bytes/);
  });

  it("a JSON error gives the position, never the text", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, '{"credentials": {"redisPassword": "leaky-password-123" oops}}');
    const e = await readOutputsFile(file).catch((x: Error) => x);
    expect((e as Error).message).toMatch(/is not valid JSON \(error at character \d+\)/);
    expect((e as Error).message).not.toContain("leaky-password-123");
  });
});
