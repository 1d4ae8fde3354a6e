/**
 * Makes a string safe to print in a report: every character that could move the
 * cursor, recolour the terminal, end a line or reorder text (C0 and C1 controls, DEL,
 * Unicode line/paragraph separators, bidirectional overrides and isolates) becomes a
 * visible escape such as \x1b or \u202e. A host name from an outputs document can then
 * never print a fake PASS line. Applied to values, not to the report's own colours.
 */

// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function hasUnprintable(s: string): boolean {
  UNPRINTABLE.lastIndex = 0;
  return UNPRINTABLE.test(s);
}

export function printable(s: string): string {
  return String(s).replace(UNPRINTABLE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
