/**
 * Rounding for people: checks keep full-precision figures (JSON reports, metrics), the
 * report formatters show at most 3 decimals. Floating-point artefacts such as
 * 166.66666666666666 or 0.18619999999999998 are never printed.
 */

/** At most `digits` decimals, trailing zeros dropped (0.1862, 166.667, 12). */
export function roundForDisplay(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Numbers in free text (a check's message or threshold) with more than 4 decimals, rounded
 * to 3. Only such long fractions: addresses (127.0.0.1), versions (15.4) and ids are not
 * touched, since they have no run of 5+ decimals standing alone. Nor are the seconds of
 * a time of day (`11:10:00.091234+00`): rounded, they printed as `11:10:0.091+00`.
 */
export function roundNumbersIn(text: string): string {
  return text.replace(/(?<![\d.:])(\d+\.\d{5,})(?![\d.])/g, (n) => String(roundForDisplay(Number(n))));
}
