/**
 * Maintenance, backup and snapshot windows as minute intervals of the UTC week, so
 * their length and overlap can be checked the way RDS and ElastiCache check them.
 * Pure; the schema has already checked the format ("hh:mm-hh:mm", "ddd:hh:mm-ddd:hh:mm").
 */
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const WEEK = 7 * 24 * 60;
const DAY = 24 * 60;

/** [start, end) in minutes from Monday 00:00 UTC; end may exceed a week when the window wraps. */
export type Interval = readonly [number, number];

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

/** A daily window ("03:00-04:00") as its minutes of the day; a window past midnight wraps. */
export function dailyInterval(w: string): Interval {
  const [a, b] = w.split("-");
  const start = minutes(a);
  let end = minutes(b);
  if (end <= start) end += DAY;
  return [start, end];
}

/** A weekly window ("sun:05:00-sun:06:00") in minutes of the week; a window past Sunday wraps. */
export function weeklyInterval(w: string): Interval {
  const m = /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(w);
  if (!m) throw new Error(`not a weekly window: ${w}`);
  const start = DAYS.indexOf(m[1] as (typeof DAYS)[number]) * DAY + minutes(m[2]);
  let end = DAYS.indexOf(m[3] as (typeof DAYS)[number]) * DAY + minutes(m[4]);
  if (end <= start) end += WEEK;
  return [start, end];
}

export function lengthMinutes(i: Interval): number {
  return i[1] - i[0];
}

/** Whether two intervals share a minute, with both taken modulo `period` (a day or a week). */
function overlapsModulo(a: Interval, b: Interval, period: number): boolean {
  for (const shift of [-period, 0, period]) {
    if (a[0] < b[1] + shift && b[0] + shift < a[1]) return true;
  }
  return false;
}

/** Whether a daily window (every day of the week) overlaps a weekly one. */
export function dailyOverlapsWeekly(daily: string, weekly: string): boolean {
  const d = dailyInterval(daily);
  const w = weeklyInterval(weekly);
  for (let day = 0; day < 7; day++) {
    if (overlapsModulo([d[0] + day * DAY, d[1] + day * DAY], w, WEEK)) return true;
  }
  return false;
}
