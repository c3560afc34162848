/**
 * A broadcast run's bookkeeping: the run itself, where each scan segment has
 * read up to, and the members found, in chunks by the instant they are due.
 * Every write is keyed so that doing a step twice (a retried Lambda, a
 * restarted engine) writes the same items: a run can always be taken up
 * again from what is stored.
 */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { isRecord } from '../json.ts';
import { epochSeconds, isConditionFailure, queryAll, type StoreContext } from './context.ts';
import {
  broadcastChunkKey,
  broadcastChunkPrefix,
  broadcastRunKey,
  broadcastScanKey,
  broadcastWorkPartition,
  SORT,
  TTL_ATTRIBUTE,
} from './table.ts';

/** Work items outlive their run by this long, for the panel's progress, then expire. */
const WORK_RETENTION_DAYS = 30;

export const broadcastRunSchema = z.object({
  journeyId: z.string(),
  runId: z.string(),
  segment: z.string(),
  zone: z.string(),
  status: z.enum(['running', 'done']),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  firstAt: z.string(),
  lastAt: z.string(),
  /** Members found, once every scan segment has been read. */
  targeted: z.number().optional(),
  /** Members whose execution was started. */
  started: z.number().optional(),
  /** Profiles the scan could not read (damaged): not evaluated, so neither in nor out. */
  unreadable: z.number().optional(),
});
export type BroadcastRunRecord = z.infer<typeof broadcastRunSchema>;

function expiresAt(lastAt: string): number {
  return epochSeconds(new Date(Date.parse(lastAt) + WORK_RETENTION_DAYS * 86_400_000));
}

/** Creates the run unless it exists; answers the run as stored. */
export async function openBroadcastRun(
  store: StoreContext,
  run: Omit<BroadcastRunRecord, 'status' | 'finishedAt' | 'targeted' | 'started'>,
): Promise<BroadcastRunRecord> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...broadcastRunKey(run.journeyId, run.runId),
          ...run,
          status: 'running',
          [TTL_ATTRIBUTE]: expiresAt(run.lastAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  const stored = await readBroadcastRun(store, run.journeyId, run.runId);
  if (stored === undefined)
    throw new Error(`Broadcast run ${run.journeyId} ${run.runId} vanished after it was opened.`);
  return stored;
}

export async function readBroadcastRun(
  store: StoreContext,
  journeyId: string,
  runId: string,
): Promise<BroadcastRunRecord | undefined> {
  const result = await store.db.send(
    new GetCommand({ TableName: store.table, Key: broadcastRunKey(journeyId, runId), ConsistentRead: true }),
  );
  const parsed = broadcastRunSchema.safeParse(result.Item);
  return parsed.success ? parsed.data : undefined;
}

/** A journey's runs, newest first. */
export async function listBroadcastRuns(
  store: StoreContext,
  journeyId: string,
): Promise<BroadcastRunRecord[]> {
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: {
      ':pk': broadcastRunKey(journeyId, '').pk,
      ':prefix': SORT.broadcastRunPrefix,
    },
  });
  return items
    .flatMap((item) => {
      const parsed = broadcastRunSchema.safeParse(item);
      return parsed.success ? [parsed.data] : [];
    })
    .sort((a, b) => b.runId.localeCompare(a.runId));
}

export async function updateBroadcastRun(
  store: StoreContext,
  journeyId: string,
  runId: string,
  changes: Partial<Pick<BroadcastRunRecord, 'status' | 'finishedAt' | 'targeted' | 'started' | 'unreadable'>>,
): Promise<void> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return;
  await store.db.send(
    new UpdateCommand({
      TableName: store.table,
      Key: broadcastRunKey(journeyId, runId),
      UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([name], index) => [`#f${index}`, name])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value])),
      ConditionExpression: 'attribute_exists(pk)',
    }),
  );
}

// ---- scan segments ----

export interface ScanProgress {
  /** DynamoDB's LastEvaluatedKey as JSON; absent before the first page. */
  cursor?: string;
  pages: number;
  members: number;
  /** Profiles read that do not parse. */
  unreadable: number;
  done: boolean;
}

const scanProgressSchema = z.object({
  cursor: z.string().optional(),
  pages: z.number().default(0),
  members: z.number().default(0),
  unreadable: z.number().default(0),
  done: z.boolean().default(false),
});

export async function readScanProgress(
  store: StoreContext,
  journeyId: string,
  runId: string,
  segment: number,
): Promise<ScanProgress> {
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: broadcastScanKey(journeyId, runId, segment),
      ConsistentRead: true,
    }),
  );
  const parsed = scanProgressSchema.safeParse(result.Item ?? {});
  return parsed.success ? parsed.data : { pages: 0, members: 0, unreadable: 0, done: false };
}

/**
 * Moves a scan segment one page on, if no one else has since `from` was read: two workers on one
 * segment (a retry overlapping a slow attempt) write the same chunks, and only one moves it on.
 */
export async function advanceScan(
  store: StoreContext,
  journeyId: string,
  runId: string,
  segment: number,
  from: ScanProgress,
  to: ScanProgress,
  lastAt: string,
): Promise<boolean> {
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...broadcastScanKey(journeyId, runId, segment),
          ...(to.cursor === undefined ? {} : { cursor: to.cursor }),
          pages: to.pages,
          members: to.members,
          unreadable: to.unreadable,
          done: to.done,
          [TTL_ATTRIBUTE]: expiresAt(lastAt),
        },
        ConditionExpression:
          from.pages === 0 ? 'attribute_not_exists(pages) OR pages = :pages' : 'pages = :pages',
        ExpressionAttributeValues: { ':pages': from.pages },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Profiles no scan segment of the run could read. */
