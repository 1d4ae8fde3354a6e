/**
 * A small seeded generator of hostile documents (issue 9, item 7): a valid stack file or
 * outputs document with one to three values replaced by something an attacker with
 * write access might put there: other types, huge or fractional numbers, NaN/Infinity
 * spellings, empty and 100 KB strings, control and bidirectional characters, URLs with
 * credentials, deep nesting, long lists, `__proto__` / `constructor` keys, or the text
 * itself broken (truncated, a stray quote or tab, a duplicate key). Seeded
 * (mulberry32), so a failing case is reproduced from its seed and index.
 */

export type Rng = () => number;

/** mulberry32: a tiny, fast, seedable PRNG; good enough to pick mutations. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: Rng, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

/** A marker that must never be printed: planted where a secret would be. */
export const MARKER = "Zq7-SECRET-MARKER-9x";

function randomString(r: Rng): string {
  const pools = ["abc", "\u0000", "\n", "\r", "\t", "\u001b[31m", "\u009b", "\u202e", "\u2028", "'", '"', "\\", "${x}", "%s", ":", "@", "/", "é", "😀", " ", "#", "{", "[", "-", MARKER];
  let s = "";
  const n = int(r, 0, 12);
  for (let i = 0; i < n; i++) s += pick(r, pools);
  return s;
}

/** One hostile value. */
export function hostileValue(r: Rng, depth = 0): unknown {
  const k = int(r, 0, 24);
  switch (k) {
    case 0: return null;
    case 1: return pick(r, [true, false]);
    case 2: return pick(r, [0, -1, 1, 2 ** 31, 2 ** 53 - 1, 2 ** 53 + 1, 17592186044417, 1e308, -1e308, 0.5, -0.0001, 65536, 4294967296]);
    case 3: return pick(r, ["NaN", ".nan", "Infinity", "-Infinity", "1e9999", "0x10", "010", "1_000", " 5 ", "5ms"]);
    case 4: return "";
    case 5: return "x".repeat(depth === 0 ? pick(r, [256, 4096, 100_000]) : 64);
    case 6: return randomString(r);
    case 7: return `redis://default:${MARKER}@cache.internal:6379`;
    case 8: return `127.0.0.1\n  \u001b[32mPASS\u001b[0m  forged ${MARKER}`;
    case 9: return [];
    // Long lists only at the top (a list of long lists would be the generator's own blow-up).
    case 10: return Array.from({ length: depth === 0 ? pick(r, [1, 3, 100, 1000]) : pick(r, [1, 3]) }, () => (depth < 2 ? hostileValue(r, depth + 1) : 1));
    case 11: return {};
    case 12: return depth < 3 ? { [pick(r, ["__proto__", "constructor", "prototype", "x", "", "a.b", "data-tier:x"])]: hostileValue(r, depth + 1) } : {};
    case 13: {
      let o: unknown = 1;
      for (let i = 0; i < pick(r, [10, 50, 200]); i++) o = { a: o };
      return o;
    }
    case 14: return JSON.parse('{"__proto__": {"polluted": true}}');
    case 15: return { secure: "AAABAKE=" };
    case 16: return "[secret]";
    case 17: return MARKER;
    case 18: return pick(r, ["::1", "10.0.0.1", "0.0.0.0", "256.1.1.1", "localhost", "a..b", "-x.y", "x_y.internal"]);
    case 19: return int(r, -5, 70000);
    case 20: return pick(r, ["aws", "docker", "sandbox", "AWS", "prod", "dev", "us-east-1", "eu-west-9"]);
    case 21: return pick(r, [1.5, 3.14159, -0.5, 1e-9]);
    case 22: return "\u0000";
    case 23: return "a\nb: c";
    default: return `${randomString(r)}${MARKER}`;
  }
}

type Path = (string | number)[];

/** Every path into a JSON-like value (containers and leaves). */
export function pathsOf(v: unknown, base: Path = [], out: Path[] = []): Path[] {
  out.push(base);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...base, i], out));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) pathsOf(x, [...base, k], out);
  return out;
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown, r: Rng): void {
  if (path.length === 0) return;
  let o: unknown = root;
  for (const p of path.slice(0, -1)) o = (o as Record<string | number, unknown>)[p];
  if (o === null || typeof o !== "object") return;
  const last = path[path.length - 1];
  const bag = o as Record<string | number, unknown>;
  const op = int(r, 0, 9);
  if (op === 0) delete bag[last];
  else if (op === 1 && !Array.isArray(bag)) Object.defineProperty(bag, pick(r, ["__proto__", "constructor", "extra", "Owner", "MAX_CONNECTIONS", "x\ny"]), { value, enumerable: true, writable: true, configurable: true });
  else bag[last] = value;
}

/** A copy of `doc` with 1-3 hostile mutations. */
export function mutate(doc: unknown, r: Rng): Record<string, unknown> {
  const copy = structuredClone(doc) as Record<string, unknown>;
  const n = int(r, 1, 3);
  for (let i = 0; i < n; i++) {
    const paths = pathsOf(copy);
    setAt(copy, pick(r, paths), hostileValue(r), r);
  }
  return copy;
}

/** Breaks a document's text (the other half of hostile input: not even well-formed). */
export function breakText(text: string, r: Rng): string {
  const at = int(r, 0, text.length);
  switch (int(r, 0, 5)) {
    case 0: return text.slice(0, at);
    case 1: return `${text.slice(0, at)}'${MARKER}\n${text.slice(at)}`;
    case 2: return `${text.slice(0, at)}\t${MARKER}: "${text.slice(at)}`;
    case 3: return `${text.slice(0, at)}\u0000${text.slice(at)}`;
    case 4: return `${text}\n${text}`;
    default: return `${text.slice(0, at)}{{${MARKER}${text.slice(at)}`;
  }
}
