/**
 * Reads an input file that someone else may have written (a stack file, an outputs
 * document, the sandbox's state file, a policy config): only a regular file, only up to
 * a size, and without blocking. A FIFO opened for reading blocks until a writer comes,
 * and a device can stream forever: the file is opened with O_NONBLOCK and checked with
 * fstat on the open descriptor (no race between the check and the read) before a byte
 * is read. Errors name the file and what was expected, never its content.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";
import { open } from "node:fs/promises";

/** Largest input file read by default: real stack files and outputs documents are a few KB. */
export const MAX_INPUT_FILE_BYTES = 1024 * 1024;

export class InputFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: "missing" | "not-regular" | "too-large" | "unreadable",
    message: string,
  ) {
    super(message);
    this.name = "InputFileError";
  }
}

export interface ReadOptions {
  /** @default MAX_INPUT_FILE_BYTES */
  maxBytes?: number;
  /** What the file is, for messages (e.g. "stack file", "outputs file"). */
  what: string;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function refuse(path: string, st: Stats, o: ReadOptions): void {
  const max = o.maxBytes ?? MAX_INPUT_FILE_BYTES;
  if (!st.isFile()) throw new InputFileError(path, "not-regular", `${o.what} ${path} is ${kindOf(st)}; expected a regular file`);
  if (st.size > max) throw new InputFileError(path, "too-large", `${o.what} ${path} is ${st.size} bytes; expected at most ${max} bytes`);
}

function openError(path: string, e: unknown, o: ReadOptions): InputFileError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return new InputFileError(path, "missing", `cannot read ${o.what} ${path}: no such file`);
  if (code === "EISDIR") return new InputFileError(path, "not-regular", `${o.what} ${path} is a directory; expected a regular file`);
  return new InputFileError(path, "unreadable", `cannot read ${o.what} ${path}: ${code ?? "error"}`);
}

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** Reads a regular file of at most `maxBytes` as UTF-8; throws InputFileError otherwise. */
export function readRegularFileSync(path: string, o: ReadOptions): string {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (e) {
    throw openError(path, e, o);
  }
  try {
    refuse(path, fstatSync(fd), o);
    const max = o.maxBytes ?? MAX_INPUT_FILE_BYTES;
    // One byte more than allowed: a file that grew after fstat is refused too.
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (let r = 1; r > 0 && n <= max; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > max) throw new InputFileError(path, "too-large", `${o.what} ${path} is more than ${max} bytes; expected at most ${max} bytes`);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** Async twin of readRegularFileSync. */
export async function readRegularFile(path: string, o: ReadOptions): Promise<string> {
  let fh;
  try {
    fh = await open(path, FLAGS);
  } catch (e) {
    throw openError(path, e, o);
  }
  try {
    refuse(path, await fh.stat(), o);
    const max = o.maxBytes ?? MAX_INPUT_FILE_BYTES;
    const buf = Buffer.alloc(max + 1);
    let n = 0;
    for (let r = 1; r > 0 && n <= max; n += r) r = (await fh.read(buf, n, buf.length - n, null)).bytesRead;
    if (n > max) throw new InputFileError(path, "too-large", `${o.what} ${path} is more than ${max} bytes; expected at most ${max} bytes`);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    await fh.close();
  }
}

/**
 * A JSON.parse error without the text: V8's message quotes the input around the error
 * (and so maybe a password). Keeps only the position, when V8 gives one.
 */
export function jsonErrorWithoutText(e: unknown, text: string): string {
  const msg = (e as Error).message ?? "";
  const at = /position (\d+)/.exec(msg)?.[1];
  if (at) return `error at character ${at}`;
  if (text.trim() === "") return "it is empty";
  if (/Unexpected end of JSON input/.test(msg)) return "it ends too early";
  return "syntax error";
}
