/**
 * The local hours a customer tends to act in, for the preferred-hour wait:
 * counted from the events in their history when the wait needs them, added
 * to the counts older versions kept on the profile.
 */
import { localParts } from '../time/zone.ts';

const HOURS_PER_DAY = 24;

export interface ActedEvent {
  time: string;
  detailType: string;
}

export function engagementHours(
  kept: readonly number[],
  events: readonly ActedEvent[],
  timeZone: string,
  isEngagement: (detailType: string) => boolean,
): number[] {
  const hours = Array.from({ length: HOURS_PER_DAY }, (_, hour) => kept[hour] ?? 0);
  for (const event of events) {
    const at = new Date(event.time);
    if (Number.isNaN(at.getTime()) || !isEngagement(event.detailType)) continue;
    const hour = localParts(at, timeZone).hour;
    hours[hour] = (hours[hour] ?? 0) + 1;
  }
  return hours;
}
