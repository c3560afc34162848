/**
 * Which events the record function has already applied to a customer, one
 * small item per event id with a TTL. EventBridge redelivers for up to 24
 * hours and producers retry later still; a list on the profile item would
 * either forget too soon or grow without bound.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, type StoreContext } from './context.ts';
import { recordedEventKey, TTL_ATTRIBUTE } from './table.ts';

/** How long an event id is remembered: EventBridge's 24 h of retries, with room for producers' own. */
export const RECORDED_EVENT_MEMORY_DAYS = 7;
const MEMORY_MS = RECORDED_EVENT_MEMORY_DAYS * 86_400_000;

/**
 * Whether this event was recorded within the memory. The time is checked here, not left to the
 * TTL: DynamoDB deletes expired items up to days late, and a forgotten id must read as forgotten.
 */
export async function wasRecorded(
  store: StoreContext,
  customerId: string,
  eventId: string,
  now: Date,
): Promise<boolean> {
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: recordedEventKey(customerId, eventId),
      ConsistentRead: true,
    }),
  );
  const recordedAt: unknown = result.Item?.recordedAt;
  return typeof recordedAt === 'string' && Date.parse(recordedAt) > now.getTime() - MEMORY_MS;
}

/** Written last, once the profile and the history have the event: a crash before it means a retry redoes both. */
export async function markRecorded(
  store: StoreContext,
  customerId: string,
  eventId: string,
  now: Date,
): Promise<void> {
  await store.db.send(
    new PutCommand({
      TableName: store.table,
      Item: {
        ...recordedEventKey(customerId, eventId),
        recordedAt: now.toISOString(),
        [TTL_ATTRIBUTE]: epochSeconds(new Date(now.getTime() + MEMORY_MS)),
      },
    }),
  );
}
