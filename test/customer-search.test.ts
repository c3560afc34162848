/**
 * shared/store/customer-search.ts over real dynalite: a customer is found by a whole email address
 * (any case, any spaces) or phone number through the address indexes, never by an address they no
 * longer have or after erasure, and no key holds an address. Profiles are written the way production
 * writes them (record, for a profile event), except where a test needs a profile record cannot give.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { customerProfileSchema } from '../shared/customer/profile.ts';
import { addressHash } from '../shared/delivery/availability.ts';
import { eraseCustomer } from '../shared/runtime/preferences.ts';
import { readCustomer, writeProfile } from '../shared/store/customers.ts';
import { readSearchText, searchCustomers, type CustomerSearch } from '../shared/store/customer-search.ts';
import { ADDRESS_INDEXES, profileKey, tableDefinition } from '../shared/store/table.ts';
import { seedCustomer } from './support/runtime-fixtures.ts';
import { createTestRuntime, localServicesForFile, type TestRuntime } from './support/runtime-services.ts';

const services = localServicesForFile();
const LIMIT = 50;

const ANA = { email: 'Ana.Search@Example.com', phone: '+5511987650101', consent: { email: 'opted-in' } };

/** The customer ids a search found, or what it answered instead. */
function idsOf(found: CustomerSearch): string[] | string {
  return found.kind === 'matches' ? found.matches.map((match) => match.customerId) : found.kind;
}

async function find(runtime: TestRuntime, text: string): Promise<string[] | string> {
  return idsOf(await searchCustomers(runtime.store, text, LIMIT));
}

