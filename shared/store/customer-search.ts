/**
 * Customer search without a full-table read, for the panel over any table size: a customer id is
 * one Query by key, a whole email address or phone number one Query of its address index (by the
 * address's hash, table.ts's ADDRESS_INDEXES) and one BatchGetItem of the profiles it names. Any
 * other text (part of a name or an address) is not searched: only a Scan of every customer could,
 * and at a million customers that is a million reads per keystroke.
 */
import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  customerIdSchema,
  customerProfileSchema,
  emailAddressSchema,
  phoneSchema,
} from '../customer/profile.ts';
import { addressHash } from '../delivery/availability.ts';
import { isRecord } from '../json.ts';
import { profileAddress } from './address-index.ts';
import type { StoreContext } from './context.ts';
import { ADDRESS_INDEXES, type AddressKind, customerKey, KEY, profileKey } from './table.ts';

/** One customer as the search list shows it. */
export interface CustomerMatch {
  customerId: string;
  email?: string;
  phone?: string;
  updatedAt?: string;
}

/** An address searched for, by its hash only: the address itself goes into no request. */
export interface AddressQuery {
  kind: AddressKind;
  hash: string;
}

export type SearchText =
  | { kind: 'empty' }
  /** A whole email address or an E.164 number; `text` may still be a customer id too. */
  | { kind: 'address'; text: string; address: AddressQuery }
  /** Only a customer id could match it. */
  | { kind: 'other'; text: string };

export type AddressSearch =
  /** Customers whose profile has the address now, by id; `more`: there were more than the limit. */
  | { kind: 'matches'; by: AddressKind; matches: CustomerMatch[]; more: boolean }
  /** The table has no such index (a stage that brought its own table, or not deployed yet). */
  | { kind: 'no-index'; by: AddressKind; indexName: string };

export type CustomerSearch =
  | { kind: 'empty' }
  /** The text is the id of a stored customer (with or without a profile). */
  | { kind: 'customer'; customerId: string }
  /** Neither a stored customer's id, nor a whole email address or phone number. */
  | { kind: 'unsearchable'; text: string }
  | AddressSearch;

/** The separators people type in phone numbers: "+55 (11) 98765-4321" is "+5511987654321". */
const PHONE_SEPARATORS = /[\s().-]/g;

/** What a search text can find: email and phone are told apart by the profile's own schemas. */
export function readSearchText(input: string): SearchText {
  const text = input.trim();
  if (text === '') return { kind: 'empty' };
  // addressHash trims and lower-cases, as it does for the stored address: any case finds it.
  if (emailAddressSchema.safeParse(text).success)
    return { kind: 'address', text, address: { kind: 'email', hash: addressHash(text) } };
  const phone = text.replace(PHONE_SEPARATORS, '');
  if (phoneSchema.safeParse(phone).success)
    return { kind: 'address', text, address: { kind: 'phone', hash: addressHash(phone) } };
  return { kind: 'other', text };
}

/** A customer id first (an id may look like an address), then the address, else nothing is read. */
export async function searchCustomers(
  store: StoreContext,
  input: string,
  limit: number,
): Promise<CustomerSearch> {
  const search = readSearchText(input);
  if (search.kind === 'empty') return search;
  if (await customerExists(store, search.text)) return { kind: 'customer', customerId: search.text };
  switch (search.kind) {
    case 'other':
      return { kind: 'unsearchable', text: search.text };
    case 'address':
      return findCustomersByAddress(store, search.address, limit);
  }
}

/** Whether anything is stored under this id: one Query of its partition's first key. */
async function customerExists(store: StoreContext, customerId: string): Promise<boolean> {
  // Longer than an id may be: not one (and past DynamoDB's key size, the Query would be refused).
  if (!customerIdSchema.safeParse(customerId).success) return false;
  const result = await store.db.send(
    new QueryCommand({
      TableName: store.table,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': KEY.partition },
      ExpressionAttributeValues: { ':pk': customerKey(customerId) },
      ProjectionExpression: '#pk',
      Limit: 1,
    }),
  );
  return (result.Items ?? []).length > 0;
}

