/**
 * The one DynamoDB table and every key in it. Nothing else builds a key,
 * so docs/data-model.md, the CDK table and the local engine's table all
 * follow this file.
 *
 * Everything about a customer lives under one partition (`C#<customerId>`),
 * so erasure is one Query and the deletes that follow, and a delivery reads
 * the profile and the cap ledger in one GetItem.
 */
import { createHash } from 'node:crypto';
import type {
  AttributeDefinition,
  CreateTableCommandInput,
  GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';

export const KEY = { partition: 'pk', sort: 'sk' } as const;
/** Epoch seconds; DynamoDB's TTL deletes the item some time after (up to days late). */
export const TTL_ATTRIBUTE = 'expiresAt';

export const SORT = {
  profile: 'PROFILE',
  historyPrefix: 'H#',
  journeyPrefix: 'J#',
  entryPrefix: 'E#',
  goalPrefix: 'G#',
  waitPrefix: 'W#',
  parkPrefix: 'P#',
  recordedPrefix: 'R#',
  suppression: 'SUPPRESSION',
  segmentPrefix: 'M#',
  broadcastRunPrefix: 'RUN#',
  broadcastScanPrefix: 'S#',
  broadcastChunkPrefix: 'C#',
  messagePointer: 'MESSAGE',
  figuresDayPrefix: 'D#',
  figuresMarkerPrefix: 'X#',
  figuresRunPrefix: 'R#',
} as const;

export function customerKey(customerId: string): string {
  return `C#${customerId}`;
}

export function profileKey(customerId: string): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: SORT.profile };
}

/**
 * Times in keys are always UTC with milliseconds ("2026-11-18T15:00:05.000Z"): EventBridge sends
 * "…:05Z" and producers may send offsets, and only one spelling sorts as time.
 */
export function sortableTime(time: string): string {
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? time : new Date(parsed).toISOString();
}

/** History sorts by time; the suffix (event id, message key) makes the key unique and a retry idempotent. */
export function historyKey(customerId: string, time: string, unique: string): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.historyPrefix}${sortableTime(time)}#${unique}` };
}

/** Sort-key bounds for the history between two instants. */
export function historyRange(from: string, to: string): { low: string; high: string } {
  // '$' sorts after '#', so every key at `to` itself is included.
  return {
    low: `${SORT.historyPrefix}${sortableTime(from)}`,
    high: `${SORT.historyPrefix}${sortableTime(to)}$`,
  };
}

export function membershipKey(customerId: string, journeyId: string): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.journeyPrefix}${journeyId}` };
}

export function entryKey(customerId: string, journeyId: string, eventId: string): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.entryPrefix}${journeyId}#${eventId}` };
}

/**
 * A trigger fact taken, by the hash of the journey's business key (`entry.dedupeBy`): among the entry
 * markers, as "key#" can never begin an EventBridge event id (a UUID).
 */
export function entryFactKey(
  customerId: string,
  journeyId: string,
  keyHash: string,
): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.entryPrefix}${journeyId}#key#${keyHash}` };
}

/** A goal fact counted for a journey, by the hash of the goal's business key (`exitOn[].dedupeBy`). */
export function goalFactKey(
  customerId: string,
  journeyId: string,
  keyHash: string,
): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.goalPrefix}${journeyId}#${keyHash}` };
}

/** Marks an event id as recorded for this customer, so a redelivery within the marker's memory changes nothing. */
export function recordedEventKey(customerId: string, eventId: string): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.recordedPrefix}${eventId}` };
}

export function waitPrefix(customerId: string, detailType: string): { pk: string; prefix: string } {
  return { pk: customerKey(customerId), prefix: `${SORT.waitPrefix}${detailType}#` };
}

export function waitKey(
  customerId: string,
  detailType: string,
  executionId: string,
  stepId: string,
): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.waitPrefix}${detailType}#${executionId}#${stepId}` };
}

/**
 * A high-volume run parked at a wait: `P#<run>#<state>#<part time>`, one per visit of the wait (the
 * part time tells a loop's visits apart), all of a run under one prefix so an exit finds them. The
 * run is hashed: an event id holding `#` must not make one run's prefix another's.
 */
