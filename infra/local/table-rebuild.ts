/**
 * A local table made before its indexes existed gets them. dynalite's UpdateTable cannot add a global
 * secondary index (it changes throughput only), so a table from an older data folder is rebuilt: every
 * item is copied into a side table, the copy is marked complete, the table is deleted and created again
 * with every index of tableDefinition, the items are copied back (dynalite indexes them as they are
 * written), and the side table is deleted.
 *
 * A crash at any step leaves one complete copy: before the mark, the old table is untouched (the
 * unfinished copy is thrown away and the rebuild starts again); after it, the marked copy is (the
 * rebuild goes on from it at the next start).
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { KEY, tableDefinition } from '../../shared/store/table.ts';

type Item = Record<string, AttributeValue>;

/** The item that marks a side table as a complete copy; never copied back. */
const COMPLETE_MARK: Item = { [KEY.partition]: { S: '#waymark-rebuild' }, [KEY.sort]: { S: 'COMPLETE' } };
const BATCH_SIZE = 25;
const MAX_BATCH_ATTEMPTS = 10;
const WAIT_MS = 10_000;
const POLL_MS = 5;

function sideTable(tableName: string): string {
  return `${tableName}.rebuild`;
}

/** The table as DynamoDB describes it; undefined when there is none. */
export async function describeTable(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** Indexes tableDefinition has that the table lacks. */
export function missingIndexes(table: TableDescription): string[] {
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  return (tableDefinition(table.TableName ?? '').GlobalSecondaryIndexes ?? [])
    .map((index) => index.IndexName ?? '')
    .filter((name) => !present.has(name));
}

/**
 * Answers once the table and its indexes are ACTIVE: CreateTable answers while the table is still
 * CREATING, and a request that comes before it turns ACTIVE is refused as if the table did not exist.
 */
export async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const table = await describeTable(client, tableName);
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === 'ACTIVE',
    );
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`Table ${tableName} is not ACTIVE after ${WAIT_MS} ms.`);
    await sleep(POLL_MS);
  }
}

/**
 * Finishes a rebuild an earlier start left halfway; true when it did (the table then holds every
 * item and every index). An unfinished copy is deleted: the table it came from is still whole.
 */
export async function finishInterruptedRebuild(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const side = sideTable(tableName);
  if ((await describeTable(client, side)) === undefined) return false;
  await waitUntilActive(client, side);
  const mark = await client.send(
    new GetItemCommand({ TableName: side, Key: COMPLETE_MARK, ConsistentRead: true }),
  );
  if (mark.Item === undefined) {
    await deleteTable(client, side);
    return false;
  }
  await refillFrom(client, side, tableName);
  return true;
}

/** Rebuilds the table with every index, keeping every item; answers how many items it holds. */
export async function rebuildWithIndexes(client: DynamoDBClient, tableName: string): Promise<number> {
  const side = sideTable(tableName);
  const definition = tableDefinition(side);
  const keyNames = new Set((definition.KeySchema ?? []).map((key) => key.AttributeName));
  // The copy needs no index, only the keys (dynalite wants no attribute defined that no key uses).
  await client.send(
    new CreateTableCommand({
      TableName: side,
      KeySchema: definition.KeySchema,
      AttributeDefinitions: (definition.AttributeDefinitions ?? []).filter((attribute) =>
        keyNames.has(attribute.AttributeName),
      ),
      BillingMode: definition.BillingMode,
    }),
  );
  await waitUntilActive(client, side);
  await copyItems(client, tableName, side);
  await client.send(new PutItemCommand({ TableName: side, Item: COMPLETE_MARK }));
  return refillFrom(client, side, tableName);
}

/** From a complete copy: the table deleted, created with every index, refilled; the copy deleted. */
async function refillFrom(client: DynamoDBClient, side: string, tableName: string): Promise<number> {
  if ((await describeTable(client, tableName)) !== undefined) await deleteTable(client, tableName);
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  await waitUntilActive(client, tableName);
  const copied = await copyItems(client, side, tableName);
  await deleteTable(client, side);
  return copied;
}

async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  const deadline = Date.now() + WAIT_MS;
  while ((await describeTable(client, tableName)) !== undefined) {
    if (Date.now() > deadline) throw new Error(`Table ${tableName} is not deleted after ${WAIT_MS} ms.`);
    await sleep(POLL_MS);
  }
}

function isCompleteMark(item: Item): boolean {
  return (
    item[KEY.partition]?.S === COMPLETE_MARK[KEY.partition]?.S &&
    item[KEY.sort]?.S === COMPLETE_MARK[KEY.sort]?.S
  );
}

/** Every item of one table put into another, page by page; the mark is left behind. */
async function copyItems(client: DynamoDBClient, from: string, to: string): Promise<number> {
  let copied = 0;
  let startKey: Item | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: from,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    const items = (page.Items ?? []).filter((item) => !isCompleteMark(item));
    for (let first = 0; first < items.length; first += BATCH_SIZE) {
      await putBatch(client, to, items.slice(first, first + BATCH_SIZE));
    }
    copied += items.length;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return copied;
}

async function putBatch(client: DynamoDBClient, tableName: string, items: readonly Item[]): Promise<void> {
  let requests: WriteRequest[] = items.map((item) => ({ PutRequest: { Item: item } }));
  for (let attempt = 1; requests.length > 0; attempt += 1) {
    if (attempt > MAX_BATCH_ATTEMPTS)
      throw new Error(`${requests.length} items could not be written to ${tableName}.`);
    if (attempt > 1) await sleep(Math.min(1000, 20 * 2 ** attempt));
    const result = await client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: requests } }));
    requests = result.UnprocessedItems?.[tableName] ?? [];
  }
}
