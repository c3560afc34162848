/** settings.json: the global delivery rules for every journey. */
import * as z from 'zod';
import { type Channel, timeZoneSchema } from '../customer/profile.ts';
import {
  customFunctionSchema,
  targetNameSchema,
  trackingSchema,
  webhookEndpointSchema,
  whatsappSenderSchema,
} from './channel-settings.ts';
import { capRuleSchema, localTimeSchema, sendRateSchema } from './schema-basics.ts';

export const sendRatesSchema = z
  .strictObject({
    email: sendRateSchema.optional(),
    sms: sendRateSchema.optional(),
    push: sendRateSchema.optional(),
    whatsapp: sendRateSchema.optional(),
    webhook: sendRateSchema.optional(),
    function: sendRateSchema.optional(),
  })
  .meta({
    description:
      "Messages a second per channel, account-wide across every journey: your SES maximum send rate, your SMS numbers' throughput. Omitted: no limit.",
  });

export const quietHoursSchema = z.strictObject({ start: localTimeSchema, end: localTimeSchema });

export const settingsSchema = z
  .strictObject({
    $schema: z.string().optional(),
    timeZone: timeZoneSchema.meta({ description: 'Used when a customer has no time zone.' }),
    caps: z.array(capRuleSchema).default([]),
    sendRates: sendRatesSchema.default({}),
    quietHours: z
      .strictObject({
        email: quietHoursSchema.nullable().default(null),
        sms: quietHoursSchema.nullable().default({ start: '21:00', end: '08:00' }),
        push: quietHoursSchema.nullable().default(null),
        whatsapp: quietHoursSchema.nullable().optional(),
        webhook: quietHoursSchema.nullable().optional(),
        function: quietHoursSchema.nullable().optional(),
      })
      .prefault({})
      .meta({
        description:
          'Local times when marketing messages wait; null for none. SMS defaults to 21:00-08:00. webhook and function apply to steps that reach the customer.',
      }),
    senders: z.strictObject({
      email: z.strictObject({
        from: z
          .string()
          .min(3)
          .meta({ description: 'e.g. "Acme <hello@acme.example>", an SES verified identity.' }),
        replyTo: z.email().optional(),
        configurationSet: z.string().min(1).optional(),
      }),
      sms: z
        .strictObject({
          originationNumber: z
            .string()
            .regex(/^\+[1-9]\d{6,14}$/)
            .optional(),
          senderId: z
            .string()
            .regex(/^[A-Za-z0-9]{1,11}$/)
            .optional(),
        })
        .default({}),
      whatsapp: whatsappSenderSchema.optional(),
    }),
    webhooks: z
      .record(targetNameSchema, webhookEndpointSchema)
      .default({})
      .meta({ description: 'Named webhook endpoints that send steps with channel "webhook" call.' }),
    functions: z
      .record(targetNameSchema, customFunctionSchema)
      .default({})
      .meta({ description: 'Named Lambda functions that send steps with channel "function" invoke.' }),
    tracking: trackingSchema.prefault({}),
    unsubscribe: z.strictObject({
      baseUrl: z.url().meta({ description: 'Where one-click unsubscribe links point.' }),
    }),
    preferredHour: z
      .strictObject({ fallback: localTimeSchema.default('10:00') })
      .default({ fallback: '10:00' }),
  })
  .meta({ title: 'Waymark settings', description: 'Global delivery rules for every journey.' });
export type Settings = z.infer<typeof settingsSchema>;

/** A channel's quiet hours; none when the settings do not name the channel. */
export function quietHoursOf(settings: Settings, channel: Channel): z.infer<typeof quietHoursSchema> | null {
  return settings.quietHours[channel] ?? null;
}
