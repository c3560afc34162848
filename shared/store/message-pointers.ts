/**
 * Message pointers: a provider's message id to the customer, journey step and
 * execution that sent it. SMS and WhatsApp receipts name only the message id;
 * the pointer lets them land in the right history. It holds no contact detail
 * and expires once late receipts can no longer come (carriers: up to 72 h).
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { channelSchema, type Channel } from '../customer/profile.ts';
import { epochSeconds, type StoreContext } from './context.ts';
import { messagePointerKey, TTL_ATTRIBUTE } from './table.ts';

export const MESSAGE_POINTER_DAYS = 7;

export const messagePointerSchema = z.object({
  channel: channelSchema,
  messageId: z.string().min(1),
  customerId: z.string().min(1),
  journeyId: z.string().min(1),
  stepId: z.string().min(1),
  /** `executionTag` of the execution that sent it. */
  execution: z.string().min(1),
  sentAt: z.string(),
});
export type MessagePointer = z.infer<typeof messagePointerSchema>;

export async function writeMessagePointer(store: StoreContext, pointer: MessagePointer): Promise<void> {
  const expires = new Date(Date.parse(pointer.sentAt) + MESSAGE_POINTER_DAYS * 86_400_000);
  await store.db.send(
    new PutCommand({
      TableName: store.table,
      Item: {
        ...messagePointerKey(pointer.channel, pointer.messageId),
        ...pointer,
        [TTL_ATTRIBUTE]: epochSeconds(expires),
      },
    }),
  );
}

export async function readMessagePointer(
  store: StoreContext,
  channel: Channel,
  messageId: string,
): Promise<MessagePointer | undefined> {
  const result = await store.db.send(
    new GetCommand({ TableName: store.table, Key: messagePointerKey(channel, messageId) }),
  );
  const parsed = messagePointerSchema.safeParse(result.Item);
  return parsed.success ? parsed.data : undefined;
}