export function parkKey(
  customerId: string,
  runId: string,
  stateName: string,
  partAt: string,
): { pk: string; sk: string } {
  return {
    pk: customerKey(customerId),
    sk: `${parkPrefix(customerId, runId).prefix}${stateName}#${sortableTime(partAt)}`,
  };
}

/** The part time a park's key ends with (undefined for a key not made by parkKey). */
export function partTimeOfPark(sk: string): string | undefined {
  const time = sk.slice(sk.lastIndexOf('#') + 1);
  return sk.startsWith(SORT.parkPrefix) && !Number.isNaN(Date.parse(time)) ? time : undefined;
}

export function parkPrefix(customerId: string, runId: string): { pk: string; prefix: string } {
  const run = createHash('sha256').update(runId).digest('base64url').slice(0, 22);
  return { pk: customerKey(customerId), prefix: `${SORT.parkPrefix}${run}#` };
}

/**
 * Which customer and journey step a provider's message id belongs to, for the receipts that name only
 * the id (SMS and WhatsApp delivery statuses): outside any partition, kept a few days.
 */
export function messagePointerKey(channel: string, messageId: string): { pk: string; sk: string } {
  return { pk: `P#${channel}#${messageId}`, sk: SORT.messagePointer };
}

/**
 * The figures' counters (shared/figures/): one partition per journey, and `FIGURES` for what belongs to
 * none, one item per UTC day and write shard. Never a customer id: counters are aggregates.
 */
export const FIGURES_PARTITION = 'FIGURES';

export function figuresPartition(journeyId: string | undefined): string {
  return journeyId === undefined ? FIGURES_PARTITION : `F#${journeyId}`;
}

/** A day's counters (`day` as YYYY-MM-DD) in one write shard: a Query over `D#` sums a journey's days. */
export function figuresDayKey(
  journeyId: string | undefined,
  day: string,
  shard: number,
): { pk: string; sk: string } {
  return {
    pk: figuresPartition(journeyId),
    sk: `${SORT.figuresDayPrefix}${day}#${String(shard).padStart(2, '0')}`,
  };
}

/**
 * A broadcast run's counters in one write shard (shared/figures/counters.ts, RunCounter): beside the
 * journey's days, so a Query over `R#` reads every run of the journey.
 */
export function figuresRunKey(journeyId: string, runId: string, shard: number): { pk: string; sk: string } {
  return {
    pk: figuresPartition(journeyId),
    sk: `${SORT.figuresRunPrefix}${runId}#${String(shard).padStart(2, '0')}`,
  };
}

/** The run a `figuresRunKey` sort key names; undefined for any other. */
export function figuresRunOfKey(sk: string): string | undefined {
  if (!sk.startsWith(SORT.figuresRunPrefix)) return undefined;
  const shard = sk.lastIndexOf('#');
  return shard <= SORT.figuresRunPrefix.length ? undefined : sk.slice(SORT.figuresRunPrefix.length, shard);
}

/**
 * What the figures counted once for one execution (the first message, a conversion...): in the
 * customer's partition, so an erasure takes it too. `tag` is the execution's hash (executionTag).
 */
export function figuresMarkerKey(customerId: string, tag: string): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.figuresMarkerPrefix}${tag}` };
}

/** Suppressions are kept by a hash of the address, so they outlive an erasure without keeping the address. */
export function suppressionKey(addressHash: string): { pk: string; sk: string } {
  return { pk: `S#${addressHash}`, sk: SORT.suppression };
}

/** The customer is a member of a segment that a journey enters on: the entry fires once per membership. */
export function segmentMemberKey(customerId: string, segmentId: string): { pk: string; sk: string } {
  return { pk: customerKey(customerId), sk: `${SORT.segmentPrefix}${segmentId}` };
}

/** A journey's broadcast runs, one item each, listed by journey. */
export function broadcastRunKey(journeyId: string, runId: string): { pk: string; sk: string } {
  return { pk: `B#${journeyId}`, sk: `${SORT.broadcastRunPrefix}${runId}` };
}

