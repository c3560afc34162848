/**
 * Wall-clock arithmetic in IANA time zones, built on Intl.DateTimeFormat so
 * daylight saving follows the runtime's time zone database.
 *
 * Local dates and times are plain numbers (month 1-12); they only become
 * instants through `zonedTimeToInstant`, which decides what to do when a
 * wall-clock time is skipped or repeated by a daylight saving change.
 */
import { LOCAL_TIME_PATTERN } from './local-time.ts';

/** A calendar date with no time zone. */
export interface LocalDate {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
}

/** A wall-clock time with no date. */
export interface LocalTime {
  hour: number;
  minute: number;
}

/** A wall-clock date and time with no time zone; seconds default to 0. */
export interface LocalDateTime extends LocalDate, LocalTime {
  second?: number;
}

/** What a wall clock in some zone shows at one instant. */
export interface LocalParts extends LocalDate, LocalTime {
  second: number;
  /** 0 = Monday … 6 = Sunday (ISO order, so weeks start at 0). */
  weekday: number;
}

const MS_PER_SECOND = 1_000;
const MS_PER_DAY = 86_400_000;

const formatterByZone = new Map<string, Intl.DateTimeFormat>();

/** Building a formatter is far slower than using one, and a process serves few zones. */
function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  const cached = formatterByZone.get(timeZone);
  if (cached !== undefined) return cached;
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    calendar: 'gregory',
    numberingSystem: 'latn',
    // h23, not hour12: false, which some ICU versions render midnight as "24".
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  formatterByZone.set(timeZone, formatter);
  return formatter;
}

/** What the wall clock in `timeZone` shows at `instant`. Throws RangeError for an unknown zone. */
export function localParts(instant: Date, timeZone: string): LocalParts {
  const fields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of zoneFormatter(timeZone).formatToParts(instant)) {
    switch (part.type) {
      case 'year':
      case 'month':
      case 'day':
      case 'hour':
      case 'minute':
      case 'second':
        fields[part.type] = Number(part.value);
        break;
      default:
        break;
    }
  }
  return { ...fields, weekday: localWeekday(fields) };
}

/**
 * The local fields read as if they were UTC: a number that orders and
 * subtracts like wall-clock time. setUTCFullYear keeps years 0-99 literal
 * (Date.UTC maps them to 1900-1999) and rolls day overflow into the next month.
 */
function wallClockMs(local: LocalDateTime): number {
  const wallClock = new Date(Date.UTC(2000, 0, 1, local.hour, local.minute, local.second ?? 0));
  wallClock.setUTCFullYear(local.year, local.month - 1, local.day);
  return wallClock.getTime();
}

/** How far the zone's wall clock is ahead of UTC at an instant, in milliseconds. */
function zoneOffsetMs(instantMs: number, timeZone: string): number {
  // The wall clock shows whole seconds; drop the instant's milliseconds so they do not leak into the offset.
  const wholeSecondMs = Math.floor(instantMs / MS_PER_SECOND) * MS_PER_SECOND;
  return wallClockMs(localParts(new Date(wholeSecondMs), timeZone)) - wholeSecondMs;
}

/**
 * Offsets the zone uses near a wall-clock time. Any transition that could
 * affect it lies within 14 hours (the largest UTC offset), so sampling a day
 * either side sees the offsets before and after it.
 */
function nearbyOffsetsMs(wallMs: number, timeZone: string): number[] {
  const offsets = [wallMs - MS_PER_DAY, wallMs, wallMs + MS_PER_DAY].map((sample) =>
    zoneOffsetMs(sample, timeZone),
  );
  return [...new Set(offsets)];
}

/**
 * Every instant at which the wall clock in `timeZone` shows `local`, earliest
 * first: one normally, two in a fall-back hour, none in a spring-forward gap.
 */
export function zonedTimeInstants(local: LocalDateTime, timeZone: string): Date[] {
  const wallMs = wallClockMs(local);
  return nearbyOffsetsMs(wallMs, timeZone)
    .map((offsetMs) => wallMs - offsetMs)
    .filter((instantMs) => zoneOffsetMs(instantMs, timeZone) === wallMs - instantMs)
    .sort((a, b) => a - b)
    .map((instantMs) => new Date(instantMs));
}

