/**
 * Quiet hours: a per-channel local window in which marketing messages wait.
 * The window is read on the customer's wall clock, so it moves with daylight
 * saving and with the customer's time zone.
 */
import {
  isWithinLocalWindow,
  localParts,
  minutesOfDay,
  nextLocalTimeAfter,
  parseLocalTime,
} from '../time/zone.ts';

/** A channel's quiet hours from settings; `start > end` runs overnight (21:00-08:00). */
export interface QuietHours {
  start: string;
  end: string;
}

/**
 * When quiet hours in effect at `now` end, or undefined when a message may
 * go out now. `null` and `start == end` mean the channel has no quiet hours.
 */
export function quietHoursEnd(now: Date, timeZone: string, quiet: QuietHours | null): Date | undefined {
  if (quiet === null || quiet.start === quiet.end) return undefined;
  const start = parseLocalTime(quiet.start);
  const end = parseLocalTime(quiet.end);
  const nowMinute = minutesOfDay(localParts(now, timeZone));
  if (!isWithinLocalWindow(nowMinute, minutesOfDay(start), minutesOfDay(end))) return undefined;
  // 'atJump': with quiet hours ending at a skipped 02:30, the clock reads 03:00 at the jump, already outside them.
  return nextLocalTimeAfter(now, timeZone, end, 'atJump');
}