/**
 * Customers whose profile has this address, at most `limit`: the index names them (keys only), and
 * each profile is then read by key, strongly consistent, and kept only if it still has the address:
 * an index is updated a moment after its table, and must not show a customer by an old address.
 */
export async function findCustomersByAddress(
  store: StoreContext,
  address: AddressQuery,
  limit: number,
): Promise<AddressSearch> {
  const { indexName, attribute } = ADDRESS_INDEXES[address.kind];
  const customerIds: string[] = [];
  let startKey: Record<string, unknown> | undefined;
  try {
    do {
      const page = await store.db.send(
        new QueryCommand({
          TableName: store.table,
          IndexName: indexName,
          KeyConditionExpression: '#hash = :hash',
          ExpressionAttributeNames: { '#hash': attribute },
          ExpressionAttributeValues: { ':hash': address.hash },
          // One more than shown tells whether there are more.
          Limit: limit + 1 - customerIds.length,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of page.Items ?? []) {
        const customerId = customerIdOf(item);
        if (customerId !== undefined) customerIds.push(customerId);
      }
      startKey = isRecord(page.LastEvaluatedKey) ? page.LastEvaluatedKey : undefined;
    } while (startKey !== undefined && customerIds.length <= limit);
  } catch (error) {
    if (isMissingIndex(error)) return { kind: 'no-index', by: address.kind, indexName };
    throw error;
  }
  const matches: CustomerMatch[] = [];
  for (const item of await readProfiles(store, customerIds)) {
    const customerId = customerIdOf(item);
    const profile = customerProfileSchema.safeParse(item.profile);
    if (customerId === undefined || !profile.success) continue;
    const current = profileAddress(profile.data, address.kind);
    if (current === undefined || addressHash(current) !== address.hash) continue;
    const { email, phone, updatedAt } = profile.data;
    matches.push({
      customerId,
      ...(email === undefined ? {} : { email }),
      ...(phone === undefined ? {} : { phone }),
      ...(updatedAt === undefined ? {} : { updatedAt }),
    });
  }
  matches.sort((a, b) => a.customerId.localeCompare(b.customerId));
  return {
    kind: 'matches',
    by: address.kind,
    matches: matches.slice(0, limit),
    more: matches.length > limit,
  };
}

const CUSTOMER_PREFIX = customerKey('');

function customerIdOf(item: Record<string, unknown>): string | undefined {
  const partition = item[KEY.partition];
  return typeof partition === 'string' && partition.startsWith(CUSTOMER_PREFIX)
    ? partition.slice(CUSTOMER_PREFIX.length)
    : undefined;
}

/** DynamoDB's answer (and dynalite's) to a Query of an index the table does not have. */
function isMissingIndex(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === 'ValidationException' &&
    error.message.includes('does not have the specified index')
  );
}

/** The profile items of these customers, strongly consistent: one BatchGetItem per 100 keys. */
async function readProfiles(
  store: StoreContext,
  customerIds: readonly string[],
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for (let first = 0; first < customerIds.length; first += 100) {
    let keys: Record<string, unknown>[] = customerIds.slice(first, first + 100).map((id) => profileKey(id));
    // Unprocessed keys (throttling) are asked for again, with a growing pause.
    for (let attempt = 0; keys.length > 0; attempt += 1) {
      if (attempt > 0) await sleep(Math.min(1000, 50 * 2 ** attempt));
      const result = await store.db.send(
        new BatchGetCommand({
          RequestItems: {
            [store.table]: {
              Keys: keys,
              ProjectionExpression: '#pk, #profile',
              ExpressionAttributeNames: { '#pk': KEY.partition, '#profile': 'profile' },
              ConsistentRead: true,
            },
          },
        }),
      );
      items.push(...(result.Responses?.[store.table] ?? []));
      keys = result.UnprocessedKeys?.[store.table]?.Keys ?? [];
    }
  }
  return items;
}