/** A skipped wall-clock time, as both answers callers need. */
interface SkippedTime {
  /** The last instant before the clock jumps over the time: the wall clock there is still earlier. */
  beforeJumpMs: number;
  /** The time moved forward by the size of the gap (02:30 → 03:30 when 02:00 jumps to 03:00). */
  shiftedMs: number;
}

function skippedTime(wallMs: number, timeZone: string): SkippedTime {
  // In a gap the offset after the jump is the larger one; reading the wall
  // time with it lands before the jump, where the old offset is in force.
  const offsetAfterMs = Math.max(...nearbyOffsetsMs(wallMs, timeZone));
  const offsetBeforeMs = zoneOffsetMs(wallMs - offsetAfterMs, timeZone);
  return { beforeJumpMs: wallMs - offsetAfterMs, shiftedMs: wallMs - offsetBeforeMs };
}

/**
 * The instant the wall clock in `timeZone` shows `local`.
 * Repeated (fall-back) times give the earlier instant. Skipped
 * (spring-forward) times are moved forward by the size of the gap, so 02:30
 * on a day New York jumps from 02:00 to 03:00 becomes 03:30: a wait meant for
 * "half an hour past two" still ends half an hour into the new hour.
 */
export function zonedTimeToInstant(local: LocalDateTime, timeZone: string): Date {
  const earliest = zonedTimeInstants(local, timeZone)[0];
  if (earliest !== undefined) return earliest;
  return new Date(skippedTime(wallClockMs(local), timeZone).shiftedMs);
}

/**
 * The first instant the wall clock in `timeZone` reads `local` or later. It
 * differs from `zonedTimeToInstant` only for skipped times, where it is the
 * jump itself: the boundary of a local window that opens or closes at 02:30
 * on a spring-forward day is crossed at 03:00, when the clock first reads
 * past 02:30, not an hour later.
 */
export function instantClockReaches(local: LocalDateTime, timeZone: string): Date {
  const earliest = zonedTimeInstants(local, timeZone)[0];
  if (earliest !== undefined) return earliest;
  const wallMs = wallClockMs(local);
  const { beforeJumpMs, shiftedMs } = skippedTime(wallMs, timeZone);
  // Only the one transition lies between the two, so the wall clock rises steadily there.
  return new Date(
    firstInstantMsWhere(beforeJumpMs, shiftedMs, (instantMs) => {
      return wallClockMs(localParts(new Date(instantMs), timeZone)) >= wallMs;
    }),
  );
}

/**
 * Binary search, to the second, for the first instant in (falseAtMs, trueAtMs]
 * where `holds` becomes true; it must stay true once it does.
 */
function firstInstantMsWhere(
  falseAtMs: number,
  trueAtMs: number,
  holds: (instantMs: number) => boolean,
): number {
  let lowMs = falseAtMs;
  let highMs = trueAtMs;
  while (highMs - lowMs > MS_PER_SECOND) {
    const middleMs = Math.floor((lowMs + highMs) / 2 / MS_PER_SECOND) * MS_PER_SECOND;
    if (middleMs <= lowMs || middleMs >= highMs) break;
    if (holds(middleMs)) highMs = middleMs;
    else lowMs = middleMs;
  }
  return highMs;
}

/** Calendar arithmetic: the date `days` days after (or before, when negative) `date`. */
export function addLocalDays<T extends LocalDate>(date: T, days: number): T {
  const shifted = new Date(
    wallClockMs({ year: date.year, month: date.month, day: date.day, hour: 0, minute: 0 }),
  );
  shifted.setUTCDate(shifted.getUTCDate() + days);
  return {
    ...date,
    year: shifted.getUTCFullYear(),
    month: shifted.getUTCMonth() + 1,
    day: shifted.getUTCDate(),
  };
}

