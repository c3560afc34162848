/**
 * The one-off backfill of the address indexes' attributes (address-index.ts) onto profile items
 * written before they existed: a paged Scan of the profiles, and for each one whose attributes are
 * not what its profile gives, one conditional UpdateItem. It is idempotent (a profile already right
 * is left alone) and resumable (from the key a page ended at), and it never races a profile write:
 * the update holds only while `profileVersion` is the one read, and never creates an item that was
 * erased meanwhile. Addresses are never logged or returned, only counts.
 */
import { GetCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { customerProfileSchema } from '../customer/profile.ts';
import { addressIndexAttributes } from './address-index.ts';
import { isConditionFailure, type StoreContext } from './context.ts';
import { ADDRESS_INDEXES, ADDRESS_KINDS, KEY, SORT } from './table.ts';

export interface BackfillCounts {
  /** Profile items read. */
  profiles: number;
  /** Given (or cleared of) the attributes their profile calls for. */
  updated: number;
  /** Already right: nothing written. */
  unchanged: number;
  /** The stored profile does not parse: left as it is (the panel shows it as damaged). */
  damaged: number;
  /** Erased between the Scan and the update: nothing written. */
  gone: number;
  /** Written by others at every one of its attempts: left for the next run. */
  busy: number;
}

/** Where a Scan page ended: the table's key of the last item read. */
export const resumeKeySchema = z.object({ [KEY.partition]: z.string(), [KEY.sort]: z.string() });
export type ResumeKey = z.infer<typeof resumeKeySchema>;

export interface BackfillOptions {
  /** Go on from where an earlier run's page ended (its `next`). */
  startAfter?: ResumeKey;
  /** Items a Scan page reads (before the filter keeps profiles); default 500. */
  pageSize?: number;
  /** Called after each page, with the counts so far and where the next page starts (none: done). */
  onPage?: (counts: BackfillCounts, next: ResumeKey | undefined) => void;
}

/** Updates written at once within a page: enough to hide a round trip, few enough not to throttle. */
const CONCURRENT_UPDATES = 16;
/** A profile written this many times during its own backfill is left to the next run. */
const MAX_ATTEMPTS = 5;

export async function backfillAddressIndex(
  store: StoreContext,
  options: BackfillOptions = {},
): Promise<BackfillCounts> {
  const counts: BackfillCounts = { profiles: 0, updated: 0, unchanged: 0, damaged: 0, gone: 0, busy: 0 };
  let startKey: ResumeKey | undefined = options.startAfter;
  do {
    const page = await store.db.send(
      new ScanCommand({
        TableName: store.table,
        FilterExpression: '#sk = :profile',
        ProjectionExpression: PROJECTION,
        ExpressionAttributeNames: PROJECTION_NAMES,
        ExpressionAttributeValues: { ':profile': SORT.profile },
        Limit: options.pageSize ?? 500,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    const items = page.Items ?? [];
    for (let first = 0; first < items.length; first += CONCURRENT_UPDATES) {
      const outcomes = await Promise.all(
        items.slice(first, first + CONCURRENT_UPDATES).map((item) => indexProfile(store, item)),
      );
      for (const outcome of outcomes) {
        counts.profiles += 1;
        counts[outcome] += 1;
      }
    }
    const next = resumeKeySchema.safeParse(page.LastEvaluatedKey);
    startKey = next.success ? next.data : undefined;
    options.onPage?.({ ...counts }, startKey);
  } while (startKey !== undefined);
  return counts;
}

/** What the backfill reads of a profile item: its key, version, profile and index attributes. */
const PROJECTION_NAMES: Record<string, string> = {
  '#pk': KEY.partition,
  '#sk': KEY.sort,
  '#profile': 'profile',
  '#version': 'profileVersion',
  ...Object.fromEntries(ADDRESS_KINDS.map((kind) => [`#${kind}`, ADDRESS_INDEXES[kind].attribute])),
};
const PROJECTION = Object.keys(PROJECTION_NAMES).join(', ');

type ProfileOutcome = Exclude<keyof BackfillCounts, 'profiles'>;

async function indexProfile(store: StoreContext, scanned: Record<string, unknown>): Promise<ProfileOutcome> {
  let item: Record<string, unknown> | undefined = scanned;
  for (let attempt = 1; item !== undefined && attempt <= MAX_ATTEMPTS; attempt += 1) {
    const key = resumeKeySchema.safeParse(item);
    // A customer item with no profile yet (only what journeys keep there) has no address to index.
    if (key.success && item.profile === undefined) return 'unchanged';
    const profile = customerProfileSchema.safeParse(item.profile);
    if (!key.success || !profile.success) return 'damaged';
    const wanted = addressIndexAttributes(profile.data);
    const stored = item;
    const right =
      Object.entries(wanted.set).every(([attribute, hash]) => stored[attribute] === hash) &&
      wanted.remove.every((attribute) => stored[attribute] === undefined);
    if (right) return 'unchanged';
    if (await writeAttributes(store, key.data, item.profileVersion, wanted)) return 'updated';
    // Written (or erased) since it was read: read it again and decide again.
    const reread = await store.db.send(
      new GetCommand({
        TableName: store.table,
        Key: key.data,
        ProjectionExpression: PROJECTION,
        ExpressionAttributeNames: PROJECTION_NAMES,
        ConsistentRead: true,
      }),
    );
    item = reread.Item;
  }
  return item === undefined ? 'gone' : 'busy';
}

/** Sets and removes the attributes while the profile is the one read; false when it is not. */
async function writeAttributes(
  store: StoreContext,
  key: ResumeKey,
  version: unknown,
  wanted: ReturnType<typeof addressIndexAttributes>,
): Promise<boolean> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  Object.entries(wanted.set).forEach(([attribute, hash], index) => {
    names[`#set${index}`] = attribute;
    values[`:set${index}`] = hash;
    sets.push(`#set${index} = :set${index}`);
  });
  const removes = wanted.remove.map((attribute, index) => {
    names[`#remove${index}`] = attribute;
    return `#remove${index}`;
  });
  // Profiles are written only with a version; one without was written before versions existed.
  const versioned = typeof version === 'number';
  if (versioned) values[':version'] = version;
  names['#pk'] = KEY.partition;
  names['#version'] = 'profileVersion';
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: key,
        UpdateExpression: [
          sets.length === 0 ? '' : `SET ${sets.join(', ')}`,
          removes.length === 0 ? '' : `REMOVE ${removes.join(', ')}`,
        ]
          .join(' ')
          .trim(),
        // attribute_exists: an update of an erased customer would otherwise create the item again.
        ConditionExpression: versioned
          ? 'attribute_exists(#pk) AND #version = :version'
          : 'attribute_exists(#pk) AND attribute_not_exists(#version)',
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length === 0 ? {} : { ExpressionAttributeValues: values }),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
