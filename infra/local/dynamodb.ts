/**
 * DynamoDB on one machine: dynalite, in memory or stored on disk, listening
 * on loopback. Used by the tests and by the local engine.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  type DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { backfillAddressIndex } from '../../shared/store/address-backfill.ts';
import { tableDefinition } from '../../shared/store/table.ts';
import { listenOnLoopback } from './loopback.ts';
import {
  describeTable,
  finishInterruptedRebuild,
  missingIndexes,
  rebuildWithIndexes,
  waitUntilActive,
} from './table-rebuild.ts';

export interface LocalDynamo {
  endpoint: string;
  close: () => Promise<void>;
}

export interface LocalDynamoOptions {
  /** A folder for the LevelDB files; in memory when absent. One instance per folder. */
  path?: string;
  port?: number;
}

export async function startLocalDynamo(options: LocalDynamoOptions = {}): Promise<LocalDynamo> {
  // createTableMs 0: a crash while a table is CREATING would leave it so for ever.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path === undefined ? {} : { path: options.path }),
  });
  return {
    endpoint: await listenOnLoopback(server, options.port),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Creates the Waymark table unless it is already there (a data folder from an earlier run), and
 * answers once it is ACTIVE. A table from a data folder made before the address indexes is rebuilt
 * with them (table-rebuild.ts: dynalite cannot add an index to a table), and its profiles are then
 * given the attributes the indexes are keyed on (the same backfill as `waymark index-addresses`);
 * `log` hears what was done, in counts only.
 */
export async function ensureTable(
  client: DynamoDBClient,
  tableName: string,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  // A rebuild stopped halfway first: its copy may be the only whole one.
  const resumed = await finishInterruptedRebuild(client, tableName);
  const existing = await describeTable(client, tableName);
  if (existing === undefined) await client.send(new CreateTableCommand(tableDefinition(tableName)));
  await waitUntilActive(client, tableName);
  const missing = existing === undefined ? [] : missingIndexes(existing);
  if (!resumed && missing.length === 0) return;
  const items = resumed ? await countItems(client, tableName) : await rebuildWithIndexes(client, tableName);
  const store = {
    db: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    table: tableName,
  };
  const indexed = await backfillAddressIndex(store);
  log(
    `Table ${tableName} rebuilt with its indexes (${missing.join(', ') || 'an earlier rebuild finished'}): ` +
      `${items} items kept, ${indexed.updated} of ${indexed.profiles} profiles indexed by address.`,
  );
}

async function countItems(client: DynamoDBClient, tableName: string): Promise<number> {
  let count = 0;
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        Select: 'COUNT',
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    count += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return count;
}
