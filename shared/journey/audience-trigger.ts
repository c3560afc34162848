/**
 * The audience half of a journey's trigger: a segment, once at a local date
 * and time, on a cron, or on entry, in one zone or each customer's. Apart
 * from schema.ts so the language's largest file stays readable; schema.ts
 * re-exports all of it.
 */
import * as z from 'zod';
import { timeZoneSchema } from '../customer/profile.ts';

export const segmentIdSchema = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, {
  message:
    'A segment id is lowercase letters, digits and "-", starting with a letter (the file name, e.g. "gold").',
});

/** A wall-clock date and time without a zone: the zone is the trigger's, or each customer's. */
export const localDateTimeSchema = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$/, {
    message: 'Expected a local date and time such as "2026-12-10T10:00" (no seconds, no zone).',
  })
  .refine(isCalendarDate, {
    message: 'There is no such day: the month is shorter (for example 30 February).',
  });

/** 2027-02-30 matches the pattern but is no day: the date must survive a trip through the calendar. */
function isCalendarDate(text: string): boolean {
  // Text that is no date at all is the pattern's to report.
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return true;
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  if (year === undefined || month === undefined || day === undefined) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export const CUSTOMER_ZONE = 'customer';

export const audienceZoneSchema = z.union([z.literal(CUSTOMER_ZONE), timeZoneSchema]).meta({
  description: '"customer": each customer\'s own time zone (else the settings\' zone); or an IANA zone.',
});

export const audienceTriggerSchema = z
  .strictObject({
    segment: segmentIdSchema.meta({ description: 'The segment file journeys/segments/<id>.json.' }),
    at: localDateTimeSchema.optional().meta({
      description: "A one-off broadcast: the segment's members enter at this local date and time.",
    }),
    cron: z.string().min(1).max(100).optional().meta({
      description: 'A recurring broadcast: minute hour day-of-month month day-of-week, e.g. "0 10 * * MON".',
    }),
    on: z.literal('enter').optional().meta({
      description: 'Customers enter the journey when a profile update or an event makes them members.',
    }),
    timeZone: audienceZoneSchema.optional(),
  })
  .superRefine((trigger, context) => {
    const kinds = (['at', 'cron', 'on'] as const).filter((key) => trigger[key] !== undefined);
    if (kinds.length !== 1) {
      context.addIssue({
        code: 'custom',
        message: `A segment trigger takes exactly one of "at" (a one-off broadcast), "cron" (a recurring one) or "on": "enter"; found ${kinds.length === 0 ? 'none' : kinds.join(', ')}.`,
      });
    }
    if (trigger.on !== undefined && trigger.timeZone !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['timeZone'],
        message: 'A segment entry trigger starts when the customer enters: it has no time, so no time zone.',
      });
    }
  })
  .meta({
    description:
      'Start from an audience: a broadcast to a segment, once or on a schedule, or on entering it.',
  });
export type AudienceTrigger = z.infer<typeof audienceTriggerSchema>;
