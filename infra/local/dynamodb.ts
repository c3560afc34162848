/**
 * DynamoDB on one machine: dynalite, in memory or stored on disk, listening
 * on loopback. Used by the tests and by the local engine.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import dynalite from 'dynalite';
import { tableDefinition } from '../../shared/store/table.ts';
import { listenOnLoopback } from './loopback.ts';

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
 * answers once it is ACTIVE: CreateTable answers while the table is still CREATING, and a request
 * that comes before it turns ACTIVE is refused as if the table did not exist (dynalite, like AWS).
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ResourceNotFoundException') throw error;
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  }
  const deadline = Date.now() + TABLE_ACTIVE_WAIT_MS;
  for (;;) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new Error(`Table ${tableName} is not ACTIVE after ${TABLE_ACTIVE_WAIT_MS} ms.`);
    await sleep(TABLE_POLL_MS);
  }
}

const TABLE_ACTIVE_WAIT_MS = 10_000;
const TABLE_POLL_MS = 5;
