/**
 * Where a frequency cap's window begins: sends at or after that instant count
 * against the cap. Calendar windows follow the customer's wall clock.
 */
import type { CapWindow } from '../journey/schema.ts';
import { durationSeconds } from '../time/duration.ts';
import { startOfLocalDay, startOfLocalWeek } from '../time/zone.ts';

/** A local day is 25 hours long on the day clocks fall back. */
const CALENDAR_DAY_MAX_SECONDS = 25 * 3_600;
/** A calendar week is at most 7 days and an hour; a whole spare day keeps the bound round. */
const CALENDAR_WEEK_MAX_SECONDS = 8 * 86_400;

/** The first instant of the cap window that contains `now` for a customer in `timeZone`. */
export function capWindowStart(now: Date, timeZone: string, window: CapWindow): Date {
  if (window === 'calendarDay') return startOfLocalDay(now, timeZone);
  if (window === 'calendarWeek') return startOfLocalWeek(now, timeZone);
  return new Date(now.getTime() - durationSeconds(window.rolling) * 1_000);
}

/** How long any of these windows can reach back: how long send records must be kept. 0 for none. */
export function longestWindowSeconds(windows: readonly CapWindow[]): number {
  return windows.reduce((longest, window) => Math.max(longest, windowMaxSeconds(window)), 0);
}

function windowMaxSeconds(window: CapWindow): number {
  if (window === 'calendarDay') return CALENDAR_DAY_MAX_SECONDS;
  if (window === 'calendarWeek') return CALENDAR_WEEK_MAX_SECONDS;
  return durationSeconds(window.rolling);
}
