/**
 * Recurring broadcasts: the cron a trigger is written with, checked and
 * followed to its next run. Apart from schedule.ts because only the
 * validator and the local scheduler need a cron reader; the deployed audience
 * function names runs from the time Scheduler fired, without one.
 */
import { CronExpressionParser } from 'cron-parser';
import { type AudienceTrigger, CUSTOMER_ZONE } from '../journey/schema.ts';
import { localParts } from '../time/zone.ts';
import { type BroadcastRun, broadcastZone, FIRST_ZONE, formatLocal, runFor } from './schedule.ts';

export type CronParse = { ok: true } | { ok: false; message: string };

/** A five-field cron (minute hour day-of-month month day-of-week), as Unix cron reads it. */
export function checkCron(text: string): CronParse {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 5) {
    return {
      ok: false,
      message: `A cron has 5 fields (minute hour day-of-month month day-of-week), e.g. "0 10 * * MON"; "${text}" has ${fields.length}.`,
    };
  }
  try {
    CronExpressionParser.parse(text, { tz: 'UTC' }).next();
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      message: `"${text}" is not a valid cron: ${error instanceof Error ? error.message : String(error)}.`,
    };
  }
}

/**
 * The first run of a broadcast trigger whose first member is due after `after`, or undefined when
 * there is none (a one-off broadcast already past, an entry trigger).
 */
export function nextRun(
  trigger: AudienceTrigger,
  settingsZone: string,
  after: Date,
): BroadcastRun | undefined {
  const zone = broadcastZone(trigger, settingsZone);
  if (trigger.at !== undefined) {
    const run = runFor(trigger.at, zone);
    return run.firstAt.getTime() > after.getTime() ? run : undefined;
  }
  if (trigger.cron === undefined) return undefined;
  // Occurrences are wall-clock times: read the cron in UTC as a "floating" local clock.
  const floatingZone = zone === CUSTOMER_ZONE ? FIRST_ZONE : zone;
  const startLocal = localParts(after, floatingZone);
  const floating = CronExpressionParser.parse(trigger.cron, {
    tz: 'UTC',
    currentDate: new Date(
      Date.UTC(
        startLocal.year,
        startLocal.month - 1,
        startLocal.day,
        startLocal.hour,
        startLocal.minute,
        startLocal.second,
      ),
    ),
  });
  // A handful of tries: a local time skipped by daylight saving can map to an instant not after `after`.
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const occurrence = floating.next().toDate();
    const runId = formatLocal({
      year: occurrence.getUTCFullYear(),
      month: occurrence.getUTCMonth() + 1,
      day: occurrence.getUTCDate(),
      hour: occurrence.getUTCHours(),
      minute: occurrence.getUTCMinutes(),
    });
    const run = runFor(runId, zone);
    if (run.firstAt.getTime() > after.getTime()) return run;
  }
  return undefined;
}

/** The shortest time between two runs of a valid cron, over its next few occurrences from a fixed start. */
export function shortestGapSeconds(cron: string): number {
  const occurrences = CronExpressionParser.parse(cron, {
    tz: 'UTC',
    currentDate: new Date('2026-01-01T00:00:00Z'),
  });
  let previous = occurrences.next().toDate().getTime();
  let shortest = Number.POSITIVE_INFINITY;
  for (let index = 0; index < 24; index += 1) {
    const next = occurrences.next().toDate().getTime();
    shortest = Math.min(shortest, (next - previous) / 1000);
    previous = next;
  }
  return shortest;
}
