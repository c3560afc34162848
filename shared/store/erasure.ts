/**
 * The storage side of erasure: every item under a customer's partition,
 * and the executions their journey memberships hold open.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BatchWriteCommand, type BatchWriteCommandInput, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { queryAll, type StoreContext } from './context.ts';
import { membershipsOfCustomerItem } from './journeys.ts';
import { customerKey, profileKey, SORT } from './table.ts';

/** `other`: items under the customer's partition this code does not know (written by a newer version). */
export type ErasedKind =
  'profile' | 'history' | 'journeys' | 'entries' | 'goals' | 'recordedEvents' | 'waits' | 'other';
export type ErasedCounts = Record<ErasedKind, number>;

/** BatchWriteItem takes at most 25 requests. */
const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 10;

const storedKeySchema = z.object({ pk: z.string(), sk: z.string() });
const membershipItemSchema = z.object({ active: z.set(z.string()).optional() });

/** Deletes every item under the customer's partition; counts what it deleted by kind. */
export async function deleteCustomerPartition(
  store: StoreContext,
  customerId: string,
): Promise<ErasedCounts> {
  const deleted: ErasedCounts = {
    profile: 0,
    history: 0,
    journeys: 0,
    entries: 0,
    goals: 0,
    recordedEvents: 0,
    waits: 0,
    other: 0,
  };
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': customerKey(customerId) },
    ProjectionExpression: 'pk, sk',
  });
  const keys = items.flatMap((item) => {
    const key = storedKeySchema.safeParse(item);
    return key.success ? [key.data] : [];
  });
  await deleteItems(store, keys);
  for (const key of keys) deleted[itemKind(key.sk)] += 1;
  return deleted;
}

/**
 * Every execution the customer's places in journeys hold open: on the customer item (`J#<journey>#active`),
 * and in the membership items (`J#<journey>`) that versions before places moved there wrote.
 */
export async function activeExecutionIds(store: StoreContext, customerId: string): Promise<string[]> {
  const [customer, items] = await Promise.all([
    store.db.send(
      new GetCommand({ TableName: store.table, Key: profileKey(customerId), ConsistentRead: true }),
    ),
    queryAll(store, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :journey)',
      ExpressionAttributeValues: { ':pk': customerKey(customerId), ':journey': SORT.journeyPrefix },
      ConsistentRead: true,
    }),
  ]);
  const onCustomer = [...membershipsOfCustomerItem(customer.Item ?? {}).values()].flatMap(
    (membership) => membership.active,
  );
  const onItems = items.flatMap((item) => {
    const membership = membershipItemSchema.safeParse(item);
    return membership.success ? [...(membership.data.active ?? [])] : [];
  });
  return [...new Set([...onCustomer, ...onItems])];
}

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

async function deleteItems(store: StoreContext, keys: readonly { pk: string; sk: string }[]): Promise<void> {
  for (let start = 0; start < keys.length; start += BATCH_SIZE) {
    let requests: WriteRequests = keys
      .slice(start, start + BATCH_SIZE)
      .map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; requests.length > 0; attempt += 1) {
      if (attempt > MAX_BATCH_ATTEMPTS) {
        throw new Error(
          `DynamoDB left deletes unprocessed after ${MAX_BATCH_ATTEMPTS} attempts; run the erasure again.`,
        );
      }
      const result = await store.db.send(
        new BatchWriteCommand({ RequestItems: { [store.table]: requests } }),
      );
      requests = result.UnprocessedItems?.[store.table] ?? [];
      // Unprocessed items mean the table is throttling: back off before asking again.
      if (requests.length > 0) await sleep(50 * 2 ** attempt);
    }
  }
}

function itemKind(sortKey: string): keyof ErasedCounts {
  if (sortKey === SORT.profile) return 'profile';
  if (sortKey.startsWith(SORT.historyPrefix)) return 'history';
  if (sortKey.startsWith(SORT.journeyPrefix)) return 'journeys';
  if (sortKey.startsWith(SORT.entryPrefix)) return 'entries';
  // A high-volume run's park is its wait.
  if (sortKey.startsWith(SORT.waitPrefix) || sortKey.startsWith(SORT.parkPrefix)) return 'waits';
  if (sortKey.startsWith(SORT.goalPrefix)) return 'goals';
  if (sortKey.startsWith(SORT.recordedPrefix)) return 'recordedEvents';
  return 'other';
}
