/**
 * SMS and WhatsApp delivery statuses from End User Messaging (on the default
 * bus), written to the customer's history as engagement: delivered, read
 * (opened), or not delivered (bounced). They name only the provider's message
 * id: the pointer the deliver function left finds the customer and the step.
 */
import * as z from 'zod';
import type { HistoryEntryOf } from '../customer/history.ts';
import type { Channel } from '../customer/profile.ts';
import type { EngagementAction } from '../journey/engagement-condition.ts';
import {
  SMS_RECEIPT_DETAIL_TYPE,
  SMS_SOURCE,
  WHATSAPP_RECEIPT_DETAIL_TYPES,
  WHATSAPP_SOURCE,
} from '../events/system-events.ts';
import { appendHistory } from '../store/history.ts';
import { readMessagePointer } from '../store/message-pointers.ts';
import { hasProfile } from '../store/customers.ts';
import type { Runtime } from './runtime.ts';

const envelope = { id: z.string().min(1), time: z.iso.datetime({ offset: true }) };

const receiptSchema = z.discriminatedUnion('source', [
  z.object({
    ...envelope,
    source: z.literal(WHATSAPP_SOURCE),
    'detail-type': z.enum(WHATSAPP_RECEIPT_DETAIL_TYPES),
    detail: z.object({ messageId: z.string().min(1) }),
  }),
  z.object({
    ...envelope,
    source: z.literal(SMS_SOURCE),
    'detail-type': z.literal(SMS_RECEIPT_DETAIL_TYPE),
    detail: z.object({
      messageId: z.string().min(1),
      eventType: z.string().min(1),
      isFinal: z.boolean().optional(),
    }),
  }),
]);
type Receipt = z.infer<typeof receiptSchema>;

export type ReceiptOutcome =
  | { status: 'recorded'; channel: Channel; action: EngagementAction; journeyId: string; stepId: string }
  | { status: 'duplicate'; action: EngagementAction }
  /** A status that says nothing yet (queued, pending), or about a message Waymark did not send. */
  | { status: 'ignored'; reason: string };

/** SMS statuses on the way, not at the end: nothing to record yet. */
const SMS_IN_FLIGHT = new Set(['TEXT_QUEUED', 'TEXT_PENDING', 'TEXT_SENT']);
const SMS_DELIVERED = new Set(['TEXT_DELIVERED', 'TEXT_SUCCESSFUL']);

function meaning(
  receipt: Receipt,
): { channel: Channel; action: EngagementAction; detail?: string } | undefined {
  switch (receipt.source) {
    case WHATSAPP_SOURCE:
      switch (receipt['detail-type']) {
        case 'WhatsApp Message Delivered':
          return { channel: 'whatsapp', action: 'delivered' };
        case 'WhatsApp Message Read':
          return { channel: 'whatsapp', action: 'opened' };
        case 'WhatsApp Message Failed':
        case 'WhatsApp Message Undeliverable':
          return { channel: 'whatsapp', action: 'bounced', detail: receipt['detail-type'] };
        default: {
          const unreachable: never = receipt['detail-type'];
          throw new Error(`Unknown WhatsApp status ${String(unreachable)}`);
        }
      }
    case SMS_SOURCE: {
      const type = receipt.detail.eventType;
      if (SMS_DELIVERED.has(type)) return { channel: 'sms', action: 'delivered' };
      if (SMS_IN_FLIGHT.has(type) || receipt.detail.isFinal === false) return undefined;
      return { channel: 'sms', action: 'bounced', detail: type.slice(0, 64) };
    }
    default: {
      const unreachable: never = receipt;
      throw new Error(`Unknown receipt ${JSON.stringify(unreachable)}`);
    }
  }
}

export async function recordReceipt(runtime: Runtime, event: unknown): Promise<ReceiptOutcome> {
  const parsed = receiptSchema.safeParse(event);
  if (!parsed.success) {
    return {
      status: 'ignored',
      reason: `Not an SMS or WhatsApp status event: ${z.prettifyError(parsed.error)}`,
    };
  }
  const receipt = parsed.data;
  const what = meaning(receipt);
  if (what === undefined) return { status: 'ignored', reason: 'A status on the way, not a final one.' };
  const pointer = await readMessagePointer(runtime.store, what.channel, receipt.detail.messageId);
  if (pointer === undefined) {
    return { status: 'ignored', reason: 'No message of a journey has this id (another sender, or expired).' };
  }
  if (!(await hasProfile(runtime.store, pointer.customerId))) {
    return { status: 'ignored', reason: 'The customer was erased after the message was sent.' };
  }
  const entry: HistoryEntryOf<'engagement'> = {
    kind: 'engagement',
    time: receipt.time,
    journeyId: pointer.journeyId,
    stepId: pointer.stepId,
    execution: pointer.execution,
    channel: what.channel,
    action: what.action,
    messageId: pointer.messageId,
    ...(what.detail === undefined ? {} : { detail: what.detail }),
  };
  const written = await appendHistory(
    runtime.store,
    pointer.customerId,
    entry,
    `engagement#receipt#${receipt.id}`,
  );
  return written
    ? {
        status: 'recorded',
        channel: what.channel,
        action: what.action,
        journeyId: pointer.journeyId,
        stepId: pointer.stepId,
      }
    : { status: 'duplicate', action: what.action };
}
