/**
 * What End User Messaging reports after an SMS or a WhatsApp message, on one
 * machine: the stand-ins deliver every message they accept, so each send is
 * followed by a "delivered" status on the bus, in the service's own event
 * shape, for the same preferences function to record as on AWS.
 */
import * as z from 'zod';
import type { EventEnvelope } from '../../shared/events/catalog.ts';
import { SMS_RECEIPT_DETAIL_TYPE, SMS_SOURCE, WHATSAPP_SOURCE } from '../../shared/events/system-events.ts';
import { localEnvelope } from './envelope.ts';

export interface DeliveryReceipts {
  /**
   * Called with what the deliver function returned: after it, not from inside the send, so the pointer
   * the function leaves for the receipt is there before the receipt is routed.
   */
  afterDelivery(outcome: unknown): Promise<void>;
}

const sentSchema = z.object({
  status: z.literal('sent'),
  channel: z.enum(['sms', 'whatsapp']),
  messageId: z.string().min(1),
});

export function localReceipts(options: {
  now: () => Date;
  publish: (event: EventEnvelope) => Promise<void>;
}): DeliveryReceipts {
  const event = (source: string, detailType: string, detail: Record<string, unknown>): EventEnvelope =>
    localEnvelope({ source, detailType, detail, time: options.now().toISOString() });
  const smsDelivered = (messageId: string): Promise<void> =>
    options.publish(
      event(SMS_SOURCE, SMS_RECEIPT_DETAIL_TYPE, {
        eventType: 'TEXT_DELIVERED',
        eventVersion: '1.0',
        eventTimestamp: options.now().getTime(),
        isFinal: true,
        messageId,
        messageStatus: 'DELIVERED',
        messageStatusDescription: 'Message has been delivered (local stand-in)',
      }),
    );
  const whatsappDelivered = (messageId: string): Promise<void> =>
    options.publish(
      event(WHATSAPP_SOURCE, 'WhatsApp Message Delivered', {
        messageId,
        status: 'delivered',
        eventTimestamp: String(Math.floor(options.now().getTime() / 1000)),
      }),
    );
  return {
    afterDelivery: async (outcome) => {
      const sent = sentSchema.safeParse(outcome);
      if (!sent.success) return;
      // The message is out: a status that cannot be put on the bus must not fail the step.
      const publishing =
        sent.data.channel === 'sms'
          ? smsDelivered(sent.data.messageId)
          : whatsappDelivered(sent.data.messageId);
      await publishing.catch(() => undefined);
    },
  };
}
