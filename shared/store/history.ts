/** The customer history: append once per unique key, read by time range. */
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type HistoryEntry, type HistoryEntryOf, parseHistoryEntry } from '../customer/history.ts';
import { historyKey, historyRange, customerKey, SENT_INDEX, sentDayKey, TTL_ATTRIBUTE } from './table.ts';
import { epochSeconds, isConditionFailure, queryAll, type StoreContext } from './context.ts';
import type { EngagementEvent, HistoryEvent } from '../journey/conditions.ts';

/** How long history is kept: long enough for a year-long journey and its attribution window. */
export const HISTORY_RETENTION_DAYS = 400;

/**
 * Appends an entry unless one with the same time and unique key exists, so a retried handler
 * writes it once. Returns false for such a duplicate.
 */
export function appendHistory(
  store: StoreContext,
  customerId: string,
  entry: HistoryEntry,
  unique: string,
): Promise<boolean> {
  // A message is also filed in the index of sent messages, which the outbox page reads.
  const sent = entry.kind === 'message' ? { [SENT_INDEX.attribute]: sentDayKey(entry.time, customerId) } : {};
  return putHistoryItem(store, historyKey(customerId, entry.time, unique), entry.time, {
    attributes: { kind: entry.kind, entry, ...sent },
    condition: 'attribute_not_exists(sk)',
  });
}

/**
 * The record function's entry for a customer event: its claim on the event as well. A copy the resume
 * function wrote first (it files an awaited event at once) is replaced, since record's carries the
 * journeys the event starts; a second copy from record is refused. Returns false for that duplicate.
 */
export function appendRecordedEvent(
  store: StoreContext,
  customerId: string,
  entry: HistoryEntryOf<'event'>,
  unique: string,
): Promise<boolean> {
  return putHistoryItem(store, historyKey(customerId, entry.time, unique), entry.time, {
    attributes: { kind: entry.kind, entry, recorded: true },
    condition: 'attribute_not_exists(recorded)',
  });
}

/**
 * Takes the key an event would be filed under at `time` without filing it there: a claim with no
 * entry, which every reader skips (it does not parse) and which refuses record's one-put way.
 */
export async function claimEventKey(
  store: StoreContext,
  customerId: string,
  time: string,
  unique: string,
): Promise<void> {
  await putHistoryItem(store, historyKey(customerId, time, unique), time, {
    attributes: { kind: 'claim', recorded: true },
    condition: 'attribute_not_exists(sk)',
  });
}

/** One conditional put of a history item, kept as long as the history; false when the condition refused it. */
async function putHistoryItem(
  store: StoreContext,
  key: { pk: string; sk: string },
  time: string,
  item: { attributes: Record<string, unknown>; condition: string },
): Promise<boolean> {
  const expires = new Date(Date.parse(time) + HISTORY_RETENTION_DAYS * 86_400_000);
  try {
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...key, ...item.attributes, [TTL_ATTRIBUTE]: epochSeconds(expires) },
        ConditionExpression: item.condition,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** A journey's own entry, once per execution, action and `about` (the step, or the event that ended it). */
export function appendJourneyEntry(
  store: StoreContext,
  customerId: string,
  entry: HistoryEntryOf<'journey'>,
  about: string,
): Promise<boolean> {
  return appendHistory(store, customerId, entry, `journey#${entry.executionId}#${entry.action}#${about}`);
}

export interface StoredHistoryEntry {
  sortKey: string;
  entry: HistoryEntry;
}

/** Entries between two instants, oldest first. Entries the code cannot read are skipped, not fatal. */
export async function readHistory(
  store: StoreContext,
  customerId: string,
  from: string,
  to: string,
): Promise<StoredHistoryEntry[]> {
  // DynamoDB refuses a BETWEEN whose bounds are reversed; an empty range has nothing in it anyway.
  if (Date.parse(from) > Date.parse(to)) return [];
  const { low, high } = historyRange(from, to);
  const items = await queryAll(store, {
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
    ExpressionAttributeValues: { ':pk': customerKey(customerId), ':low': low, ':high': high },
  });
  return items.flatMap((item) => {
    const entry = parseHistoryEntry(item.entry);
    const sortKey = item.sk;
    return entry !== undefined && typeof sortKey === 'string' ? [{ sortKey, entry }] : [];
  });
}

/** One entry by the time and unique key it was appended with. */
export async function readHistoryEntry(
  store: StoreContext,
  customerId: string,
  time: string,
  unique: string,
): Promise<HistoryEntry | undefined> {
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: historyKey(customerId, time, unique),
      ConsistentRead: true,
    }),
  );
  return result.Item === undefined ? undefined : parseHistoryEntry(result.Item.entry);
}

/** The customer's events that history conditions read: the last `seconds` before `now`, oldest first. */
export async function readConditionHistory(
  store: StoreContext,
  customerId: string,
  seconds: number,
  now: Date,
): Promise<HistoryEvent[]> {
  if (seconds <= 0) return [];
  const from = new Date(now.getTime() - seconds * 1000).toISOString();
  const stored = await readHistory(store, customerId, from, now.toISOString());
  return stored.flatMap(({ entry }) =>
    entry.kind === 'event' ? [{ detailType: entry.detailType, time: entry.time, detail: entry.detail }] : [],
  );
}

/** What branch conditions read: the customer's events and their engagement with messages, in one query. */
export async function readBranchHistory(
  store: StoreContext,
  customerId: string,
  seconds: number,
  now: Date,
): Promise<{ events: HistoryEvent[]; engagement: EngagementEvent[] }> {
  if (seconds <= 0) return { events: [], engagement: [] };
  const from = new Date(now.getTime() - seconds * 1000).toISOString();
  const stored = await readHistory(store, customerId, from, now.toISOString());
  const events: HistoryEvent[] = [];
  const engagement: EngagementEvent[] = [];
  for (const { entry } of stored) {
    if (entry.kind === 'event')
      events.push({ detailType: entry.detailType, time: entry.time, detail: entry.detail });
    if (entry.kind === 'engagement') engagement.push(entry);
  }
  return { events, engagement };
}

/**
 * The customer's most recent events (at most `limit`, in one Query) of the last `days`: what the
 * preferred-hour wait counts. Newest first.
 */
export async function readRecentEvents(
  store: StoreContext,
  customerId: string,
  days: number,
  limit: number,
  now: Date,
): Promise<HistoryEvent[]> {
  const { low, high } = historyRange(
    new Date(now.getTime() - days * 86_400_000).toISOString(),
    now.toISOString(),
  );
  const result = await store.db.send(
    new QueryCommand({
      TableName: store.table,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
      FilterExpression: 'kind = :event',
      ExpressionAttributeValues: {
        ':pk': customerKey(customerId),
        ':low': low,
        ':high': high,
        ':event': 'event',
      },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (result.Items ?? []).flatMap((item) => {
    const entry = parseHistoryEntry(item.entry);
    return entry?.kind === 'event'
      ? [{ detailType: entry.detailType, time: entry.time, detail: entry.detail }]
      : [];
  });
}
