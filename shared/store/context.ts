import {
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { isRecord } from '../json.ts';

/** Where the store reads and writes: the client and the one table. */
export interface StoreContext {
  db: DynamoDBDocumentClient;
  table: string;
}

/** DynamoDB's refusal of a condition, which the store turns into a domain answer rather than an error. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

export function epochSeconds(time: Date): number {
  return Math.floor(time.getTime() / 1000);
}

/** Every item a query finds, following DynamoDB's pages (1 MB each). */
export function queryAll(
  store: StoreContext,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  return allPages((startKey) =>
    store.db.send(new QueryCommand({ ...input, TableName: store.table, ExclusiveStartKey: startKey })),
  );
}

/** Every item a scan finds: the whole table, for reports, never on a message's path. */
export function scanAll(
  store: StoreContext,
  input: Omit<ScanCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): Promise<Record<string, unknown>[]> {
  return allPages((startKey) =>
    store.db.send(new ScanCommand({ ...input, TableName: store.table, ExclusiveStartKey: startKey })),
  );
}

async function allPages(
  read: (
    startKey: Record<string, unknown> | undefined,
  ) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: unknown }>,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await read(startKey);
    items.push(...(page.Items ?? []));
    startKey = isRecord(page.LastEvaluatedKey) ? page.LastEvaluatedKey : undefined;
  } while (startKey !== undefined);
  return items;
}
