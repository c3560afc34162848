/**
 * The customer item: profile, send ledger, suppressions and engagement
 * hours in one item, so a delivery gets everything it decides on in one read.
 * Profile and ledger each carry their own version: a profile update and a
 * delivery never wait for each other, and neither overwrites the other.
 */
import { BatchGetCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { channelSchema, customerProfileSchema, type CustomerProfile } from '../customer/profile.ts';
import type { FieldStamps } from '../customer/profile-update.ts';
import { type Ledger, type SendRecord, sendRecordSchema } from '../delivery/caps.ts';
import { addressIndexAttributes } from './address-index.ts';
import { isConditionFailure, type StoreContext } from './context.ts';
import {
  type Membership,
  membershipAttributes,
  membershipsOfCustomerItem,
  runAdmittedAttribute,
} from './journeys.ts';
import { customerKey, profileKey } from './table.ts';

export const suppressionRecordSchema = z.object({
  addressHash: z.string(),
  /** A bounce means the address cannot receive; a complaint means the customer does not want it. */
  kind: z.enum(['bounce', 'complaint']),
  time: z.string(),
});
export type SuppressionRecord = z.infer<typeof suppressionRecordSchema>;
export const suppressionsSchema = z.partialRecord(channelSchema, suppressionRecordSchema);
export type Suppressions = z.infer<typeof suppressionsSchema>;

export interface CustomerRecord {
  profile: CustomerProfile;
  profileVersion: number;
  ledger: Ledger;
  suppressions: Suppressions;
  /** Engagement counts by local hour (24 entries), for the preferred-hour wait. */
  engagementByHour: number[];
  /** When, and by which event, each profile field was last set: how late updates merge. */
  fieldStamps: FieldStamps;
  /** The customer's places in journeys (membership attributes on the same item), by journey id. */
  places: ReadonlyMap<string, Membership>;
}

export type CustomerRead =
  | { found: true; customer: CustomerRecord }
  /** `places`: the item is there, holding journey places only (no profile yet). */
  | { found: false; places?: ReadonlyMap<string, Membership> }
  /** The stored profile does not parse: reported with the reason, never used half-read. */
  | { found: 'damaged'; reason: string };

const storedItemSchema = z.object({
  profile: z.unknown(),
  profileVersion: z.number().int().default(0),
  ledger: z.array(sendRecordSchema).default([]),
  ledgerVersion: z.number().int().default(0),
  suppressions: suppressionsSchema.default({}),
  engagement: z.array(z.number()).length(24).optional(),
  fieldStamps: z.record(z.string(), z.object({ at: z.string(), by: z.string() })).default({}),
  // Written before field stamps existed: when each channel's consent last changed.
  consentChangedAt: z.partialRecord(channelSchema, z.string()).default({}),
});

/**
 * Whether the customer has a profile: reads its version only (the item may hold nothing but journey
 * places, which admission writes there).
 */
export async function hasProfile(store: StoreContext, customerId: string): Promise<boolean> {
  const result = await store.db.send(
    new GetCommand({
      TableName: store.table,
      Key: profileKey(customerId),
      ProjectionExpression: 'profileVersion',
      ConsistentRead: true,
    }),
  );
  return result.Item?.profileVersion !== undefined;
}

export async function readCustomer(store: StoreContext, customerId: string): Promise<CustomerRead> {
  const result = await store.db.send(
    new GetCommand({ TableName: store.table, Key: profileKey(customerId), ConsistentRead: true }),
  );
  return result.Item === undefined ? { found: false } : parseCustomerItem(result.Item);
}

/** A stored customer item as the code reads it: the one parser for a GetItem and a Scan alike. */
export function parseCustomerItem(stored: Record<string, unknown>): CustomerRead {
  // Journey places alone (admission writes them on this item): no profile yet.
  if (stored.profile === undefined) return { found: false, places: membershipsOfCustomerItem(stored) };
  const item = storedItemSchema.safeParse(stored);
  if (!item.success) return { found: 'damaged', reason: z.prettifyError(item.error) };
  const profile = customerProfileSchema.safeParse(item.data.profile);
  if (!profile.success) return { found: 'damaged', reason: z.prettifyError(profile.error) };
  return {
    found: true,
    customer: {
      profile: profile.data,
      profileVersion: item.data.profileVersion,
      ledger: { version: item.data.ledgerVersion, sends: item.data.ledger },
      suppressions: item.data.suppressions,
      engagementByHour: item.data.engagement ?? new Array<number>(24).fill(0),
      fieldStamps: { ...legacyConsentStamps(item.data.consentChangedAt), ...item.data.fieldStamps },
      places: membershipsOfCustomerItem(stored),
    },
  };
}

/**
 * Whether a high-volume run still holds its place, from a customer read: `erased` when nothing of the
 * customer is stored (nothing may be written for them), `ended` when a goal, an exit or the run's own
 * end freed it.
 */
export function runPlace(
  read: CustomerRead,
  journeyId: string,
  runId: string,
): 'active' | 'ended' | 'erased' {
  const places = read.found === true ? read.customer.places : read.found === false ? read.places : undefined;
  if (read.found === false && places === undefined) return 'erased';
  return places?.get(journeyId)?.active.includes(runId) === true ? 'active' : 'ended';
}

function legacyConsentStamps(changedAt: Partial<Record<string, string>>): FieldStamps {
  const stamps: FieldStamps = {};
  for (const [channel, at] of Object.entries(changedAt)) {
    if (at !== undefined) stamps[`consent.${channel}`] = { at, by: 'consentChangedAt' };
  }
  return stamps;
}

/**
 * Replaces the ledger if its version is still `expected`, answering the ledger as now stored.
 * Undefined when another delivery got there first (or the customer was erased): read again and
 * decide again. With `freeing`, the same write closes that execution's place in its journey: the
 * last send of a journey costs no write of its own for that.
 */
export async function writeLedger(
  store: StoreContext,
  customerId: string,
  expected: number,
  sends: SendRecord[],
  freeing?: { journeyId: string; executionId: string },
): Promise<Ledger | undefined> {
  const versionCondition =
    expected === 0 ? 'attribute_not_exists(ledgerVersion)' : 'ledgerVersion = :expected';
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: profileKey(customerId),
        UpdateExpression: `SET ledger = :sends, ledgerVersion = :next${freeing === undefined ? '' : ' DELETE #active :execution REMOVE #runAt'}`,
        ConditionExpression: `attribute_exists(pk) AND ${versionCondition}`,
        ...(freeing === undefined
          ? {}
          : {
              ExpressionAttributeNames: {
                '#active': membershipAttributes(freeing.journeyId).active,
                '#runAt': runAdmittedAttribute(freeing.journeyId, freeing.executionId),
              },
            }),
        ExpressionAttributeValues: {
          ':sends': sends,
          ':next': expected + 1,
          ...(expected === 0 ? {} : { ':expected': expected }),
          ...(freeing === undefined ? {} : { ':execution': new Set([freeing.executionId]) }),
        },
      }),
    );
    return { version: expected + 1, sends };
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** The parts of the customer item a write replaces; what it leaves out stays as stored. */
export interface ProfileWrite {
  profile: CustomerProfile;
  engagementByHour?: number[];
  suppressions?: Suppressions;
  fieldStamps?: FieldStamps;
}

