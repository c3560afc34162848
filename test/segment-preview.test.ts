/**
 * Audiences as a marketer counts them: a segment's members now (the store's
 * profiles, read page by page, the history only for segments that look at
 * it), `waymark segment preview` and `list` against a running local engine,
 * and each broadcast run's progress from its stored run and its members'
 * history (test/report/broadcast-progress.test.ts: the counters agree).
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../infra/cli/main.ts';
import { previewSegment, previewSegments } from '../shared/audience/preview.ts';
import { broadcastEventId, memberExecutionName } from '../shared/audience/members.ts';
import type { Segment } from '../shared/audience/segment.ts';
import type { HistoryEntry, HistoryEntryOf, SkipStatus } from '../shared/customer/history.ts';
import type { CustomerProfileInput } from '../shared/customer/profile.ts';
import { customerProfileSchema } from '../shared/customer/profile.ts';
import { broadcastProgress, readBroadcastProgress } from '../shared/report/broadcasts.ts';
import type { BroadcastRunRecord } from '../shared/store/broadcasts.ts';
import { openBroadcastRun, updateBroadcastRun } from '../shared/store/broadcasts.ts';
import type { StoreContext } from '../shared/store/context.ts';
import { writeProfile } from '../shared/store/customers.ts';
import { recountFigures } from '../shared/store/figures-recount.ts';
import { appendHistory, appendJourneyEntry } from '../shared/store/history.ts';
import { profileKey } from '../shared/store/table.ts';
import { captureIo } from './support/io.ts';
import { engineForSuite, OPTED_IN } from './support/local-engine.ts';
import { project } from './support/project.ts';
import { createTestRuntime, localServicesForFile } from './support/runtime-services.ts';

const NOW = new Date('2026-11-18T15:00:00Z');
const DAY_MS = 86_400_000;

function sampleSegment(id: string): Segment {
  const segment = project.segments.get(id);
  if (segment === undefined) throw new Error(`No sample segment ${id}`);
  return segment;
}

async function seedProfile(store: StoreContext, profile: CustomerProfileInput): Promise<void> {
  expect(
    await writeProfile(store, profile.customerId, 0, { profile: customerProfileSchema.parse(profile) }),
  ).toBe(true);
}

async function seedOrder(store: StoreContext, customerId: string, daysAgo: number): Promise<void> {
  const time = new Date(NOW.getTime() - daysAgo * DAY_MS).toISOString();
  await appendHistory(
    store,
    customerId,
    {
      kind: 'event',
      time,
      eventId: `order-${customerId}-${daysAgo}`,
      detailType: 'order.placed',
      source: 'shop',
      detail: { customerId, orderId: `o-${daysAgo}` },
    },
    `order-${customerId}-${daysAgo}`,
  );
}

describe('segment preview over the store', () => {
  const services = localServicesForFile();
  let store: StoreContext;

  beforeAll(async () => {
    // Prepare: four readable profiles in three zones (one with none), one damaged, and orders.
    store = (await createTestRuntime(services)).store;
    const gold = { loyaltyTier: 'gold' };
    await seedProfile(store, {
      customerId: 'p-ana',
      email: 'ana@example.com',
      timeZone: 'America/Sao_Paulo',
      attributes: gold,
    });
    await seedProfile(store, {
      customerId: 'p-bia',
      email: 'bia@example.com',
      timeZone: 'Europe/Lisbon',
      attributes: gold,
    });
    await seedProfile(store, { customerId: 'p-caio', attributes: gold });
    await seedProfile(store, {
      customerId: 'p-dora',
      email: 'dora@example.com',
      timeZone: 'Europe/Lisbon',
      attributes: { loyaltyTier: 'silver' },
    });
    await store.db.send(
      new PutCommand({
        TableName: store.table,
        Item: { ...profileKey('p-broken'), profile: { customerId: 42 }, profileVersion: 1 },
      }),
    );
    await seedOrder(store, 'p-ana', 10);
    await seedOrder(store, 'p-bia', 120);
  });

  it('counts the members, by zone, with the first ids in order, whatever the page size; the history is not read', async () => {
    // Act
    const queriesBefore = services.dynamoRequests.byCommand.get('QueryCommand') ?? 0;
    const onePage = await previewSegment(store, sampleSegment('gold'), { now: NOW });
    const smallPages = await previewSegment(store, sampleSegment('gold'), { now: NOW, pageItems: 2 });

    // Assess
    expect(onePage).toEqual({
      segmentId: 'gold',
      count: 3,
      scanned: 5,
      damaged: 1,
      sample: [
        { customerId: 'p-ana', timeZone: 'America/Sao_Paulo' },
        { customerId: 'p-bia', timeZone: 'Europe/Lisbon' },
        { customerId: 'p-caio' },
      ],
      byZone: { '': 1, 'America/Sao_Paulo': 1, 'Europe/Lisbon': 1 },
    });
    expect(smallPages).toEqual(onePage);
    expect(services.dynamoRequests.byCommand.get('QueryCommand') ?? 0).toBe(queriesBefore);
  });

  it("reads each profile's history for a segment on the history: no order within 90 days", async () => {
    // Act
    const queriesBefore = services.dynamoRequests.byCommand.get('QueryCommand') ?? 0;
    const lapsed = await previewSegment(store, sampleSegment('lapsed'), { now: NOW });

    // Assess: ana ordered 10 days ago, caio has no email; bia's order is 120 days old.
    expect(lapsed.sample.map((member) => member.customerId)).toEqual(['p-bia', 'p-dora']);
    expect(lapsed.count).toBe(2);
    expect(lapsed.historySeconds).toBe(90 * 86_400);
    // One history Query per readable profile.
    expect((services.dynamoRequests.byCommand.get('QueryCommand') ?? 0) - queriesBefore).toBe(4);
  });

  it('keeps only the sample asked for, and sizes several segments in one Scan', async () => {
    // Act
    const one = await previewSegment(store, sampleSegment('gold'), { now: NOW, sampleSize: 1 });
    const none = await previewSegment(store, sampleSegment('gold'), { now: NOW, sampleSize: 0 });
    const scansBefore = services.dynamoRequests.byCommand.get('ScanCommand') ?? 0;
    const both = await previewSegments(store, [sampleSegment('gold'), sampleSegment('lapsed')], {
      now: NOW,
      sampleSize: 0,
    });

    // Assess
    expect(one.sample).toEqual([{ customerId: 'p-ana', timeZone: 'America/Sao_Paulo' }]);
    expect(none.sample).toEqual([]);
    expect(none.count).toBe(3);
    expect(both.map((preview) => [preview.segmentId, preview.count])).toEqual([
      ['gold', 3],
      ['lapsed', 2],
    ]);
    expect((services.dynamoRequests.byCommand.get('ScanCommand') ?? 0) - scansBefore).toBe(1);
  });
});

// ---- broadcast progress ------------------------------------------------------------------------

const JOURNEY = 'weekly-newsletter';
const THIS_WEEK = '2026-11-23T10:00';
const LAST_WEEK = '2026-11-16T10:00';

function run(runId: string, changes: Partial<BroadcastRunRecord> = {}): BroadcastRunRecord {
  return {
    journeyId: JOURNEY,
    runId,
    segment: 'newsletter',
    zone: 'customer',
    status: 'running',
    startedAt: `${runId}:00Z`,
    firstAt: `${runId}:00Z`,
    lastAt: `${runId}:00Z`,
    ...changes,
  };
}

/** A member execution's id as Step Functions and the local engine give it: an ARN ending in its name. */
function memberExecution(runId: string, customerId: string, journeyId = JOURNEY): string {
  return `arn:aws:states:us-east-1:000000000000:execution:${journeyId}:${memberExecutionName(runId, customerId)}`;
}