export async function unreadableProfiles(
  store: StoreContext,
  journeyId: string,
  runId: string,
): Promise<number> {
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: {
      ':pk': broadcastWorkPartition(journeyId, runId),
      ':prefix': SORT.broadcastScanPrefix,
    },
    ConsistentRead: true,
  });
  return items.reduce((sum, item) => sum + (typeof item.unreadable === 'number' ? item.unreadable : 0), 0);
}

// ---- member chunks ----

export interface MemberChunk {
  dueAt: string;
  segment: number;
  page: number;
  customerIds: string[];
}

export async function writeMemberChunk(
  store: StoreContext,
  journeyId: string,
  runId: string,
  chunk: MemberChunk,
  lastAt: string,
): Promise<void> {
  await store.db
    .send(
      new PutCommand({
        TableName: store.table,
        Item: {
          ...broadcastChunkKey(journeyId, runId, chunk.dueAt, chunk.segment, chunk.page),
          dueAt: chunk.dueAt,
          customerIds: chunk.customerIds,
          size: chunk.customerIds.length,
          [TTL_ATTRIBUTE]: expiresAt(lastAt),
        },
        // Written again by a retried page: the same members, unless already entered.
        ConditionExpression: 'attribute_not_exists(enteredAt)',
      }),
    )
    .catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
}

export interface ChunkSummary {
  sortKey: string;
  dueAt: string;
  size: number;
  entered: boolean;
  /** Members of the chunk started so far (all of them once it is entered). */
  started: number;
}

/** Every chunk of a run, without its members: how many are due when, and how many have entered. */
export async function listMemberChunks(
  store: StoreContext,
  journeyId: string,
  runId: string,
): Promise<ChunkSummary[]> {
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: {
      ':pk': broadcastWorkPartition(journeyId, runId),
      ':prefix': SORT.broadcastChunkPrefix,
    },
    ProjectionExpression: 'sk, dueAt, #size, #offset, enteredAt',
    ExpressionAttributeNames: { '#size': 'size', '#offset': 'offset' },
    ConsistentRead: true,
  });
  return items.flatMap((item) =>
    typeof item.sk === 'string' && typeof item.dueAt === 'string' && typeof item.size === 'number'
      ? [
          {
            sortKey: item.sk,
            dueAt: item.dueAt,
            size: item.size,
            entered: item.enteredAt !== undefined,
            started:
              item.enteredAt !== undefined ? item.size : typeof item.offset === 'number' ? item.offset : 0,
          },
        ]
      : [],
  );
}

/** The chunks of one wave and scan segment whose members have not all been started, oldest page first. */
export async function pendingChunks(
  store: StoreContext,
  journeyId: string,
  runId: string,
  dueAt: string,
  segment: number,
  limit: number,
): Promise<{ sortKey: string; customerIds: string[]; offset: number }[]> {
  const result = await store.db.send(
    new QueryCommand({
      TableName: store.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      FilterExpression: 'attribute_not_exists(enteredAt)',
      ExpressionAttributeValues: {
        ':pk': broadcastWorkPartition(journeyId, runId),
        ':prefix': broadcastChunkPrefix(dueAt, segment),
      },
      ConsistentRead: true,
    }),
  );
  return (result.Items ?? [])
    .flatMap((item) =>
      typeof item.sk === 'string' && Array.isArray(item.customerIds)
        ? [
            {
              sortKey: item.sk,
              customerIds: item.customerIds.filter((id): id is string => typeof id === 'string'),
              offset: typeof item.offset === 'number' ? item.offset : 0,
            },
          ]
        : [],
    )
    .slice(0, limit);
}

/** A paced broadcast started the chunk's first `offset` members; the rest wait for the next window. */
export async function advanceChunk(
  store: StoreContext,
  journeyId: string,
  runId: string,
  sortKey: string,
  offset: number,
): Promise<void> {
  await store.db.send(
    new UpdateCommand({
      TableName: store.table,
      Key: { pk: broadcastWorkPartition(journeyId, runId), sk: sortKey },
      UpdateExpression: 'SET #offset = :offset',
      ExpressionAttributeNames: { '#offset': 'offset' },
      ExpressionAttributeValues: { ':offset': offset },
    }),
  );
}

export async function markChunkEntered(
  store: StoreContext,
  journeyId: string,
  runId: string,
  sortKey: string,
  at: Date,
): Promise<void> {
  await store.db.send(
    new UpdateCommand({
      TableName: store.table,
      Key: { pk: broadcastWorkPartition(journeyId, runId), sk: sortKey },
      UpdateExpression: 'SET enteredAt = :at',
      ExpressionAttributeValues: { ':at': at.toISOString() },
    }),
  );
}

/** A scan cursor as stored: DynamoDB's key object as JSON text. */
export function cursorText(key: unknown): string | undefined {
  return isRecord(key) ? JSON.stringify(key) : undefined;
}

export function cursorKey(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  const parsed: unknown = JSON.parse(text);
  return isRecord(parsed) ? parsed : undefined;
}
