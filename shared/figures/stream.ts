/**
 * DynamoDB Stream records -> history changes (pure). The table's stream carries every write, images in
 * DynamoDB's typed JSON; the event source mapping's filter already keeps history items only, and this
 * says which of them bring an entry into the figures:
 * - an INSERT of a history item: any entry but an event the resume function filed (no `recorded`);
 * - an event entry becomes `recorded` (record's put, INSERT or a MODIFY over resume's copy): once per
 *   event, since record's put is conditional on the item not being recorded already. So an event's
 *   `starts` count once, whichever function wrote first.
 * Anything else (a MODIFY that records nothing new, REMOVE by erasure or TTL) counts nothing.
 */
import * as z from 'zod';
import { type HistoryEntry, parseHistoryEntry } from '../customer/history.ts';
import { isRecord } from '../json.ts';
import { customerKey, SORT } from '../store/table.ts';
import { type HistoryChange, sequenceKey } from './aggregate.ts';

const streamRecordSchema = z.object({
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  dynamodb: z.object({
    SequenceNumber: z.string().regex(/^\d{1,40}$/),
    NewImage: z.record(z.string(), z.unknown()).optional(),
    OldImage: z.record(z.string(), z.unknown()).optional(),
  }),
});

export interface StreamReading {
  changes: HistoryChange[];
  /** Records that count nothing (not history, not new, or unreadable): by why. */
  ignored: Record<'not-history' | 'not-new' | 'unreadable', number>;
}

/** The changes in one shard's batch, in the order the stream gave them. */
export function historyChangesOfStream(records: readonly unknown[], shard: string): StreamReading {
  const reading: StreamReading = { changes: [], ignored: { 'not-history': 0, 'not-new': 0, unreadable: 0 } };
  for (const record of records) {
    const parsed = streamRecordSchema.safeParse(record);
    if (!parsed.success) {
      reading.ignored.unreadable += 1;
      continue;
    }
    const { eventName, dynamodb } = parsed.data;
    const item = dynamodb.NewImage === undefined ? undefined : fromImage(dynamodb.NewImage);
    const old = dynamodb.OldImage === undefined ? undefined : fromImage(dynamodb.OldImage);
    const change = item === undefined ? undefined : historyItem(item);
    if (change === undefined) {
      reading.ignored['not-history'] += 1;
      continue;
    }
    if (change.entry === undefined) {
      // A key claimed with no entry (record's claim on an event filed under another time) is no entry.
      reading.ignored[item?.entry === undefined ? 'not-history' : 'unreadable'] += 1;
      continue;
    }
    const isNew =
      change.entry.kind === 'event'
        ? item?.recorded === true && old?.recorded !== true
        : eventName === 'INSERT';
    if (eventName === 'REMOVE' || !isNew) {
      reading.ignored['not-new'] += 1;
      continue;
    }
    reading.changes.push({
      shard,
      sequence: sequenceKey(dynamodb.SequenceNumber),
      customerId: change.customerId,
      entry: change.entry,
    });
  }
  return reading;
}

/** A history item's customer and entry (undefined entry: it does not parse); undefined for any other item. */
export function historyItem(
  item: Record<string, unknown>,
): { customerId: string; entry: HistoryEntry | undefined } | undefined {
  const { pk, sk } = item;
  if (typeof pk !== 'string' || typeof sk !== 'string') return undefined;
  if (!pk.startsWith(CUSTOMER_PREFIX) || !sk.startsWith(SORT.historyPrefix)) return undefined;
  return { customerId: pk.slice(CUSTOMER_PREFIX.length), entry: parseHistoryEntry(item.entry) };
}

const CUSTOMER_PREFIX = customerKey('');

/** An image in DynamoDB's typed JSON ({"S": "..."}, {"M": {...}}...) as plain values. */
export function fromImage(image: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, fromAttributeValue(value)]));
}

function fromAttributeValue(value: unknown): unknown {
  if (!isRecord(value)) return undefined;
  if (typeof value.S === 'string') return value.S;
  if (typeof value.N === 'string') return Number(value.N);
  if (typeof value.BOOL === 'boolean') return value.BOOL;
  if (value.NULL === true) return null;
  if (isRecord(value.M)) return fromImage(value.M);
  if (Array.isArray(value.L)) return value.L.map(fromAttributeValue);
  if (Array.isArray(value.SS)) return value.SS.filter((member) => typeof member === 'string');
  if (Array.isArray(value.NS)) return value.NS.map(Number);
  // Binary values are not part of any history entry.
  return undefined;
}
