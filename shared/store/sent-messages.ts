/**
 * The newest messages sent, across customers, from the index of sent messages (SENT_INDEX): a few
 * Queries, newest day first, whatever the number of customers. Messages written before the index
 * existed are not in it; each customer's timeline still has them.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type HistoryEntryOf, parseHistoryEntry } from '../customer/history.ts';
import type { StoreContext } from './context.ts';
import { customerKey, SENT_INDEX, sentDayShardKey } from './table.ts';

export interface SentMessage {
  customerId: string;
  entry: HistoryEntryOf<'message'>;
}

export interface SentMessagesRead {
  /** Newest first, at most `limit`. */
  messages: SentMessage[];
  /** More matching messages were left unread (in the days read, or before them). */
  more: boolean;
}

const DAY_MS = 86_400_000;
/** Pages read per shard and day at most: a filter that matches little costs at most this. */
const MAX_PAGES = 10;

/**
 * Reads day by day back from `now`, each day's shards in parallel, each newest first and only as far
 * as `limit` kept messages, until `limit` messages that `keep` accepts are found or `days` days were
 * read: the work grows with `limit` and the filter, not with the customers or a day's volume.
 */
export async function readSentMessages(
  store: StoreContext,
  options: { limit: number; days: number; now: Date; keep?: (message: SentMessage) => boolean },
): Promise<SentMessagesRead> {
  const keep = options.keep ?? (() => true);
  const found: SentMessage[] = [];
  let more = false;
  for (let back = 0; back < options.days && found.length < options.limit; back += 1) {
    const day = new Date(options.now.getTime() - back * DAY_MS).toISOString().slice(0, 10);
    const shards = await Promise.all(
      Array.from({ length: SENT_INDEX.shards }, (_, shard) =>
        readShard(store, sentDayShardKey(day, shard), options.limit, keep),
      ),
    );
    for (const shard of shards) {
      found.push(...shard.messages);
      more ||= shard.more;
    }
  }
  found.sort((a, b) => b.entry.time.localeCompare(a.entry.time));
  return { messages: found.slice(0, options.limit), more: more || found.length > options.limit };
}

/** One shard of one day, newest first, as far as `want` kept messages (or MAX_PAGES pages). */
async function readShard(
  store: StoreContext,
  sentDay: string,
  want: number,
  keep: (message: SentMessage) => boolean,
): Promise<{ messages: SentMessage[]; more: boolean }> {
  const messages: SentMessage[] = [];
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const result = await store.db.send(
      new QueryCommand({
        TableName: store.table,
        IndexName: SENT_INDEX.indexName,
        KeyConditionExpression: '#day = :day',
        ExpressionAttributeNames: { '#day': SENT_INDEX.attribute },
        ExpressionAttributeValues: { ':day': sentDay },
        ScanIndexForward: false,
        Limit: want,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    for (const item of result.Items ?? []) {
      const entry = parseHistoryEntry(item.entry);
      const { pk } = item;
      if (entry?.kind !== 'message' || typeof pk !== 'string') continue;
      const message = { customerId: pk.slice(customerKey('').length), entry };
      if (keep(message)) messages.push(message);
    }
    startKey = result.LastEvaluatedKey;
    if (startKey === undefined) return { messages, more: false };
    if (messages.length >= want) return { messages, more: true };
  }
  return { messages, more: true };
}
