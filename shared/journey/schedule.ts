/**
 * When a wait step with `until` ends: at a local window's opening or at the
 * customer's preferred hour, both read on the customer's wall clock.
 */
import {
  addLocalDays,
  isWithinLocalWindow,
  type LocalTime,
  localParts,
  localTimeInstantsOn,
  minutesOfDay,
  nextLocalTimeAfter,
  parseLocalTime,
  zonedTimeToInstant,
} from '../time/zone.ts';
import type { StepOfType } from './schema.ts';

export type WaitUntil = NonNullable<StepOfType<'wait'>['until']>;
export type LocalWindow = Pick<Extract<WaitUntil, { kind: 'localWindow' }>, 'start' | 'end' | 'days'>;
export type WeekdayName = NonNullable<LocalWindow['days']>[number];

/** Index 0 = Monday, matching `LocalParts.weekday`. */
const WEEKDAY_NAMES: readonly WeekdayName[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A window opens at most once a day, so a week and a day always reaches the next opening. */
const WINDOW_SEARCH_DAYS = 8;

const HOURS_PER_DAY = 24;

function weekdayName(weekday: number): WeekdayName {
  const name = WEEKDAY_NAMES[((weekday % 7) + 7) % 7];
  if (name === undefined) throw new Error(`No weekday ${weekday}.`);
  return name;
}

/**
 * `now` when the window is open, otherwise the next instant it opens.
 * `days` names the days the window opens on: an overnight window (20:00-02:00)
 * opened on Friday is still open at 01:00 on Saturday even if Saturday is not listed.
 */
export function nextLocalWindowOpening(now: Date, timeZone: string, window: LocalWindow): Date {
  if (window.start === window.end) {
    throw new Error(`The window ${window.start}-${window.end} starts and ends at once, so it never opens.`);
  }
  const openDays = new Set<WeekdayName>(window.days ?? WEEKDAY_NAMES);
  const start = parseLocalTime(window.start);
  const startMinute = minutesOfDay(start);
  const endMinute = minutesOfDay(parseLocalTime(window.end));
  const today = localParts(now, timeZone);
  const nowMinute = minutesOfDay(today);
  if (isWithinLocalWindow(nowMinute, startMinute, endMinute)) {
    const crossesMidnight = startMinute > endMinute;
    const openedYesterday = crossesMidnight && nowMinute < endMinute;
    if (openDays.has(weekdayName(today.weekday - (openedYesterday ? 1 : 0)))) return now;
  }
  const todayDate = { year: today.year, month: today.month, day: today.day };
  for (let dayOffset = 0; dayOffset <= WINDOW_SEARCH_DAYS; dayOffset += 1) {
    if (!openDays.has(weekdayName(today.weekday + dayOffset))) continue;
    // 'atJump': a window opening at a skipped 02:30 is open from 03:00, when the clock first reads past it.
    const opening = localTimeInstantsOn(addLocalDays(todayDate, dayOffset), start, timeZone, 'atJump').find(
      (instant) => instant.getTime() >= now.getTime(),
    );
    if (opening !== undefined) return opening;
  }
  throw new Error(`The window ${window.start}-${window.end} never opens: it lists no days.`);
}

/** The busiest local hour, earliest on ties; undefined when there is no engagement to go on. */
export function busiestHour(engagementByHour: readonly number[] | undefined): number | undefined {
  if (engagementByHour === undefined) return undefined;
  let busiest: number | undefined;
  let busiestCount = 0;
  engagementByHour.slice(0, HOURS_PER_DAY).forEach((count, hour) => {
    if (count > busiestCount) {
      busiest = hour;
      busiestCount = count;
    }
  });
  return busiest;
}

/**
 * When to send at the customer's preferred hour: the local hour they engage
 * with most (24 counts indexed by local hour), or `fallback` ("HH:MM") without
 * history. 'sameOrNext' takes the next time that hour comes, today if it is
 * still ahead; 'next' never sends today.
 */
export function preferredHourInstant(
  now: Date,
  timeZone: string,
  engagementByHour: readonly number[] | undefined,
  fallback: string,
  day: 'sameOrNext' | 'next',
): Date {
  const hour = busiestHour(engagementByHour);
  const time: LocalTime = hour === undefined ? parseLocalTime(fallback) : { hour, minute: 0 };
  switch (day) {
    case 'sameOrNext':
      return nextLocalTimeAfter(now, timeZone, time, 'shiftForward');
    case 'next': {
      const today = localParts(now, timeZone);
      const tomorrow = addLocalDays({ year: today.year, month: today.month, day: today.day }, 1);
      return zonedTimeToInstant({ ...tomorrow, ...time }, timeZone);
    }
  }
}
