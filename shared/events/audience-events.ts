/**
 * The two events the audience runtime itself makes: a broadcast's member
 * entering (never on the bus: the broadcast starts the execution with it)
 * and a customer entering a segment (on the bus, where a journey's entry rule
 * and the customer's history take it). Like the profile update, their shape
 * is the runtime's contract, and an event file cannot redefine them.
 */
import * as z from 'zod';
import { customerIdSchema } from '../customer/profile.ts';
import type { EventDefinition } from './catalog.ts';
import { readWith } from './built-in.ts';

export const AUDIENCE_SOURCE = 'waymark.audience';
export const BROADCAST_MEMBER = 'waymark.audience.broadcast';
export const SEGMENT_ENTERED = 'waymark.segment.entered';

export const broadcastMemberSchema = z.object({
  customerId: customerIdSchema,
  segment: z.string().min(1),
  journeyId: z.string().min(1),
  /** The run: the local date and time it was scheduled for, e.g. "2026-12-10T10:00". */
  run: z.string().min(1),
  /** The instant this member was due, in their zone or the trigger's. */
  scheduledFor: z.string().min(1),
});
export type BroadcastMember = z.infer<typeof broadcastMemberSchema>;

export const segmentEnteredSchema = z.object({
  customerId: customerIdSchema,
  segment: z.string().min(1),
  /** The same for every copy of one entry (EventBridge gives each PutEvents a new event id). */
  entryId: z.string().min(1),
});
export type SegmentEntered = z.infer<typeof segmentEnteredSchema>;

function definition(
  detailType: string,
  description: string,
  schema: z.ZodObject,
  example: Record<string, unknown>,
): EventDefinition {
  return {
    detailType,
    description,
    source: AUDIENCE_SOURCE,
    customerIdPath: ['customerId'],
    engagement: false,
    schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }),
    examples: [example],
    origin: { kind: 'built-in' },
    read: readWith(schema),
  };
}

export const AUDIENCE_EVENTS: readonly EventDefinition[] = [
  definition(
    BROADCAST_MEMBER,
    "A member of a broadcast's segment, due now: starts the broadcast journey for that customer, once per run.",
    broadcastMemberSchema,
    {
      customerId: 'cust-1001',
      segment: 'newsletter',
      journeyId: 'weekly-newsletter',
      run: '2026-12-10T10:00',
      scheduledFor: '2026-12-10T13:00:00.000Z',
    },
  ),
  definition(
    SEGMENT_ENTERED,
    'A profile update or an event made the customer a member of a segment they were not in.',
    segmentEnteredSchema,
    { customerId: 'cust-1001', segment: 'gold', entryId: '5f1c0d2e9a8b7c6d5e4f3a2b1c0d9e8f7a6b' },
  ),
];
