/**
 * Time-zone behaviour a customer would notice: when quiet hours end, when a
 * cap's day or week begins, when a wait ends. Instants are written with the
 * UTC offset the zone uses at that moment so each expectation is checkable by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capWindowStart, longestWindowSeconds } from '../shared/delivery/cap-windows.ts';
import { quietHoursEnd } from '../shared/delivery/quiet-hours.ts';
import {
  type LocalWindow,
  nextLocalWindowOpening,
  preferredHourInstant,
} from '../shared/journey/schedule.ts';
import {
  addLocalDays,
  instantClockReaches,
  type LocalDateTime,
  localParts,
  startOfLocalDay,
  startOfLocalWeek,
  zonedTimeToInstant,
} from '../shared/time/zone.ts';

const NEW_YORK = 'America/New_York';
const LONDON = 'Europe/London';
const SAO_PAULO = 'America/Sao_Paulo';
const KOLKATA = 'Asia/Kolkata';
const SYDNEY = 'Australia/Sydney';
const CHATHAM = 'Pacific/Chatham';

const SMS_QUIET_HOURS = { start: '21:00', end: '08:00' };

const at = (isoWithOffset: string): Date => new Date(isoWithOffset);

describe('localParts', () => {
  it('reads the wall clock, weekday counted from Monday', () => {
    // 2026-03-08 is a Sunday; 02:30Z is still Saturday evening in New York.
    expect(localParts(at('2026-03-08T02:30:00Z'), NEW_YORK)).toEqual({
      year: 2026,
      month: 3,
      day: 7,
      hour: 21,
      minute: 30,
      second: 0,
      weekday: 5,
    });
    expect(localParts(at('2026-03-08T02:30:00Z'), KOLKATA)).toMatchObject({ day: 8, hour: 8, weekday: 6 });
    expect(localParts(at('2026-01-01T00:00:00Z'), CHATHAM)).toMatchObject({ hour: 13, minute: 45 });
  });

  it('shows midnight as 00, not 24', () => {
    expect(localParts(at('2026-06-15T04:00:00Z'), NEW_YORK)).toMatchObject({ day: 15, hour: 0 });
  });
});

describe('zonedTimeToInstant', () => {
  it('uses the offset in force on the day', () => {
    const noon = { year: 2026, month: 1, day: 15, hour: 12, minute: 0 };
    expect(zonedTimeToInstant(noon, NEW_YORK)).toEqual(at('2026-01-15T17:00:00Z'));
    expect(zonedTimeToInstant({ ...noon, month: 7 }, NEW_YORK)).toEqual(at('2026-07-15T16:00:00Z'));
    expect(zonedTimeToInstant(noon, KOLKATA)).toEqual(at('2026-01-15T06:30:00Z'));
    expect(zonedTimeToInstant(noon, SAO_PAULO)).toEqual(at('2026-01-15T15:00:00Z'));
    expect(zonedTimeToInstant({ ...noon, month: 7 }, CHATHAM)).toEqual(at('2026-07-14T23:15:00Z'));
  });

  it('moves a time skipped by spring-forward on by the gap: 02:30 becomes 03:30', () => {
    const skipped = { year: 2026, month: 3, day: 8, hour: 2, minute: 30 };
    expect(zonedTimeToInstant(skipped, NEW_YORK)).toEqual(at('2026-03-08T03:30:00-04:00'));
    expect(zonedTimeToInstant({ ...skipped, day: 29, hour: 1 }, LONDON)).toEqual(
      at('2026-03-29T02:30:00+01:00'),
    );
  });

  it('takes the first of a time repeated by fall-back', () => {
    const repeated = { year: 2026, month: 11, day: 1, hour: 1, minute: 30 };
    expect(zonedTimeToInstant(repeated, NEW_YORK)).toEqual(at('2026-11-01T01:30:00-04:00'));
    expect(zonedTimeToInstant({ year: 2026, month: 4, day: 5, hour: 2, minute: 30 }, SYDNEY)).toEqual(
      at('2026-04-05T02:30:00+11:00'),
    );
  });

  it('crosses a window boundary at the jump, not an hour later', () => {
    const skipped = { year: 2026, month: 3, day: 8, hour: 2, minute: 30 };
    expect(instantClockReaches(skipped, NEW_YORK)).toEqual(at('2026-03-08T03:00:00-04:00'));
  });
});

describe('addLocalDays', () => {
  it('does calendar arithmetic across months, years and leap days', () => {
    expect(addLocalDays({ year: 2026, month: 1, day: 31 }, 1)).toEqual({ year: 2026, month: 2, day: 1 });
    expect(addLocalDays({ year: 2028, month: 2, day: 28 }, 1)).toEqual({ year: 2028, month: 2, day: 29 });
    expect(addLocalDays({ year: 2026, month: 1, day: 1 }, -1)).toEqual({ year: 2025, month: 12, day: 31 });
  });
});

describe('quiet hours', () => {
  it('resumes SMS at 08:00 local on the spring-forward morning: 12:00Z (EDT), not 13:00Z', () => {
    const saturdayNight = at('2026-03-07T22:30:00-05:00');
    expect(quietHoursEnd(saturdayNight, NEW_YORK, SMS_QUIET_HOURS)).toEqual(at('2026-03-08T12:00:00Z'));
  });

  it('resumes SMS at 08:00 local on the fall-back morning: 13:00Z (EST), not 12:00Z', () => {
    const saturdayNight = at('2026-10-31T22:30:00-04:00');
    expect(quietHoursEnd(saturdayNight, NEW_YORK, SMS_QUIET_HOURS)).toEqual(at('2026-11-01T13:00:00Z'));
  });

  it('resumes at 08:00 local across the European and southern-hemisphere changes', () => {
    expect(quietHoursEnd(at('2026-03-28T22:00:00Z'), LONDON, SMS_QUIET_HOURS)).toEqual(
      at('2026-03-29T08:00:00+01:00'),
    );
    expect(quietHoursEnd(at('2026-10-24T22:00:00+01:00'), LONDON, SMS_QUIET_HOURS)).toEqual(
      at('2026-10-25T08:00:00Z'),
    );
    expect(quietHoursEnd(at('2026-04-04T22:00:00+11:00'), SYDNEY, SMS_QUIET_HOURS)).toEqual(
      at('2026-04-05T08:00:00+10:00'),
    );
  });

  it('follows fixed and half-hour offsets', () => {
    expect(quietHoursEnd(at('2026-06-15T23:00:00-03:00'), SAO_PAULO, SMS_QUIET_HOURS)).toEqual(
      at('2026-06-16T11:00:00Z'),
    );
    expect(quietHoursEnd(at('2026-06-15T22:30:00+05:30'), KOLKATA, SMS_QUIET_HOURS)).toEqual(
      at('2026-06-16T02:30:00Z'),
    );
    expect(quietHoursEnd(at('2026-06-15T05:00:00+12:45'), CHATHAM, SMS_QUIET_HOURS)).toEqual(
      at('2026-06-15T08:00:00+12:45'),
    );
  });

  it('holds a message at 07:59 and 21:00 but sends at 08:00 and 20:59', () => {
    expect(quietHoursEnd(at('2026-06-15T07:59:00-04:00'), NEW_YORK, SMS_QUIET_HOURS)).toEqual(
      at('2026-06-15T08:00:00-04:00'),
    );
    expect(quietHoursEnd(at('2026-06-15T07:59:59-04:00'), NEW_YORK, SMS_QUIET_HOURS)).toEqual(
      at('2026-06-15T08:00:00-04:00'),
    );
    expect(quietHoursEnd(at('2026-06-15T08:00:00-04:00'), NEW_YORK, SMS_QUIET_HOURS)).toBeUndefined();
    expect(quietHoursEnd(at('2026-06-15T21:00:00-04:00'), NEW_YORK, SMS_QUIET_HOURS)).toEqual(
      at('2026-06-16T08:00:00-04:00'),
    );
    expect(quietHoursEnd(at('2026-06-15T20:59:00-04:00'), NEW_YORK, SMS_QUIET_HOURS)).toBeUndefined();
  });

  it('handles a window that does not cross midnight', () => {
    const lunch = { start: '13:00', end: '14:00' };
    expect(quietHoursEnd(at('2026-06-15T13:30:00+01:00'), LONDON, lunch)).toEqual(
      at('2026-06-15T14:00:00+01:00'),
    );
    expect(quietHoursEnd(at('2026-06-15T12:59:00+01:00'), LONDON, lunch)).toBeUndefined();
    expect(quietHoursEnd(at('2026-06-15T14:00:00+01:00'), LONDON, lunch)).toBeUndefined();
    expect(quietHoursEnd(at('2026-06-15T23:00:00+01:00'), LONDON, lunch)).toBeUndefined();
  });

  it('treats null and start == end as no quiet hours', () => {
    const midnight = at('2026-06-15T00:00:00-04:00');
    expect(quietHoursEnd(midnight, NEW_YORK, null)).toBeUndefined();
    expect(quietHoursEnd(midnight, NEW_YORK, { start: '21:00', end: '21:00' })).toBeUndefined();
  });

  it('ends at the later 01:30 for a customer already in the repeated fall-back hour', () => {
    const quiet = { start: '23:00', end: '01:30' };
    // 01:15 EST is the second 01:15 of the night; the first 01:30 (EDT) is behind them.
    expect(quietHoursEnd(at('2026-11-01T01:15:00-05:00'), NEW_YORK, quiet)).toEqual(
      at('2026-11-01T01:30:00-05:00'),
    );
  });

  it('ends when the clock jumps past a skipped end time', () => {
    const quiet = { start: '23:00', end: '02:30' };
    expect(quietHoursEnd(at('2026-03-08T01:45:00-05:00'), NEW_YORK, quiet)).toEqual(
      at('2026-03-08T03:00:00-04:00'),
    );
    expect(quietHoursEnd(at('2026-03-08T03:00:00-04:00'), NEW_YORK, quiet)).toBeUndefined();
  });
});

describe('cap windows', () => {
  const instant = at('2026-06-15T03:00:00Z');

  it('starts a calendar day at local midnight, so the same instant has different days by zone', () => {
    expect(capWindowStart(instant, NEW_YORK, 'calendarDay')).toEqual(at('2026-06-14T00:00:00-04:00'));
    expect(capWindowStart(instant, LONDON, 'calendarDay')).toEqual(at('2026-06-15T00:00:00+01:00'));
    expect(capWindowStart(instant, KOLKATA, 'calendarDay')).toEqual(at('2026-06-15T00:00:00+05:30'));
    expect(capWindowStart(instant, CHATHAM, 'calendarDay')).toEqual(at('2026-06-15T00:00:00+12:45'));
  });

  it('starts a 23-hour spring-forward day at midnight standard time', () => {
    expect(capWindowStart(at('2026-03-08T23:00:00-04:00'), NEW_YORK, 'calendarDay')).toEqual(
      at('2026-03-08T00:00:00-05:00'),
    );
  });

  it('starts a day at the jump where midnight does not exist', () => {
    // Chile springs forward from 00:00 to 01:00.
    expect(startOfLocalDay(at('2026-09-06T12:00:00-03:00'), 'America/Santiago')).toEqual(
      at('2026-09-06T01:00:00-03:00'),
    );
    // São Paulo did the same until 2019.
    expect(startOfLocalDay(at('2018-11-04T12:00:00-02:00'), SAO_PAULO)).toEqual(
      at('2018-11-04T01:00:00-02:00'),
    );
    expect(startOfLocalDay(at('2026-11-04T12:00:00-03:00'), SAO_PAULO)).toEqual(
      at('2026-11-04T00:00:00-03:00'),
    );
  });

  it('starts a calendar week on Monday at local midnight', () => {
    const monday = at('2026-03-09T00:00:00-04:00');
    expect(capWindowStart(at('2026-03-11T12:00:00-04:00'), NEW_YORK, 'calendarWeek')).toEqual(monday);
    expect(capWindowStart(at('2026-03-15T23:59:00-04:00'), NEW_YORK, 'calendarWeek')).toEqual(monday);
    expect(capWindowStart(monday, NEW_YORK, 'calendarWeek')).toEqual(monday);
    // Sunday evening of the spring-forward weekend belongs to the week that began in standard time.
    expect(startOfLocalWeek(at('2026-03-08T22:00:00-04:00'), NEW_YORK)).toEqual(
      at('2026-03-02T00:00:00-05:00'),
    );
  });

  it('starts a new week in Sydney while New York is still on Sunday', () => {
    const instantMondayInSydney = at('2026-03-16T01:00:00+11:00');
    expect(capWindowStart(instantMondayInSydney, SYDNEY, 'calendarWeek')).toEqual(
      at('2026-03-16T00:00:00+11:00'),
    );
    expect(capWindowStart(instantMondayInSydney, NEW_YORK, 'calendarWeek')).toEqual(
      at('2026-03-09T00:00:00-04:00'),
    );
  });

  it('reaches back the duration for a rolling window', () => {
    expect(capWindowStart(instant, NEW_YORK, { rolling: '7d' })).toEqual(at('2026-06-08T03:00:00Z'));
    expect(capWindowStart(instant, KOLKATA, { rolling: '24h' })).toEqual(at('2026-06-14T03:00:00Z'));
  });

  it('keeps send records for the longest window, calendar windows at their upper bound', () => {
    expect(longestWindowSeconds([])).toBe(0);
    expect(longestWindowSeconds(['calendarDay'])).toBe(25 * 3600);
    expect(longestWindowSeconds(['calendarWeek', { rolling: '24h' }])).toBe(8 * 86_400);
    expect(longestWindowSeconds(['calendarDay', 'calendarWeek', { rolling: '2w' }])).toBe(14 * 86_400);
  });
});

describe('wait until a local window', () => {
  const weekdays: LocalWindow = { start: '09:00', end: '17:00', days: ['mon', 'tue', 'wed', 'thu', 'fri'] };

  it('waits from Saturday to Monday for a weekday window, across the DST change', () => {
    expect(nextLocalWindowOpening(at('2026-03-07T10:00:00-05:00'), NEW_YORK, weekdays)).toEqual(
      at('2026-03-09T09:00:00-04:00'),
    );
  });

  it('does not wait while the window is open, and waits after it closes', () => {
    const friday = at('2026-03-06T16:59:00-05:00');
    expect(nextLocalWindowOpening(friday, NEW_YORK, weekdays)).toEqual(friday);
    expect(nextLocalWindowOpening(at('2026-03-06T17:00:00-05:00'), NEW_YORK, weekdays)).toEqual(
      at('2026-03-09T09:00:00-04:00'),
    );
    expect(nextLocalWindowOpening(at('2026-03-06T08:00:00-05:00'), NEW_YORK, weekdays)).toEqual(
      at('2026-03-06T09:00:00-05:00'),
    );
  });

  it('opens every day without days', () => {
    expect(
      nextLocalWindowOpening(at('2026-03-07T18:00:00Z'), LONDON, { start: '09:00', end: '17:00' }),
    ).toEqual(at('2026-03-08T09:00:00Z'));
  });

  it('keeps an overnight window open past midnight when the day it opened is allowed', () => {
    const fridayNights: LocalWindow = { start: '20:00', end: '02:00', days: ['fri'] };
    const saturdayEarly = at('2026-06-13T01:00:00+05:30');
    expect(nextLocalWindowOpening(saturdayEarly, KOLKATA, fridayNights)).toEqual(saturdayEarly);
    expect(nextLocalWindowOpening(at('2026-06-13T21:00:00+05:30'), KOLKATA, fridayNights)).toEqual(
      at('2026-06-19T20:00:00+05:30'),
    );
    // Thursday 01:00 is inside 20:00-02:00 by the clock, but that window opened on Wednesday.
    expect(nextLocalWindowOpening(at('2026-06-11T01:00:00+05:30'), KOLKATA, fridayNights)).toEqual(
      at('2026-06-12T20:00:00+05:30'),
    );
  });

  it('opens a window that starts at a skipped 02:30 when the clock jumps to 03:00', () => {
    const earlyMorning = { start: '02:30', end: '05:00' };
    expect(nextLocalWindowOpening(at('2026-03-08T01:00:00-05:00'), NEW_YORK, earlyMorning)).toEqual(
      at('2026-03-08T03:00:00-04:00'),
    );
  });
});

describe('wait until the preferred hour', () => {
  const busiestAt18 = Array.from({ length: 24 }, (_, hour) => (hour === 18 ? 9 : hour === 7 ? 4 : 0));

  it('picks the busiest local hour, later today when it is still ahead', () => {
    expect(
      preferredHourInstant(at('2026-06-15T10:00:00-03:00'), SAO_PAULO, busiestAt18, '10:00', 'sameOrNext'),
    ).toEqual(at('2026-06-15T18:00:00-03:00'));
  });

  it('moves to tomorrow when the hour has passed', () => {
    expect(
      preferredHourInstant(at('2026-06-15T19:00:00-03:00'), SAO_PAULO, busiestAt18, '10:00', 'sameOrNext'),
    ).toEqual(at('2026-06-16T18:00:00-03:00'));
  });

  it("honours 'next': never today, even when the hour is still ahead", () => {
    expect(
      preferredHourInstant(at('2026-06-15T10:00:00-03:00'), SAO_PAULO, busiestAt18, '10:00', 'next'),
    ).toEqual(at('2026-06-16T18:00:00-03:00'));
    expect(
      preferredHourInstant(at('2026-06-15T23:30:00+05:30'), KOLKATA, busiestAt18, '10:00', 'next'),
    ).toEqual(at('2026-06-16T18:00:00+05:30'));
  });

  it('takes the earliest of tied hours', () => {
    const tied = Array.from({ length: 24 }, (_, hour) => (hour === 9 || hour === 20 ? 5 : 1));
    expect(
      preferredHourInstant(at('2026-06-15T06:00:00+01:00'), LONDON, tied, '10:00', 'sameOrNext'),
    ).toEqual(at('2026-06-15T09:00:00+01:00'));
  });

  it('falls back without engagement history', () => {
    const now = at('2026-06-15T06:00:00+01:00');
    const expected = at('2026-06-15T10:30:00+01:00');
    expect(preferredHourInstant(now, LONDON, undefined, '10:30', 'sameOrNext')).toEqual(expected);
    expect(preferredHourInstant(now, LONDON, new Array<number>(24).fill(0), '10:30', 'sameOrNext')).toEqual(
      expected,
    );
  });

  it('keeps the local hour across fall-back', () => {
    expect(
      preferredHourInstant(at('2026-10-31T19:00:00-04:00'), NEW_YORK, busiestAt18, '10:00', 'sameOrNext'),
    ).toEqual(at('2026-11-01T18:00:00-05:00'));
    expect(
      preferredHourInstant(at('2026-04-04T19:00:00+11:00'), SYDNEY, busiestAt18, '10:00', 'next'),
    ).toEqual(at('2026-04-05T18:00:00+10:00'));
  });

  it('sends a 02:30 fallback at 03:30 on the spring-forward day', () => {
    expect(
      preferredHourInstant(at('2026-03-08T00:00:00-05:00'), NEW_YORK, undefined, '02:30', 'sameOrNext'),
    ).toEqual(at('2026-03-08T03:30:00-04:00'));
  });
});

describe('round trips between instants and wall-clock times', () => {
  const zones = [
    NEW_YORK,
    LONDON,
    SAO_PAULO,
    KOLKATA,
    SYDNEY,
    CHATHAM,
    'America/Santiago',
    'Australia/Lord_Howe',
  ];
  const zone = fc.constantFrom(...zones);
  const MINUTE_MS = 60_000;
  const HOUR_MS = 3_600_000;
  // Whole minutes, since zonedTimeToInstant takes hours and minutes; 2000-2040 covers real offsets, not LMT.
  const instant = fc
    .integer({ min: Date.UTC(2000, 0, 1) / MINUTE_MS, max: Date.UTC(2040, 0, 1) / MINUTE_MS })
    .map((minutes) => new Date(minutes * MINUTE_MS));
  const localDateTime = fc.record({
    year: fc.integer({ min: 2000, max: 2039 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
  });

  const wallClockMs = (local: LocalDateTime): number =>
    Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);

  const wallClock = (instantShown: Date, timeZone: string): LocalDateTime => {
    const { year, month, day, hour, minute } = localParts(instantShown, timeZone);
    return { year, month, day, hour, minute };
  };

  it('finds the instant again, or an earlier one showing the same time in a fall-back hour', () => {
    fc.assert(
      fc.property(instant, zone, (original, timeZone) => {
        const roundTrip = zonedTimeToInstant(wallClock(original, timeZone), timeZone);
        if (roundTrip.getTime() === original.getTime()) return;
        expect(roundTrip.getTime()).toBeLessThan(original.getTime());
        expect(original.getTime() - roundTrip.getTime()).toBeLessThanOrEqual(HOUR_MS);
        expect(wallClock(roundTrip, timeZone)).toEqual(wallClock(original, timeZone));
      }),
      // The second 01:30 of New York's and Sydney's fall-back nights.
      {
        examples: [
          [at('2026-11-01T01:30:00-05:00'), NEW_YORK],
          [at('2026-04-05T02:30:00+10:00'), SYDNEY],
        ],
      },
    );
  });

  it('shows the wall-clock time it was asked for, unless the clock skipped it', () => {
    fc.assert(
      fc.property(localDateTime, zone, (wanted, timeZone) => {
        const found = zonedTimeToInstant(wanted, timeZone);
        const shown = wallClock(found, timeZone);
        if (JSON.stringify(shown) === JSON.stringify(wanted)) return;
        // Skipped: no minute in the hours around shows it, and the clock shows a later time.
        for (let minutes = -180; minutes <= 180; minutes += 1) {
          expect(wallClock(new Date(found.getTime() + minutes * MINUTE_MS), timeZone)).not.toEqual(wanted);
        }
        const movedForwardMs = wallClockMs(shown) - wallClockMs(wanted);
        expect(movedForwardMs).toBeGreaterThan(0);
        expect(movedForwardMs).toBeLessThanOrEqual(HOUR_MS);
      }),
      {
        examples: [
          [{ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, NEW_YORK],
          [{ year: 2026, month: 3, day: 29, hour: 1, minute: 0 }, LONDON],
          [{ year: 2026, month: 9, day: 6, hour: 0, minute: 15 }, 'America/Santiago'],
          [{ year: 2026, month: 10, day: 4, hour: 2, minute: 15 }, 'Australia/Lord_Howe'],
        ],
      },
    );
  });
});
