/**
 * Pure: a tar archive (ustar) of in-memory files, for the Engine API's archive upload
 * (PUT /containers/{id}/archive): the program's `uploads` with their owner and mode,
 * written into the created container before it starts, as the Docker provider does.
 */
export interface TarFile {
  /** Absolute path in the container. */
  path: string;
  content: string | Buffer;
  uid: number;
  gid: number;
  mode: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function header(name: string, size: number, f: TarFile): Buffer {
  const h = Buffer.alloc(512);
  let prefix = "";
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100);
  h.write(octal(f.mode & 0o7777, 8), 100);
  h.write(octal(f.uid, 8), 108);
  h.write(octal(f.gid, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136);
  h.write("        ", 148);
  h.write("0", 156);
  h.write("ustar\0", 257);
  h.write("00", 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + " ", 148);
  return h;
}

export function tarFiles(files: TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    if (!f.path.startsWith("/") || f.path.split("/").includes("..")) throw new Error(`tar: "${f.path}" must be an absolute path without ".."`);
    const body = Buffer.isBuffer(f.content) ? f.content : Buffer.from(f.content, "utf8");
    parts.push(header(f.path.slice(1), body.length, f), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
