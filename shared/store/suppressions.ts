/**
 * Addresses that must not be emailed, kept by hash outside any customer's
 * partition: a bounce or complaint outlives an erasure and follows the
 * address to whichever profile gives it next.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { StoreContext } from './context.ts';
import { suppressionKey } from './table.ts';
import type { SuppressionRecord } from './customers.ts';

const storedSchema = z.object({ kind: z.enum(['bounce', 'complaint']), time: z.string() });

export async function writeAddressSuppression(store: StoreContext, record: SuppressionRecord): Promise<void> {
  await store.db.send(
    new PutCommand({
      TableName: store.table,
      Item: { ...suppressionKey(record.addressHash), channel: 'email', kind: record.kind, time: record.time },
    }),
  );
}

export async function readAddressSuppression(
  store: StoreContext,
  addressHash: string,
): Promise<SuppressionRecord | undefined> {
  const result = await store.db.send(
    new GetCommand({ TableName: store.table, Key: suppressionKey(addressHash) }),
  );
  const parsed = storedSchema.safeParse(result.Item);
  return parsed.success ? { addressHash, ...parsed.data } : undefined;
}