function journeyEntry(
  executionId: string,
  action: HistoryEntryOf<'journey'>['action'],
  reason?: string,
  journeyId = JOURNEY,
): HistoryEntryOf<'journey'> {
  return {
    kind: 'journey',
    time: '2026-11-23T10:00:01Z',
    journeyId,
    executionId,
    action,
    ...(reason === undefined ? {} : { reason }),
  };
}

function message(executionId: string, time = '2026-11-23T10:00:02Z'): HistoryEntryOf<'message'> {
  return {
    kind: 'message',
    time,
    journeyId: JOURNEY,
    executionId,
    stepId: 'newsletter',
    channel: 'email',
    category: 'marketing',
    messageId: `m-${executionId}-${time}`,
    headline: 'This week',
    preview: 'This week at the shop',
  };
}

function skipped(
  executionId: string,
  status: SkipStatus,
  time = '2026-11-23T10:00:02Z',
): HistoryEntryOf<'skipped'> {
  return {
    kind: 'skipped',
    time,
    journeyId: JOURNEY,
    executionId,
    stepId: 'newsletter',
    status,
    reason: `${status} for the test`,
    channel: 'email',
  };
}

describe('broadcast progress', () => {
  it("counts each run's members from its executions' history: entered, not entered, sent, skipped by reason", () => {
    // Prepare
    const [ana, bia, caio, dora, eva] = ['ana', 'bia', 'caio', 'dora', 'eva'].map((id) =>
      memberExecution(THIS_WEEK, id),
    );
    const lastWeek = memberExecution(LAST_WEEK, 'ana');
    const entries: HistoryEntry[] = [
      journeyEntry(ana ?? '', 'entered'),
      journeyEntry(ana ?? '', 'entered'),
      message(ana ?? ''),
      // Deferred by quiet hours, then sent: sent.
      journeyEntry(bia ?? '', 'entered'),
      skipped(bia ?? '', 'deferred', '2026-11-23T10:00:02Z'),
      message(bia ?? '', '2026-11-23T21:00:00Z'),
      journeyEntry(caio ?? '', 'entered'),
      skipped(caio ?? '', 'opted-out'),
      // Still waiting for quiet hours to end.
      journeyEntry(dora ?? '', 'entered'),
      skipped(dora ?? '', 'deferred'),
      journeyEntry(eva ?? '', 'not-entered', 'concurrency-limit'),
      journeyEntry(lastWeek, 'entered'),
      message(lastWeek),
      // Not a member execution of a run, and another journey's execution named after the run.
      journeyEntry('arn:aws:states:us-east-1:000000000000:execution:weekly-newsletter:cart-1', 'entered'),
      journeyEntry(memberExecution(THIS_WEEK, 'fred', 'other'), 'entered', undefined, 'other'),
    ];

    // Act
    const [thisWeek, previous] = broadcastProgress(
      [
        run(THIS_WEEK, { targeted: 5, started: 5 }),
        run(LAST_WEEK, { status: 'done', targeted: 1, started: 1 }),
      ],
      entries,
    );

    // Assess
    expect(thisWeek).toMatchObject({
      runId: THIS_WEEK,
      status: 'running',
      targeted: 5,
      started: 5,
      entered: 4,
      notEntered: 1,
      notEnteredByReason: { 'concurrency-limit': 1 },
      sent: 2,
      sentByChannel: { email: 2, sms: 0, push: 0 },
      skipped: 2,
      skippedByReason: { 'opted-out': 1, deferred: 1 },
      share: 1,
    });
    expect(previous).toMatchObject({ runId: LAST_WEEK, status: 'done', entered: 1, sent: 1, skipped: 0 });
  });

  it('has no share while the members are still being found, and names a refusal by its code', () => {
    // Prepare
    const ana = memberExecution(THIS_WEEK, 'ana');

    // Act
    const [progress] = broadcastProgress(
      [run(THIS_WEEK)],
      [journeyEntry(ana, 'not-entered', 'duplicate-event: the run already started this member')],
    );

    // Assess
    expect(progress).toMatchObject({
      entered: 0,
      notEntered: 1,
      notEnteredByReason: { 'duplicate-event': 1 },
      started: 0,
      share: null,
    });
    expect(progress?.targeted).toBeUndefined();
  });

  describe('read from the store', () => {
    const services = localServicesForFile();

    it('reads the runs and the counters of their executions', async () => {
      // Prepare
      const store = (await createTestRuntime(services)).store;
      await openBroadcastRun(store, {
        journeyId: JOURNEY,
        runId: THIS_WEEK,
        segment: 'newsletter',
        zone: 'customer',
        startedAt: '2026-11-23T00:00:00Z',
        firstAt: '2026-11-22T20:00:00.000Z',
        lastAt: '2026-11-24T22:00:00.000Z',
      });
      await updateBroadcastRun(store, JOURNEY, THIS_WEEK, { targeted: 3, started: 2 });
      for (const customerId of ['ana', 'bia']) {
        const executionId = memberExecution(THIS_WEEK, customerId);
        await appendHistory(
          store,
          customerId,
          {
            kind: 'event',
            time: '2026-11-23T10:00:00Z',
            eventId: broadcastEventId(JOURNEY, THIS_WEEK),
            detailType: 'waymark.broadcast.member',
            source: 'waymark.audience',
            detail: { customerId },
          },
          'trigger',
        );
        await appendJourneyEntry(store, customerId, journeyEntry(executionId, 'entered'), 'start');
      }
      await appendHistory(store, 'ana', message(memberExecution(THIS_WEEK, 'ana')), 'message');
      await appendHistory(store, 'bia', skipped(memberExecution(THIS_WEEK, 'bia'), 'no-address'), 'skip');
      // No stream here: the counters are rebuilt from the history, as `waymark figures --recount` does.
      await recountFigures(store, [JOURNEY], NOW);

      // Act
      const progress = await readBroadcastProgress(store, [JOURNEY, 'cart-abandonment']);

      // Assess
      expect(progress).toHaveLength(1);
      expect(progress[0]).toMatchObject({
        runId: THIS_WEEK,
        targeted: 3,
        started: 2,
        entered: 2,
        sent: 1,
        skippedByReason: { 'no-address': 1 },
      });
      expect(progress[0]?.share).toBeCloseTo(2 / 3);
      expect(await readBroadcastProgress(store, ['cart-abandonment'])).toEqual([]);
    });
  });
});