/** Day of the week of a calendar date, 0 = Monday … 6 = Sunday. */
export function localWeekday(date: LocalDate): number {
  const sundayFirst = new Date(wallClockMs({ ...date, hour: 0, minute: 0 })).getUTCDay();
  return (sundayFirst + 6) % 7;
}

/** Parses a settings or journey "HH:MM"; the schema has already checked the format. */
export function parseLocalTime(text: string): LocalTime {
  const match = LOCAL_TIME_PATTERN.exec(text);
  if (match === null) throw new Error(`"${text}" is not a local time "HH:MM".`);
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

/** Minutes since local midnight, for comparing wall-clock times. */
export function minutesOfDay(time: LocalTime): number {
  return time.hour * 60 + time.minute;
}

/** Whether a wall-clock minute of the day falls in [start, end), wrapping past midnight when start > end. */
export function isWithinLocalWindow(minute: number, startMinute: number, endMinute: number): boolean {
  return startMinute < endMinute
    ? minute >= startMinute && minute < endMinute
    : minute >= startMinute || minute < endMinute;
}

/**
 * The first instant of a local date. Where midnight is skipped (Santiago,
 * and São Paulo until 2019, spring forward at 00:00) the day begins at the jump.
 */
export function firstInstantOfLocalDate(date: LocalDate, timeZone: string): Date {
  return instantClockReaches(
    { year: date.year, month: date.month, day: date.day, hour: 0, minute: 0 },
    timeZone,
  );
}

/** The first instant of the local day containing `instant`. */
export function startOfLocalDay(instant: Date, timeZone: string): Date {
  return firstInstantOfLocalDate(localParts(instant, timeZone), timeZone);
}

/** The first instant of the local ISO week (Monday) containing `instant`. */
export function startOfLocalWeek(instant: Date, timeZone: string): Date {
  const today = localParts(instant, timeZone);
  return firstInstantOfLocalDate(addLocalDays(today, -today.weekday), timeZone);
}

/**
 * What to do with a local time the clock skips: a moment to act at is moved
 * forward by the gap (`zonedTimeToInstant`); a window boundary is crossed at
 * the jump (`instantClockReaches`).
 */
export type SkippedTimeRule = 'shiftForward' | 'atJump';

/**
 * The instants on a local date when the clock shows `time`, earliest first:
 * both of a repeated time, and for a skipped one the instant `rule` picks.
 */
export function localTimeInstantsOn(
  date: LocalDate,
  time: LocalTime,
  timeZone: string,
  rule: SkippedTimeRule,
): Date[] {
  const local = { year: date.year, month: date.month, day: date.day, hour: time.hour, minute: time.minute };
  const occurrences = zonedTimeInstants(local, timeZone);
  if (occurrences.length > 0) return occurrences;
  switch (rule) {
    case 'shiftForward':
      return [zonedTimeToInstant(local, timeZone)];
    case 'atJump':
      return [instantClockReaches(local, timeZone)];
  }
}

/**
 * The first instant strictly after `after` at which the local clock shows
 * `time`. Both occurrences of a repeated time count, so a customer in the
 * second 01:15 of a fall-back night still gets the 01:30 that is ahead of them.
 */
export function nextLocalTimeAfter(
  after: Date,
  timeZone: string,
  time: LocalTime,
  rule: SkippedTimeRule,
): Date {
  const today = localParts(after, timeZone);
  // Two days always suffice; a third covers zones that skipped a whole date (Samoa, 2011).
  for (let dayOffset = 0; dayOffset <= 2; dayOffset += 1) {
    const date = addLocalDays({ year: today.year, month: today.month, day: today.day }, dayOffset);
    const ahead = localTimeInstantsOn(date, time, timeZone, rule).find(
      (instant) => instant.getTime() > after.getTime(),
    );
    if (ahead !== undefined) return ahead;
  }
  throw new Error(`No ${formatLocalTime(time)} in ${timeZone} within two days of ${after.toISOString()}.`);
}

function formatLocalTime(time: LocalTime): string {
  return `${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')}`;
}
