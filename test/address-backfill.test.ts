/**
 * The backfill of the address indexes' attributes (shared/store/address-backfill.ts) and its command,
 * `waymark index-addresses`, over real dynalite: profiles written before the indexes become findable,
 * a second run writes nothing, a run goes on from where another stopped, and nothing but counts is
 * printed.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { customerProfileSchema } from '../shared/customer/profile.ts';
import { addressHash } from '../shared/delivery/availability.ts';
import { backfillAddressIndex, type ResumeKey } from '../shared/store/address-backfill.ts';
import { searchCustomers } from '../shared/store/customer-search.ts';
import { ADDRESS_INDEXES, profileKey } from '../shared/store/table.ts';
import { captureIo } from './support/io.ts';
import { createTestRuntime, localServicesForFile, type TestRuntime } from './support/runtime-services.ts';

const services = localServicesForFile();

/** A profile item as writeProfile left it before the address indexes: no hash attributes. */
async function putOldProfile(
  runtime: TestRuntime,
  customerId: string,
  contacts: { email?: string; phone?: string },
  extra: Record<string, unknown> = {},
): Promise<void> {
  await runtime.store.db.send(
    new PutCommand({
      TableName: runtime.store.table,
      Item: {
        ...profileKey(customerId),
        profile: customerProfileSchema.parse({ customerId, ...contacts }),
        profileVersion: 4,
        ...extra,
      },
    }),
  );
}

async function storedItem(runtime: TestRuntime, customerId: string): Promise<Record<string, unknown>> {
  const read = await runtime.store.db.send(
    new GetCommand({ TableName: runtime.store.table, Key: profileKey(customerId), ConsistentRead: true }),
  );
  return read.Item ?? {};
}

async function seedOldTable(runtime: TestRuntime): Promise<void> {
  await putOldProfile(runtime, 'old-ana', { email: 'Ana@Example.com', phone: '+5511987650303' });
  await putOldProfile(runtime, 'old-bruno', { email: 'bruno@example.com' });
  // A hash left from an address the profile no longer has (and one for a phone it never had).
  await putOldProfile(
    runtime,
    'old-carla',
    { email: 'carla.new@example.com' },
    {
      [ADDRESS_INDEXES.email.attribute]: addressHash('carla.old@example.com'),
      [ADDRESS_INDEXES.phone.attribute]: addressHash('+5511987650404'),
    },
  );
  await runtime.store.db.send(
    new PutCommand({
      TableName: runtime.store.table,
      Item: { ...profileKey('old-damaged'), profile: { customerId: 'old-damaged', email: 'not an address' } },
    }),
  );
  await runtime.store.db.send(
    new PutCommand({
      TableName: runtime.store.table,
      Item: { pk: 'C#old-ana', sk: 'H#2026-01-01T00:00:00.000Z#e1', entry: {} },
    }),
  );
}

describe('backfilling the address indexes', () => {
  it('makes profiles written before the indexes findable, fixes stale hashes, and writes nothing the second time', async () => {
    const runtime = await createTestRuntime(services);
    await seedOldTable(runtime);
    expect(await searchCustomers(runtime.store, 'ana@example.com', 10)).toMatchObject({ matches: [] });

    const first = await backfillAddressIndex(runtime.store);
    expect(first).toEqual({ profiles: 4, updated: 3, unchanged: 0, damaged: 1, gone: 0, busy: 0 });
    expect(await searchCustomers(runtime.store, 'ANA@example.com', 10)).toMatchObject({
      matches: [{ customerId: 'old-ana' }],
    });
    expect(await searchCustomers(runtime.store, '+55 11 98765-0303', 10)).toMatchObject({
      matches: [{ customerId: 'old-ana' }],
    });
    expect(await searchCustomers(runtime.store, 'carla.new@example.com', 10)).toMatchObject({
      matches: [{ customerId: 'old-carla' }],
    });
    const carla = await storedItem(runtime, 'old-carla');
    expect(carla[ADDRESS_INDEXES.email.attribute]).toBe(addressHash('carla.new@example.com'));
    expect(carla).not.toHaveProperty(ADDRESS_INDEXES.phone.attribute);
    // The version is the profile's own: setting its index attributes is not a profile change.
    expect(carla.profileVersion).toBe(4);

    const second = await backfillAddressIndex(runtime.store);
    expect(second).toEqual({ profiles: 4, updated: 0, unchanged: 3, damaged: 1, gone: 0, busy: 0 });
  });

  it('goes on from the key where an earlier page ended, reading only what comes after it', async () => {
    const runtime = await createTestRuntime(services);
    await seedOldTable(runtime);
    const pages: { profiles: number; next: ResumeKey | undefined }[] = [];
    await backfillAddressIndex(runtime.store, {
      pageSize: 2,
      onPage: (counts, next) => pages.push({ profiles: counts.profiles, next }),
    });
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.at(-1)?.next).toBeUndefined();
    const [first] = pages;
    if (first?.next === undefined) throw new Error('expected a second page');

    const rest = await backfillAddressIndex(runtime.store, { startAfter: first.next });
    expect(rest.profiles).toBe(4 - first.profiles);
    expect(rest.updated).toBe(0);
  });

  it('runs as waymark index-addresses against an endpoint, printing counts and never an address', async () => {
    const runtime = await createTestRuntime(services);
    await seedOldTable(runtime);
    const run = captureIo();
    const code = await main(
      ['index-addresses', '--endpoint', services.dynamoEndpoint, '--table', runtime.store.table],
      run.io,
    );
    expect(code).toBe(0);
    expect(run.out).toBe(
      `Done: 4 profiles read, 3 indexed, 0 already right, 1 not readable (left as they are) in table ${runtime.store.table}.\n`,
    );
    expect(run.out + run.err).not.toMatch(/example\.com|5511/);
    expect(await searchCustomers(runtime.store, 'bruno@example.com', 10)).toMatchObject({
      matches: [{ customerId: 'old-bruno' }],
    });

    const bad = captureIo();
    expect(await main(['index-addresses', '--resume', 'not-a-token'], bad.io)).toBe(2);
    expect(bad.err).toContain('--resume: not a token this command printed');
  });
});