// ---- the command line --------------------------------------------------------------------------

describe('waymark segment', () => {
  const engine = engineForSuite();

  async function waymark(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const output = captureIo();
    const code = await main(argv, output.io);
    return { code, out: output.out, err: output.err };
  }

  beforeAll(async () => {
    const subscriber = (email: string, timeZone: string) => ({
      email,
      phone: '+5511900001111',
      timeZone,
      consent: OPTED_IN,
      tags: { add: ['newsletter'] },
    });
    await engine.put(
      'customer.profile.updated',
      'cli-ana',
      subscriber('cli-ana@example.com', 'America/Sao_Paulo'),
    );
    await engine.put(
      'customer.profile.updated',
      'cli-bia',
      subscriber('cli-bia@example.com', 'Europe/Lisbon'),
    );
    await engine.put(
      'customer.profile.updated',
      'cli-caio',
      subscriber('cli-caio@example.com', 'Europe/Lisbon'),
    );
    // Tagged, but not opted in to email: not a member.
    await engine.put('customer.profile.updated', 'cli-dora', {
      email: 'cli-dora@example.com',
      tags: { add: ['newsletter'] },
    });
  });

  it('previews a segment on the local engine: the count, members by zone and a sample of ids, no addresses', async () => {
    // Act
    const result = await waymark(
      'segment',
      'preview',
      'newsletter',
      '--endpoint',
      engine.endpoint,
      '--sample',
      '2',
    );

    // Assess
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toContain('newsletter: Newsletter subscribers');
    expect(result.out).toContain('3 member(s) among 4 profile(s) read');
    expect(result.out).toMatch(/Europe\/Lisbon\s+2/);
    expect(result.out).toMatch(/America\/Sao_Paulo\s+1/);
    expect(result.out).toContain('First 2 member(s) by customer id');
    expect(result.out).toMatch(/cli-ana\s+America\/Sao_Paulo/);
    expect(result.out).toMatch(/cli-bia\s+Europe\/Lisbon/);
    expect(result.out).not.toContain('cli-caio');
    expect(result.out).not.toContain('cli-dora');
    expect(result.out).not.toContain('@example.com');
    expect(result.out).not.toContain('+5511');
  });

  it('prints the preview as JSON with --json', async () => {
    // Act
    const result = await waymark('segment', 'preview', 'newsletter', '--endpoint', engine.endpoint, '--json');

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toMatchObject({
      segmentId: 'newsletter',
      count: 3,
      byZone: { 'America/Sao_Paulo': 1, 'Europe/Lisbon': 2 },
      sample: [{ customerId: 'cli-ana' }, { customerId: 'cli-bia' }, { customerId: 'cli-caio' }],
    });
    expect(result.out).not.toContain('@example.com');
  });

  it('names an unknown segment with the nearest one and exits 1, before reading anything', async () => {
    // Act
    const result = await waymark('segment', 'preview', 'newsleter', '--endpoint', 'http://127.0.0.1:9');

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toContain('no segment "newsleter" in journeys/segments/: did you mean "newsletter"?');
    expect(result.err).toContain('segments: gold, lapsed, newsletter');
  });

  it('says when no engine answers, and refuses a command line it cannot act on', async () => {
    // Act
    const absent = await waymark('segment', 'preview', 'gold', '--endpoint', 'http://127.0.0.1:9');
    const noId = await waymark('segment', 'preview');
    const badSample = await waymark('segment', 'preview', 'gold', '--sample', 'lots');
    const awsWithoutTable = await waymark('segment', 'preview', 'gold', '--aws');
    const unknown = await waymark('segment', 'count', 'gold');

    // Assess
    expect(absent.code).toBe(1);
    expect(absent.err).toContain('no local engine at http://127.0.0.1:9');
    for (const wrong of [noId, badSample, awsWithoutTable, unknown]) {
      expect(wrong.code).toBe(2);
      expect(wrong.err).toContain('usage: waymark segment');
    }
    expect(awsWithoutTable.err).toContain('--aws needs --table');
  });

  it('lists each segment with its name and the journeys that start from it', async () => {
    // Act
    const result = await waymark('segment', 'list');

    // Assess
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    const lines = result.out.split('\n');
    expect(lines.find((line) => line.startsWith('gold '))).toMatch(/Gold customers\s+gold-welcome \(enter\)/);
    expect(lines.find((line) => line.startsWith('lapsed '))).toMatch(/Lapsed buyers\s+-$/);
    expect(lines.find((line) => line.startsWith('newsletter '))).toMatch(
      /Newsletter subscribers\s+weekly-newsletter \(recurring\)/,
    );
  });
});
