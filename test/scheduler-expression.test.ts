/** shared/audience/scheduler-expression.ts: broadcast triggers as EventBridge Scheduler expressions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nextRun } from '../shared/audience/recurrence.ts';
import { namedRun, runAt } from '../shared/audience/schedule.ts';
import {
  CUSTOMER_RUN_ZONE,
  schedulerAt,
  schedulerCron,
  schedulerDayOfWeek,
  schedulerSchedule,
  schedulerState,
  schedulerZone,
} from '../shared/audience/scheduler-expression.ts';
import type { AudienceTrigger } from '../shared/journey/schema.ts';

const SETTINGS_ZONE = 'America/Sao_Paulo';

describe('Unix cron as Scheduler cron', () => {
  it.each([
    // Every day: day-of-month stays "*", day-of-week becomes "?".
    ['0 10 * * *', 'cron(0 10 * * ? *)'],
    ['0 10 ? * *', 'cron(0 10 * * ? *)'],
    // A day of the month: day-of-week "?".
    ['0 10 1 * *', 'cron(0 10 1 * ? *)'],
    ['30 9 1,15 * *', 'cron(30 9 1,15 * ? *)'],
    ['0 10 L * *', 'cron(0 10 L * ? *)'],
    // Names are kept (upper-cased): day-of-month "?".
    ['0 10 * * MON', 'cron(0 10 ? * MON *)'],
    ['0 10 * * mon,wed', 'cron(0 10 ? * MON,WED *)'],
    ['0 10 * * MON-FRI', 'cron(0 10 ? * MON-FRI *)'],
    ['0 10 1 jan *', 'cron(0 10 1 JAN ? *)'],
    // Numbered days move up by one: Unix 0 or 7 = SUN ... 6 = SAT, Scheduler 1 = SUN ... 7 = SAT.
    ['0 10 * * 0', 'cron(0 10 ? * 1 *)'],
    ['0 10 * * 7', 'cron(0 10 ? * 1 *)'],
    ['0 10 * * 6', 'cron(0 10 ? * 7 *)'],
    ['0 10 ? * 1', 'cron(0 10 ? * 2 *)'],
    ['0 10 * * 1-5', 'cron(0 10 ? * 2-6 *)'],
    ['0 10 * * 0,6', 'cron(0 10 ? * 1,7 *)'],
    ['0 10 * * 1,3-4', 'cron(0 10 ? * 2,4,5 *)'],
    // FRI-SUN (5-7) would run past Saturday in Scheduler's numbering: FRI, SAT, SUN as a list.
    ['0 10 * * 5-7', 'cron(0 10 ? * 1,6,7 *)'],
    // Scheduler takes no step in day-of-week: written out. */2 is SUN, TUE, THU, SAT.
    ['0 10 * * */2', 'cron(0 10 ? * 1,3,5,7 *)'],
    // 1/2 runs to 7 as cron-parser reads it: MON, WED, FRI, SUN.
    ['0 10 * * 1/2', 'cron(0 10 ? * 1,2,4,6 *)'],
    ['0 10 * * MON-FRI/2', 'cron(0 10 ? * 2,4,6 *)'],
    ['0 10 * * 0-6/3', 'cron(0 10 ? * 1,4,7 *)'],
    // The last Friday, the second Monday.
    ['0 10 * * 5L', 'cron(0 10 ? * 6L *)'],
    ['0 10 * * 1#2', 'cron(0 10 ? * 2#2 *)'],
    ['0 10 * * MON#2', 'cron(0 10 ? * 2#2 *)'],
    // Steps: "*/n" starts at the field's first value; a step over a range is written out.
    ['*/15 9-17 * * *', 'cron(0/15 9-17 * * ? *)'],
    ['0 10 */10 * *', 'cron(0 10 1/10 * ? *)'],
    ['0 10 5/10 * *', 'cron(0 10 5/10 * ? *)'],
    ['0 10 1 */3 *', 'cron(0 10 1 1/3 ? *)'],
    ['0 8-18/4 * * *', 'cron(0 8,12,16 * * ? *)'],
  ])('%s -> %s', (unix, scheduler) => {
    expect(schedulerCron(unix)).toEqual({ ok: true, expression: scheduler });
  });

  it('names each numbered day as Unix does', () => {
    const unixNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
    const schedulerNames = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
    unixNames.forEach((name, unixDay) => {
      expect(schedulerNames[schedulerDayOfWeek(unixDay) - 1]).toBe(name);
    });
  });

  it.each(['0 10 1 * MON', '0 10 1-7 * 1', '0 10 */2 * MON', '0 10 L * 5'])(
    'refuses %s: Scheduler cannot take both a day of the month and a day of the week',
    (unix) => {
      const result = schedulerCron(unix);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.message).toContain('EventBridge Scheduler cannot take both');
        expect(result.message).toContain(unix);
      }
    },
  );

  it.each([
    ['0 10 * *', '5 fields'],
    ['0 10 * * * *', '5 fields'],
    ['', '5 fields'],
    ['0 25 * * *', '"25" is not a valid hour (0-23)'],
    ['60 10 * * *', '"60" is not a valid minute (0-59)'],
    ['0 10 * * 8', '"8" is not a valid day-of-week (0-7)'],
    ['0 10 0 * *', '"0" is not a valid day-of-month (1-31)'],
    ['0 10 * 13 *', '"13" is not a valid month (1-12)'],
    ['0 10 * * FRI-MON', 'runs backwards'],
    ['0 10 * * 1-5/0', 'positive whole number'],
    ['0 10 * * MOO', '"MOO" is not a valid day-of-week'],
  ])('refuses %j (%s)', (unix, reason) => {
    const result = schedulerCron(unix);
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining(reason) });
  });
});