/** A run's own work: its scan cursors and its member chunks, apart from everything else. */
export function broadcastWorkPartition(journeyId: string, runId: string): string {
  return `B#${journeyId}#${runId}`;
}

/** Where one scan segment of a run has read up to. */
export function broadcastScanKey(
  journeyId: string,
  runId: string,
  segment: number,
): { pk: string; sk: string } {
  return {
    pk: broadcastWorkPartition(journeyId, runId),
    sk: `${SORT.broadcastScanPrefix}${String(segment).padStart(4, '0')}`,
  };
}

/** Chunks sort by due time, then scan segment, then page: a wave is one key prefix. */
export function broadcastChunkPrefix(dueAt: string, segment?: number): string {
  const base = `${SORT.broadcastChunkPrefix}${sortableTime(dueAt)}#`;
  return segment === undefined ? base : `${base}${String(segment).padStart(4, '0')}#`;
}

export function broadcastChunkKey(
  journeyId: string,
  runId: string,
  dueAt: string,
  segment: number,
  page: number,
): { pk: string; sk: string } {
  return {
    pk: broadcastWorkPartition(journeyId, runId),
    sk: `${broadcastChunkPrefix(dueAt, segment)}${String(page).padStart(6, '0')}`,
  };
}

/**
 * The two sparse global secondary indexes that find a customer by address without reading the table:
 * only profile items carry these attributes (a SHA-256 of the normalised address, never the address
 * itself; shared/store/address-index.ts writes them). Keys only: a search reads the few profiles it
 * finds by key, consistently, and checks each still has the address (an index lags its table).
 */
export const ADDRESS_INDEXES = {
  email: { indexName: 'byEmailHash', attribute: 'emailHash' },
  phone: { indexName: 'byPhoneHash', attribute: 'phoneHash' },
} as const;
export type AddressKind = keyof typeof ADDRESS_INDEXES;
export const ADDRESS_KINDS: readonly AddressKind[] = ['email', 'phone'];

/**
 * The sparse index of sent messages by day: only message entries carry `sentDay` (`<UTC day>#<shard>`),
 * sorted by their history key (time first), with the entry copied in. The outbox page reads the newest
 * messages across customers from it, never a Scan. Each day is spread over shards so that a day's
 * sends do not all write one index partition: a partition takes 1,000 writes a second, so 16 shards
 * carry 16,000 messages a second (docs/scale.md). Messages written when there were 4 are in shards 0-3,
 * which readers still read.
 */
export const SENT_INDEX = { indexName: 'bySentDay', attribute: 'sentDay', shards: 16 } as const;

/** The index key of a message sent at `time` to a customer: the same customer always in one shard. */
export function sentDayKey(time: string, customerId: string): string {
  const shard = createHash('sha256').update(customerId).digest()[0] ?? 0;
  return sentDayShardKey(time.slice(0, 10), shard % SENT_INDEX.shards);
}

export function sentDayShardKey(day: string, shard: number): string {
  return `${day}#${shard}`;
}

/** What CreateTable needs; the CDK table declares the same keys and indexes. */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: KEY.partition, AttributeType: 'S' },
      { AttributeName: KEY.sort, AttributeType: 'S' },
      ...ADDRESS_KINDS.map((kind): AttributeDefinition => ({
        AttributeName: ADDRESS_INDEXES[kind].attribute,
        AttributeType: 'S',
      })),
      { AttributeName: SENT_INDEX.attribute, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: KEY.partition, KeyType: 'HASH' },
      { AttributeName: KEY.sort, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      ...ADDRESS_KINDS.map((kind): GlobalSecondaryIndex => ({
        IndexName: ADDRESS_INDEXES[kind].indexName,
        KeySchema: [{ AttributeName: ADDRESS_INDEXES[kind].attribute, KeyType: 'HASH' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      })),
      {
        IndexName: SENT_INDEX.indexName,
        KeySchema: [
          { AttributeName: SENT_INDEX.attribute, KeyType: 'HASH' },
          { AttributeName: KEY.sort, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['entry'] },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  };
}