/** Writes the profile part if its version is still `expected` (0: the customer is new). */
export async function writeProfile(
  store: StoreContext,
  customerId: string,
  expected: number,
  write: ProfileWrite,
): Promise<boolean> {
  const optional = {
    engagement: write.engagementByHour,
    suppressions: write.suppressions,
    fieldStamps: write.fieldStamps,
  };
  const values: Record<string, unknown> = { ':profile': write.profile, ':next': expected + 1 };
  const sets = ['profile = :profile', 'profileVersion = :next'];
  for (const [attribute, value] of Object.entries(optional)) {
    if (value === undefined) continue;
    sets.push(`${attribute} = :${attribute}`);
    values[`:${attribute}`] = value;
  }
  // The address indexes' keys are written with the profile they come from: a changed or removed
  // address takes its hash with it, so the index never keeps an address the customer no longer has.
  const index = addressIndexAttributes(write.profile);
  for (const [attribute, hash] of Object.entries(index.set)) {
    sets.push(`${attribute} = :${attribute}`);
    values[`:${attribute}`] = hash;
  }
  const removes = index.remove.length === 0 ? '' : ` REMOVE ${index.remove.join(', ')}`;
  if (expected !== 0) values[':expected'] = expected;
  try {
    await store.db.send(
      new UpdateCommand({
        TableName: store.table,
        Key: profileKey(customerId),
        UpdateExpression: `SET ${sets.join(', ')}${removes}`,
        ConditionExpression:
          expected === 0 ? 'attribute_not_exists(profileVersion)' : 'profileVersion = :expected',
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Optimistic profile writes retry this often before giving up (the caller's own retry then takes over). */
const MAX_PROFILE_ATTEMPTS = 20;

/** What to do with the customer as read: write this (then answer `then`), or answer without writing. */
export type CustomerDecision<T> = { write: ProfileWrite; then: T } | { done: T };

/**
 * Read, decide, write if nobody wrote in between, else read and decide again: the one way the
 * profile part of the customer item changes, so concurrent updates never overwrite each other.
 */
export async function updateCustomer<T>(
  store: StoreContext,
  customerId: string,
  decide: (read: CustomerRead) => CustomerDecision<T> | Promise<CustomerDecision<T>>,
): Promise<T> {
  for (let attempt = 1; attempt <= MAX_PROFILE_ATTEMPTS; attempt += 1) {
    const read = await readCustomer(store, customerId);
    const decision = await decide(read);
    if ('done' in decision) return decision.done;
    const version = read.found === true ? read.customer.profileVersion : 0;
    if (await writeProfile(store, customerId, version, decision.write)) return decision.then;
  }
  throw new Error(`A customer's profile kept changing during ${MAX_PROFILE_ATTEMPTS} attempts; try again.`);
}

/** The reason a damaged stored profile gives, the same wherever it is met. */
export function damagedProfile(reason: string): string {
  return `The stored profile is damaged: ${reason}`;
}

/**
 * Of these customers, those with a profile: one BatchGetItem per 100, only the version read (an item
 * holding only journey places is no profile).
 */
export async function customersWithProfile(
  store: StoreContext,
  customerIds: readonly string[],
): Promise<Set<string>> {
  const found = new Set<string>();
  for (let first = 0; first < customerIds.length; first += 100) {
    let keys: Record<string, unknown>[] = customerIds.slice(first, first + 100).map((id) => profileKey(id));
    // Unprocessed keys (throttling) are asked for again, with a growing pause.
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
      const result = await store.db.send(
        new BatchGetCommand({
          RequestItems: {
            [store.table]: { Keys: keys, ProjectionExpression: 'pk, profileVersion', ConsistentRead: true },
          },
        }),
      );
      for (const item of result.Responses?.[store.table] ?? []) {
        if (typeof item.pk === 'string' && item.profileVersion !== undefined) {
          found.add(item.pk.slice(customerKey('').length));
        }
      }
      keys = result.UnprocessedKeys?.[store.table]?.Keys ?? [];
    }
  }
  return found;
}
