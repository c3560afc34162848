/**
 * infra/local/dynamodb.ts's ensureTable over a data folder made before the address indexes: dynalite
 * cannot add an index to a table, so the table is rebuilt with them, every item kept, and its profiles
 * indexed; a rebuild stopped at any step is finished (or started again) at the next start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureTable, type LocalDynamo, startLocalDynamo } from '../infra/local/dynamodb.ts';
import { searchCustomers } from '../shared/store/customer-search.ts';
import { profileKey, tableDefinition } from '../shared/store/table.ts';

const TABLE = 'waymark';
const folders: string[] = [];
const running: LocalDynamo[] = [];

async function stopAll(): Promise<void> {
  await Promise.all(running.splice(0).map((dynamo) => dynamo.close()));
}

afterEach(async () => {
  await stopAll();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function start(path: string): Promise<{ client: DynamoDBClient; db: DynamoDBDocumentClient }> {
  const dynamo = await startLocalDynamo({ path });
  running.push(dynamo);
  const client = new DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: dynamo.endpoint,
  });
  return { client, db: DynamoDBDocumentClient.from(client) };
}

/** The table as data folders made it before the address indexes: the keys only. */
function tableBeforeIndexes(name: string): CreateTableCommandInput {
  const { GlobalSecondaryIndexes: _indexes, AttributeDefinitions, ...rest } = tableDefinition(name);
  return { ...rest, AttributeDefinitions: AttributeDefinitions?.slice(0, 2) };
}

/** An old data folder: a table without indexes holding two profiles (no hashes) and a history entry. */
async function oldFolder(table: string = TABLE): Promise<{ path: string; db: DynamoDBDocumentClient }> {
  const path = mkdtempSync(join(tmpdir(), 'waymark-rebuild-'));
  folders.push(path);
  const { client, db } = await start(path);
  await client.send(new CreateTableCommand(tableBeforeIndexes(table)));
  await ensureActive(client, table);
  for (const [id, email] of [
    ['old-ana', 'Ana.Old@example.com'],
    ['old-bruno', 'bruno.old@example.com'],
  ] as const) {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { ...profileKey(id), profile: { customerId: id, email, consent: {} }, profileVersion: 3 },
      }),
    );
  }
  await db.send(
    new PutCommand({ TableName: table, Item: { pk: 'C#old-ana', sk: 'H#2026-01-01T00:00:00.000Z#e1' } }),
  );
  return { path, db };
}

async function ensureActive(client: DynamoDBClient, table: string): Promise<void> {
  for (let tries = 0; tries < 200; tries += 1) {
    const described = await client.send(new DescribeTableCommand({ TableName: table }));
    if (described.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function indexNames(client: DynamoDBClient, table: string): Promise<string[]> {
  const described = await client.send(new DescribeTableCommand({ TableName: table }));
  return (described.Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName ?? '').sort();
}

async function itemCount(client: DynamoDBClient, table: string): Promise<number> {
  return (await client.send(new ScanCommand({ TableName: table, Select: 'COUNT' }))).Count ?? 0;
}

async function tableNames(client: DynamoDBClient): Promise<string[]> {
  return (await client.send(new ListTablesCommand({}))).TableNames ?? [];
}

describe('a data folder made before the address indexes', () => {
  it('is rebuilt with the indexes at the next start, every item kept and every profile found by email', async () => {
    const { path } = await oldFolder();
    await stopAll();
    const { client, db } = await start(path);
    const lines: string[] = [];
    await ensureTable(client, TABLE, (line) => lines.push(line));

    expect(await indexNames(client, TABLE)).toEqual(['byEmailHash', 'byPhoneHash', 'bySentDay']);
    expect(await itemCount(client, TABLE)).toBe(3);
    expect(await tableNames(client)).toEqual([TABLE]);
    const found = await searchCustomers({ db, table: TABLE }, 'ana.old@EXAMPLE.com', 10);
    expect(found).toMatchObject({ kind: 'matches', matches: [{ customerId: 'old-ana' }] });
    expect(lines).toEqual([
      'Table waymark rebuilt with its indexes (byEmailHash, byPhoneHash, bySentDay): 3 items kept, 2 of 2 profiles indexed by address.',
    ]);

    // Started again, the table is left as it is.
    lines.length = 0;
    await ensureTable(client, TABLE, (line) => lines.push(line));
    expect(lines).toEqual([]);
    expect(await itemCount(client, TABLE)).toBe(3);
  });

  it('finishes a rebuild stopped after the copy was complete, even with the table already gone', async () => {
    const { path, db: oldDb } = await oldFolder(`${TABLE}.rebuild`);
    // The copy is complete (marked), and the stop came after the table was deleted.
    await oldDb.send(
      new PutCommand({ TableName: `${TABLE}.rebuild`, Item: { pk: '#waymark-rebuild', sk: 'COMPLETE' } }),
    );
    await stopAll();
    const { client, db } = await start(path);
    await ensureTable(client, TABLE);

    expect(await tableNames(client)).toEqual([TABLE]);
    expect(await indexNames(client, TABLE)).toEqual(['byEmailHash', 'byPhoneHash', 'bySentDay']);
    expect(await itemCount(client, TABLE)).toBe(3);
    const found = await searchCustomers({ db, table: TABLE }, 'bruno.old@example.com', 10);
    expect(found).toMatchObject({ kind: 'matches', matches: [{ customerId: 'old-bruno' }] });
  });

  it('throws away a copy stopped before it was complete and rebuilds from the table, which is whole', async () => {
    const { path } = await oldFolder();
    await stopAll();
    const { client } = await start(path);
    // Half a copy: one item, no mark.
    await client.send(new CreateTableCommand(tableBeforeIndexes(`${TABLE}.rebuild`)));
    await ensureActive(client, `${TABLE}.rebuild`);
    await client.send(
      new PutItemCommand({
        TableName: `${TABLE}.rebuild`,
        Item: { pk: { S: 'C#old-ana' }, sk: { S: 'PROFILE' } },
      }),
    );
    await ensureTable(client, TABLE);

    expect(await tableNames(client)).toEqual([TABLE]);
    expect(await indexNames(client, TABLE)).toEqual(['byEmailHash', 'byPhoneHash', 'bySentDay']);
    expect(await itemCount(client, TABLE)).toBe(3);
  });
});