describe('customer search through the address indexes', () => {
  it('finds a customer by email in any case and with spaces around it, and shows the stored address', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'search-ana', ANA);
    await seedCustomer(runtime, 'search-other', { email: 'other@example.com' });

    const found = await searchCustomers(runtime.store, '  ana.search@EXAMPLE.COM ', LIMIT);
    expect(found).toEqual({
      kind: 'matches',
      by: 'email',
      matches: [
        {
          customerId: 'search-ana',
          email: 'Ana.Search@Example.com',
          phone: '+5511987650101',
          updatedAt: expect.any(String),
        },
      ],
      more: false,
    });
  });

  it('finds a customer by phone, however the number is spaced and bracketed', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'search-phone', ANA);
    expect(await find(runtime, '+55 (11) 98765-0101')).toEqual(['search-phone']);
    expect(await find(runtime, '+5511987650101')).toEqual(['search-phone']);
    // The same digits without the country's "+" are not an E.164 number: nothing is read by address.
    expect(await find(runtime, '5511987650101')).toBe('unsearchable');
  });

  it('no longer finds a customer by an address they changed, and finds them by the new one', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'search-moved', ANA);
    runtime.clock.now = new Date(runtime.clock.now.getTime() + 60_000);
    await seedCustomer(runtime, 'search-moved', { email: 'ana.new@example.com', phone: '+5511987650202' });

    expect(await find(runtime, 'ana.search@example.com')).toEqual([]);
    expect(await find(runtime, '+5511987650101')).toEqual([]);
    expect(await find(runtime, 'ANA.NEW@example.com')).toEqual(['search-moved']);
    expect(await find(runtime, '+5511987650202')).toEqual(['search-moved']);
  });

  it('takes a removed address out of its index: the attribute goes with it', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'search-no-phone', ANA);
    const read = await readCustomer(runtime.store, 'search-no-phone');
    if (read.found !== true) throw new Error('seeded customer not found');
    // No profile update removes a contact today; a write of a profile without one must still clear it.
    const { phone: _removed, ...withoutPhone } = read.customer.profile;
    expect(
      await writeProfile(runtime.store, 'search-no-phone', read.customer.profileVersion, {
        profile: withoutPhone,
      }),
    ).toBe(true);

    expect(await find(runtime, '+5511987650101')).toEqual([]);
    expect(await find(runtime, 'ana.search@example.com')).toEqual(['search-no-phone']);
    const item = await profileItem(runtime, 'search-no-phone');
    expect(item).not.toHaveProperty(ADDRESS_INDEXES.phone.attribute);
    expect(item[ADDRESS_INDEXES.email.attribute]).toBe(addressHash('ana.search@example.com'));
  });

  it('finds nobody after erasure', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'search-erased', ANA);
    expect(await find(runtime, 'ana.search@example.com')).toEqual(['search-erased']);
    await eraseCustomer(runtime, 'search-erased');
    expect(await find(runtime, 'ana.search@example.com')).toEqual([]);
    expect(await find(runtime, '+5511987650101')).toEqual([]);
    expect(await find(runtime, 'search-erased')).toBe('unsearchable');
  });

  it('keeps every address out of the keys: table and index keys hold ids and hashes only', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'search-keys', ANA);
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      endpoint: services.dynamoEndpoint,
    });
    const table = (await client.send(new DescribeTableCommand({ TableName: runtime.store.table }))).Table;
    const keyAttributes = new Set(
      [
        ...(table?.KeySchema ?? []),
        ...(table?.GlobalSecondaryIndexes ?? []).flatMap((index) => index.KeySchema ?? []),
      ].map((key) => key.AttributeName ?? ''),
    );
    // sentDay (the index of sent messages) is a day and a shard number.
    expect([...keyAttributes].sort()).toEqual(['emailHash', 'phoneHash', 'pk', 'sentDay', 'sk']);
    const items =
      (await runtime.store.db.send(new ScanCommand({ TableName: runtime.store.table }))).Items ?? [];
    expect(items.length).toBeGreaterThan(1);
    for (const item of items) {
      for (const attribute of keyAttributes) {
        const value = String(item[attribute] ?? '').toLowerCase();
        for (const secret of ['ana.search', 'example.com', '5511987650101', '987650101'])
          expect(value).not.toContain(secret);
      }
    }
    const profile = await profileItem(runtime, 'search-keys');
    expect(profile[ADDRESS_INDEXES.email.attribute]).toMatch(/^[0-9a-f]{64}$/);
    expect(profile[ADDRESS_INDEXES.phone.attribute]).toBe(addressHash('+5511987650101'));
  });

  it('tells a customer id, a whole address and anything else apart, and searches nothing for a part', async () => {
    const runtime = await createTestRuntime(services);
    await seedCustomer(runtime, 'search-parts', ANA);
    expect(await searchCustomers(runtime.store, 'search-parts', LIMIT)).toEqual({
      kind: 'customer',
      customerId: 'search-parts',
    });
    expect(await searchCustomers(runtime.store, '   ', LIMIT)).toEqual({ kind: 'empty' });
    for (const part of ['ana.search', 'Example.com', '@example.com', 'Ana', '98765', 'search-par'])
      expect(await searchCustomers(runtime.store, part, LIMIT)).toEqual({ kind: 'unsearchable', text: part });
    expect(readSearchText('ana@example.com')).toMatchObject({ kind: 'address', address: { kind: 'email' } });
    expect(readSearchText('+44 20 7946 0000')).toMatchObject({ kind: 'address', address: { kind: 'phone' } });
  });

  it('lists every customer sharing an address, up to the limit, and says when there are more', async () => {
    const runtime = await createTestRuntime(services);
    for (const id of ['shared-c', 'shared-a', 'shared-b'])
      await seedCustomer(runtime, id, { email: 'family@example.com' });
    expect(await find(runtime, 'family@example.com')).toEqual(['shared-a', 'shared-b', 'shared-c']);
    const limited = await searchCustomers(runtime.store, 'family@example.com', 2);
    expect(limited).toMatchObject({ kind: 'matches', more: true });
    expect(idsOf(limited)).toHaveLength(2);
  });

  it('shows nobody by an address an index entry still names but the profile no longer has', async () => {
    const runtime = await createTestRuntime(services);
    // An index is updated a moment after its table: this item is what a lagging entry points at.
    await runtime.store.db.send(
      new PutCommand({
        TableName: runtime.store.table,
        Item: {
          ...profileKey('search-lagging'),
          profile: customerProfileSchema.parse({ customerId: 'search-lagging', email: 'now@example.com' }),
          profileVersion: 2,
          [ADDRESS_INDEXES.email.attribute]: addressHash('before@example.com'),
        },
      }),
    );
    expect(await find(runtime, 'before@example.com')).toEqual([]);
  });

  it('says which index is missing on a table without them, instead of failing', async () => {
    const runtime = await createTestRuntime(services);
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      endpoint: services.dynamoEndpoint,
    });
    const { GlobalSecondaryIndexes: _indexes, ...withoutIndexes } = tableDefinition(`bare-${randomUUID()}`);
    const bare = {
      ...withoutIndexes,
      AttributeDefinitions: withoutIndexes.AttributeDefinitions?.slice(0, 2),
    };
    await client.send(new CreateTableCommand(bare));
    // dynalite creates a table a moment later (on a busy machine, later still): wait until it is there.
    await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: bare.TableName });
    const store = { db: runtime.store.db, table: bare.TableName ?? '' };
    expect(await searchCustomers(store, 'ana@example.com', LIMIT)).toEqual({
      kind: 'no-index',
      by: 'email',
      indexName: 'byEmailHash',
    });
    expect(await searchCustomers(store, '+5511987650101', LIMIT)).toMatchObject({
      kind: 'no-index',
      by: 'phone',
    });
  });
});

async function profileItem(runtime: TestRuntime, customerId: string): Promise<Record<string, unknown>> {
  const read = await runtime.store.db.send(
    new GetCommand({ TableName: runtime.store.table, Key: profileKey(customerId), ConsistentRead: true }),
  );
  if (read.Item === undefined) throw new Error(`no profile item for ${customerId}`);
  return read.Item;
}
