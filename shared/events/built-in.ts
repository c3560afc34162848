/**
 * The one event the runtime itself defines: a profile update. Record merges
 * it field by field (shared/customer/profile-update.ts), so its shape is the
 * runtime's contract rather than a team's choice; it is documented like the
 * event files (docs/events.md), and an event file cannot redefine it.
 */
import * as z from 'zod';
import {
  attributesSchema,
  consentStatusSchema,
  contactFields,
  customerIdSchema,
  tagSchema,
} from '../customer/profile.ts';
import type { DetailProblem, EventDefinition } from './catalog.ts';

export const PROFILE_UPDATED = 'customer.profile.updated';

export const profileUpdateSchema = z.object({
  customerId: customerIdSchema,
  ...contactFields,
  // No defaults here, unlike the stored profile: a missing channel means "leave it as it is".
  consent: z
    .object({
      email: consentStatusSchema.optional(),
      sms: consentStatusSchema.optional(),
      push: consentStatusSchema.optional(),
      whatsapp: consentStatusSchema.optional(),
      webhook: consentStatusSchema.optional(),
      function: consentStatusSchema.optional(),
    })
    .optional(),
  attributes: attributesSchema.optional(),
  tags: z
    .object({
      add: z.array(tagSchema).optional(),
      remove: z.array(tagSchema).optional(),
    })
    .optional(),
});
export type ProfileUpdate = z.infer<typeof profileUpdateSchema>;

export function toDetailProblem(issue: z.core.$ZodIssue): DetailProblem {
  return {
    path: issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key)),
    message: issue.message,
  };
}

/** A built-in event's reader: its zod schema, with each issue as a detail problem. */
export function readWith(schema: z.ZodType<Record<string, unknown>>): EventDefinition['read'] {
  return (detail) => {
    const result = schema.safeParse(detail);
    return result.success
      ? { ok: true, detail: { ...result.data } }
      : { ok: false, problems: result.error.issues.map(toDetailProblem) };
  };
}

const example: ProfileUpdate = {
  customerId: 'cust-1001',
  locale: 'pt-BR',
  consent: { sms: 'opted-in' },
  attributes: { loyaltyTier: 'gold', supportTone: 'warm' },
  tags: { add: ['vip'], remove: ['trial'] },
};

export const profileUpdateEvent: EventDefinition = {
  detailType: PROFILE_UPDATED,
  description:
    'A customer system changed part of a profile. Only the fields present change; attributes are merged key by key and tags are added or removed.',
  source: undefined,
  customerIdPath: ['customerId'],
  engagement: false,
  schema: z.toJSONSchema(profileUpdateSchema, { io: 'input', unrepresentable: 'any' }),
  examples: [example],
  origin: { kind: 'built-in' },
  read: readWith(profileUpdateSchema),
};