describe('one-off times', () => {
  it('adds the seconds Scheduler wants', () => {
    expect(schedulerAt('2026-12-10T10:00')).toEqual({ ok: true, expression: 'at(2026-12-10T10:00:00)' });
    expect(schedulerAt('2026-12-10T10:00:30')).toEqual({ ok: true, expression: 'at(2026-12-10T10:00:30)' });
  });

  it('refuses anything else', () => {
    expect(schedulerAt('2026-12-10 10:00').ok).toBe(false);
    expect(schedulerAt('2026-12-10T10:00Z').ok).toBe(false);
  });
});

describe('the schedule of a trigger', () => {
  it('reads the sample weekly newsletter (Mondays 10:00, customer time) in UTC+14', () => {
    // Prepare
    const journey = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', 'journeys', 'weekly-newsletter.json'), 'utf8'),
    );
    // Act
    const schedule = schedulerSchedule(journey.trigger, SETTINGS_ZONE);
    // Assess
    expect(schedule).toEqual({ ok: true, expression: 'cron(0 10 ? * MON *)', timeZone: 'Etc/GMT-14' });
  });

  it("takes the trigger's zone, else the settings' zone, and UTC+14 for the customers' zones", () => {
    const trigger = (timeZone?: string): AudienceTrigger => ({
      segment: 'gold',
      at: '2026-12-10T10:00',
      ...(timeZone === undefined ? {} : { timeZone }),
    });
    expect(schedulerSchedule(trigger('Europe/Paris'), SETTINGS_ZONE)).toEqual({
      ok: true,
      expression: 'at(2026-12-10T10:00:00)',
      timeZone: 'Europe/Paris',
    });
    expect(schedulerZone(trigger(), SETTINGS_ZONE)).toBe(SETTINGS_ZONE);
    expect(schedulerZone(trigger('customer'), SETTINGS_ZONE)).toBe(CUSTOMER_RUN_ZONE);
    expect(CUSTOMER_RUN_ZONE).toBe('Etc/GMT-14');
    // Written in another case, a zone reaches Scheduler spelt as Scheduler knows it.
    expect(schedulerZone(trigger('america/new_york'), SETTINGS_ZONE)).toBe('America/New_York');
    expect(schedulerZone(trigger('utc'), SETTINGS_ZONE)).toBe('UTC');
  });

  it('passes on why a cron cannot be scheduled', () => {
    const schedule = schedulerSchedule({ segment: 'gold', cron: '0 10 1 * MON' }, SETTINGS_ZONE);
    expect(schedule).toMatchObject({ ok: false, message: expect.stringContaining('cannot take both') });
  });

  it('fires only for an active journey', () => {
    expect(schedulerState('active')).toBe('ENABLED');
    expect(schedulerState('paused')).toBe('DISABLED');
    expect(schedulerState('draft')).toBe('DISABLED');
  });

  it('has none for a segment entry trigger', () => {
    const schedule = schedulerSchedule({ segment: 'gold', on: 'enter' }, SETTINGS_ZONE);
    expect(schedule).toMatchObject({ ok: false, message: expect.stringContaining('no schedule') });
  });

  it('fires a customer-time broadcast at its first instant, which names the run back', () => {
    // 10:00 in UTC+14 is 20:00 UTC the day before.
    const once: AudienceTrigger = { segment: 'gold', at: '2026-12-10T10:00', timeZone: 'customer' };
    const firesAt = new Date('2026-12-09T20:00:00Z');
    expect(schedulerSchedule(once, SETTINGS_ZONE)).toMatchObject({ timeZone: 'Etc/GMT-14' });
    expect(namedRun(once, SETTINGS_ZONE)?.firstAt).toEqual(firesAt);
    expect(runAt(once, SETTINGS_ZONE, firesAt)?.runId).toBe('2026-12-10T10:00');

    // Monday 14 December 2026, 10:00 in UTC+14: Sunday 20:00 UTC.
    const weekly: AudienceTrigger = { segment: 'newsletter', cron: '0 10 * * MON', timeZone: 'customer' };
    const mondayFiresAt = new Date('2026-12-13T20:00:00Z');
    expect(nextRun(weekly, SETTINGS_ZONE, new Date('2026-12-10T00:00:00Z'))?.firstAt).toEqual(mondayFiresAt);
    expect(runAt(weekly, SETTINGS_ZONE, mondayFiresAt)?.runId).toBe('2026-12-14T10:00');
  });
});
