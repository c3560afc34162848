/**
 * A branch condition on what the customer did with a message this journey
 * sent: delivered, opened, clicked, bounced or complained, within a time.
 */
import * as z from 'zod';
import type { Channel } from '../customer/profile.ts';
import { DURATION_DESCRIPTION, parseDuration } from '../time/duration.ts';

export const ENGAGEMENT_ACTIONS = ['delivered', 'opened', 'clicked', 'bounced', 'complained'] as const;
export const engagementActionSchema = z.enum(ENGAGEMENT_ACTIONS);
export type EngagementAction = z.infer<typeof engagementActionSchema>;

/** Which channels report each action back: a condition on any other can never hold. */
export const CHANNELS_REPORTING: Readonly<Record<EngagementAction, readonly Channel[]>> = {
  delivered: ['email', 'sms', 'whatsapp', 'webhook', 'function'],
  opened: ['email', 'whatsapp'],
  clicked: ['email'],
  bounced: ['email', 'sms', 'whatsapp'],
  complained: ['email'],
};

const withinSchema = z
  .string()
  .superRefine((text, context) => {
    const parsed = parseDuration(text);
    if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message });
  })
  .meta({ description: `How far back to look. ${DURATION_DESCRIPTION}` });

export const engagementConditionSchema = z.strictObject({
  engagement: z.strictObject({
    step: z
      .string()
      .min(1)
      .meta({ description: "A send step of this journey: its message in this customer's journey." }),
    action: engagementActionSchema,
    within: withinSchema,
  }),
});
export type EngagementCondition = z.infer<typeof engagementConditionSchema>;
