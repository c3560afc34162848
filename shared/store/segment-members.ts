/**
 * Which entry segments a customer is in, so an entry journey starts once per
 * membership: when the customer comes in, not on every later update while
 * they stay in. Leaving clears the marker, so a later return enters again.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, type StoreContext } from './context.ts';
import { segmentMemberKey } from './table.ts';

/** True when the customer was not a member before, or `byEventId` is what let them in: this call may announce it. */
export async function enterSegment(
  store: StoreContext,
  customerId: string,
  segmentId: string,
  at: Date,
  byEventId: string,
  entryId: string,
): Promise<boolean> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...segmentMemberKey(customerId, segmentId), since: at.toISOString(), byEventId, entryId },
        // The same cause again (a retried delivery of the event) may finish what it began.
        ConditionExpression: 'attribute_not_exists(pk) OR byEventId = :cause',
        ExpressionAttributeValues: { ':cause': byEventId },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function leaveSegment(
  store: StoreContext,
  customerId: string,
  segmentId: string,
): Promise<void> {
  await store.db.send(
    new DeleteCommand({ TableName: store.table, Key: segmentMemberKey(customerId, segmentId) }),
  );
}

/**
 * Whether `entryId` is the customer's current entry into the segment, as the record function wrote it:
 * an entry event anyone else put on the bus names no entry that exists, and starts nothing.
 */
export async function isCurrentEntry(
  store: StoreContext,
  customerId: string,
  segmentId: string,
  entryId: string,
): Promise<boolean> {
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: segmentMemberKey(customerId, segmentId),
      ConsistentRead: true,
    }),
  );
  return result.Item?.entryId === entryId;
}
