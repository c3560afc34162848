/**
 * Which events the record function has taken in for a customer, one small
 * item per event id with a TTL. EventBridge redelivers for up to 24 hours and
 * producers retry later still; a list on the profile item would either forget
 * too soon or grow without bound.
 *
 * The item is written when an event is first received, with that time, and
 * marked recorded once the profile and the history have it. Every later
 * delivery of the event (a retry after a crash, a concurrent copy, a dead
 * letter routed again) reads the first receipt time back, so a time that
 * depends on receipt (a clamped clock, an opt-in's cap) is the same each time.
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { epochSeconds, isConditionFailure, type StoreContext } from './context.ts';
import { recordedEventKey, TTL_ATTRIBUTE } from './table.ts';

/** How long an event id is remembered: EventBridge's 24 h of retries, with room for producers' own. */
export const RECORDED_EVENT_MEMORY_DAYS = 7;
const MEMORY_MS = RECORDED_EVENT_MEMORY_DAYS * 86_400_000;

export type Receipt =
  /** Received before and recorded: a redelivery. */
  | { kind: 'recorded' }
  /** First received at `firstReceivedAt`: now, or by an earlier delivery that did not finish. */
  | { kind: 'to-record'; firstReceivedAt: Date };

/**
 * Takes the event in: one conditional put for a new event, and a read only for one seen before. The
 * time is checked here, not left to the TTL: DynamoDB deletes expired items up to days late, and a
 * forgotten id must read as forgotten.
 */
export async function receiveEvent(
  store: StoreContext,
  customerId: string,
  eventId: string,
  now: Date,
): Promise<Receipt> {
  const key = recordedEventKey(customerId, eventId);
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...key,
          firstReceivedAt: now.toISOString(),
          [TTL_ATTRIBUTE]: epochSeconds(new Date(now.getTime() + MEMORY_MS)),
        },
        ConditionExpression: 'attribute_not_exists(sk) OR firstReceivedAt < :forgotten',
        ExpressionAttributeValues: { ':forgotten': new Date(now.getTime() - MEMORY_MS).toISOString() },
      }),
    );
    return { kind: 'to-record', firstReceivedAt: now };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const stored = await store.db.send(
    new GetCommand({ TableName: store.table, Key: key, ConsistentRead: true }),
  );
  if (typeof stored.Item?.recordedAt === 'string') return { kind: 'recorded' };
  const first: unknown = stored.Item?.firstReceivedAt;
  const firstReceivedAt = typeof first === 'string' ? new Date(first) : now;
  return {
    kind: 'to-record',
    firstReceivedAt: Number.isNaN(firstReceivedAt.getTime()) ? now : firstReceivedAt,
  };
}

/** Written last, once the profile and the history have the event: a crash before it means a retry redoes both. */
export async function markRecorded(
  store: StoreContext,
  customerId: string,
  eventId: string,
  now: Date,
): Promise<void> {
  await store.db.send(
    new UpdateCommand({
      TableName: store.table,
      Key: recordedEventKey(customerId, eventId),
      UpdateExpression: 'SET recordedAt = :now',
      ExpressionAttributeValues: { ':now': now.toISOString() },
    }),
  );
}
