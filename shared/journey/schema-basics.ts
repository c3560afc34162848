/**
 * The pieces both journeys and settings.json are made of: durations, local
 * times, caps and send rates. schema.ts re-exports them with the rest of the
 * journey language.
 */
import * as z from 'zod';
import { channelSchema } from '../customer/profile.ts';
import { DURATION_DESCRIPTION, parseDuration } from '../time/duration.ts';
import { LOCAL_TIME_PATTERN } from '../time/local-time.ts';

export const durationSchema = z
  .string()
  .superRefine((text, context) => {
    const parsed = parseDuration(text);
    if (!parsed.ok) {
      context.addIssue({ code: 'custom', message: parsed.message, params: { hint: parsed.hint } });
    }
  })
  .meta({ description: DURATION_DESCRIPTION, examples: ['1h', '23h', '7d'] });

export const localTimeSchema = z
  .string()
  .regex(LOCAL_TIME_PATTERN, { message: 'Expected a time of day as "HH:MM" (24-hour), e.g. "09:00".' })
  .meta({ description: 'A time of day "HH:MM" (24-hour) in the customer\'s time zone.' });

export const capWindowSchema = z
  .union([z.literal('calendarDay'), z.literal('calendarWeek'), z.strictObject({ rolling: durationSchema })])
  .meta({
    description: '"calendarDay" or "calendarWeek" in the customer\'s time zone, or {"rolling": "24h"}.',
  });
export type CapWindow = z.infer<typeof capWindowSchema>;

/** Messages a second: a 10DLC number sends one, a short code a hundred, SES what your account was granted. */
export const sendRateSchema = z
  .number()
  .positive('A send rate is a number of messages a second, above 0')
  .max(100_000, 'At most 100,000 messages a second');

export const capRuleSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,47}$/, { message: 'A cap id is lowercase letters, digits and "-".' }),
  channels: z
    .union([z.literal('any'), z.array(channelSchema).min(1)])
    .meta({ description: '"any" counts every channel together; or a list of channels.' }),
  limit: z.int().min(1).max(1000),
  window: capWindowSchema,
});
export type CapRule = z.infer<typeof capRuleSchema>;
