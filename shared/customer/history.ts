/**
 * One history per customer, shared by every channel: the events their
 * systems sent, each message sent or not sent (with the reason), each journey
 * step taken, and each conversion. The panel's timeline, the branch
 * conditions on history and the attribution of conversions all read this.
 */
import * as z from 'zod';
import { engagementActionSchema } from '../journey/engagement-condition.ts';
import { channelSchema } from './profile.ts';

export const skipStatusSchema = z.enum([
  'capped',
  'deferred',
  'rate-limited',
  'opted-out',
  'no-address',
  'failed',
]);
export type SkipStatus = z.infer<typeof skipStatusSchema>;

export const messageRefSchema = z.object({
  journeyId: z.string(),
  executionId: z.string(),
  stepId: z.string(),
  channel: channelSchema,
  time: z.string(),
});
export type MessageRef = z.infer<typeof messageRefSchema>;

const journeyActionSchema = z.enum([
  'entered',
  'not-entered',
  'completed',
  'failed',
  'exited',
  'stopped',
  'step-failed',
  'profile-updated',
]);

export const historyEntrySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('event'),
    time: z.string(),
    eventId: z.string(),
    detailType: z.string(),
    source: z.string(),
    detail: z.record(z.string(), z.unknown()),
    /** Why the event could not be used (its detail does not match the catalog); kept so nothing is lost. */
    problems: z.array(z.string()).optional(),
    /** The producer's time, when it lay too far in the future and the time of receipt was kept instead. */
    clampedFrom: z.string().optional(),
    /**
     * The journeys whose trigger the event matched: each entered, unless a `not-entered` entry of that
     * journey follows (the event itself is the entry; enter writes nothing more).
     */
    starts: z.array(z.string()).optional(),
  }),
  z.object({
    kind: z.literal('message'),
    time: z.string(),
    journeyId: z.string(),
    executionId: z.string(),
    stepId: z.string(),
    channel: channelSchema,
    category: z.enum(['marketing', 'transactional']),
    messageId: z.string(),
    /** What the customer saw first: the subject, the push title or the start of the SMS. */
    headline: z.string(),
    preview: z.string(),
    /** What a webhook or function answered ("HTTP 202"). */
    response: z.string().optional(),
    /** Who a webhook or function reached: "system" when it fed another system, not the customer. */
    reaches: z.enum(['customer', 'system']).optional(),
    /** The step was the journey's last: the execution completed with it (no entry of its own). */
    completes: z.literal(true).optional(),
  }),
  z.object({
    kind: z.literal('engagement'),
    time: z.string(),
    journeyId: z.string(),
    stepId: z.string(),
    /** `executionTag` of the execution that sent the message (engagement conditions match on it). */
    execution: z.string(),
    channel: channelSchema,
    action: engagementActionSchema,
    /** The provider's id of the message engaged with. */
    messageId: z.string(),
    /** The link clicked (without its query), or a bounce's kind: what the panel shows. */
    detail: z.string().optional(),
  }),
  z.object({
    kind: z.literal('skipped'),
    time: z.string(),
    journeyId: z.string(),
    executionId: z.string(),
    stepId: z.string(),
    status: skipStatusSchema,
    reason: z.string(),
    channel: channelSchema.optional(),
    capId: z.string().optional(),
    resumeAt: z.string().optional(),
    /** The step was the journey's last: the execution completed with it (no entry of its own). */
    completes: z.literal(true).optional(),
  }),
  z.object({
    kind: z.literal('journey'),
    time: z.string(),
    journeyId: z.string(),
    executionId: z.string(),
    action: journeyActionSchema,
    stepId: z.string().optional(),
    reason: z.string().optional(),
    /** The trigger event, on a `not-entered`: which of the events that start the journey it turned away. */
    eventId: z.string().optional(),
    /** On a `not-entered`: the very event the journey took, again (a redelivery), not a new trigger. */
    copy: z.literal(true).optional(),
  }),
  z.object({
    kind: z.literal('conversion'),
    time: z.string(),
    journeyId: z.string(),
    executionId: z.string(),
    eventId: z.string(),
    detailType: z.string(),
    lastTouch: messageRefSchema.nullable(),
    /** Linear multi-touch: each message in the window gets an equal share. */
    linear: z.array(messageRefSchema.extend({ weight: z.number() })),
  }),
  z.object({
    kind: z.literal('preference'),
    time: z.string(),
    action: z.enum(['unsubscribed', 'suppressed', 'consent-changed']),
    channel: channelSchema,
    reason: z.string(),
  }),
]);
export type HistoryEntry = z.infer<typeof historyEntrySchema>;
export type HistoryKind = HistoryEntry['kind'];
export type HistoryEntryOf<K extends HistoryKind> = Extract<HistoryEntry, { kind: K }>;

/** A stored entry this code cannot read (written by a newer version, or damaged) is left out. */
export function parseHistoryEntry(value: unknown): HistoryEntry | undefined {
  const result = historyEntrySchema.safeParse(value);
  return result.success ? result.data : undefined;
}

/**
 * Time order for a timeline, oldest first. Within one instant (a frozen clock makes many) entries
 * follow the order things happen in a journey: the event, entering, steps, messages, the
 * conversion, and last the journey's end. `kind` may also be a host's own ("step").
 */
export function compareTimelineEntries(
  a: { time: string; kind: string; action?: unknown },
  b: { time: string; kind: string; action?: unknown },
): number {
  return Date.parse(a.time) - Date.parse(b.time) || sameInstantRank(a) - sameInstantRank(b);
}

function sameInstantRank(entry: { kind: string; action?: unknown }): number {
  switch (entry.kind) {
    case 'event':
      return 0;
    case 'journey':
      return entry.action === 'entered' || entry.action === 'not-entered' ? 1 : 5;
    case 'step':
      return 2;
    case 'engagement':
      // What the customer did with a message comes after the message, even at one instant.
      return 3.5;
    case 'conversion':
      return 4;
    default:
      return 3;
  }
}
