/**
 * A broadcast run's progress from the figures' run counters (shared/figures/aggregate.ts,
 * runIncrementsOf) against the same progress counted from the history entries themselves
 * (broadcastProgress): in memory, through the store's batches as the stream delivers them (in parts,
 * retried, in an order other than the history's), after a recount, and read without a Scan.
 */
import { describe, expect, it } from 'vitest';
import { memberExecutionName } from '../../shared/audience/members.ts';
import type { HistoryEntry, HistoryEntryOf, SkipStatus } from '../../shared/customer/history.ts';
import type { Channel } from '../../shared/customer/profile.ts';
import { type HistoryChange, sequenceKey } from '../../shared/figures/aggregate.ts';
import { countHistory, type CustomerHistory } from '../../shared/figures/recount.ts';
import {
  broadcastProgress,
  broadcastProgressFromCounters,
  readBroadcastProgress,
} from '../../shared/report/broadcasts.ts';
import {
  type BroadcastRunRecord,
  openBroadcastRun,
  updateBroadcastRun,
} from '../../shared/store/broadcasts.ts';
import type { StoreContext } from '../../shared/store/context.ts';
import { applyHistoryChanges } from '../../shared/store/figures.ts';
import { recountFigures } from '../../shared/store/figures-recount.ts';
import { appendHistory } from '../../shared/store/history.ts';
import { createTestRuntime, localServicesForFile } from '../support/runtime-services.ts';

const JOURNEY = 'weekly-newsletter';
const THIS_WEEK = '2026-11-23T10:00';
const LAST_WEEK = '2026-11-16T10:00';
const NOW = new Date('2026-11-24T12:00:00Z');

function memberExecution(runId: string, customerId: string, journeyId = JOURNEY): string {
  return `arn:aws:states:us-east-1:000000000000:execution:${journeyId}:${memberExecutionName(runId, customerId)}`;
}

function journeyEntry(
  executionId: string,
  action: HistoryEntryOf<'journey'>['action'],
  reason?: string,
): HistoryEntryOf<'journey'> {
  return {
    kind: 'journey',
    time: '2026-11-23T10:00:01.000Z',
    journeyId: JOURNEY,
    executionId,
    action,
    ...(reason === undefined ? {} : { reason }),
  };
}

function message(
  executionId: string,
  stepId: string,
  channel: Channel,
  time: string,
): HistoryEntryOf<'message'> {
  return {
    kind: 'message',
    time,
    journeyId: JOURNEY,
    executionId,
    stepId,
    channel,
    category: 'marketing',
    messageId: `m-${executionId}-${stepId}-${time}`,
    headline: 'This week',
    preview: 'This week at the shop',
  };
}

function skipped(
  executionId: string,
  stepId: string,
  status: SkipStatus,
  time: string,
  channel: Channel = 'email',
): HistoryEntryOf<'skipped'> {
  return {
    kind: 'skipped',
    time,
    journeyId: JOURNEY,
    executionId,
    stepId,
    status,
    reason: `${status}: for the test`,
    channel,
    ...(status === 'capped' ? { capId: 'weekly' } : {}),
  };
}

function run(runId: string, changes: Partial<BroadcastRunRecord> = {}): BroadcastRunRecord {
  return {
    journeyId: JOURNEY,
    runId,
    segment: 'newsletter',
    zone: 'customer',
    status: 'running',
    startedAt: `${runId}:00.000Z`,
    firstAt: `${runId}:00.000Z`,
    lastAt: `${runId}:00.000Z`,
    ...changes,
  };
}

const T = (minutes: number): string =>
  new Date(Date.parse('2026-11-23T10:00:00Z') + minutes * 60_000).toISOString();

/**
 * Each member's entries in the order its functions write them (the stream's order). Two send steps:
 * `newsletter` by email, `reminder` by SMS.
 */
const WRITES: { customerId: string; entries: HistoryEntry[] }[] = [
  {
    // Sent on both channels.
    customerId: 'ana',
    entries: [
      journeyEntry(memberExecution(THIS_WEEK, 'ana'), 'entered'),
      message(memberExecution(THIS_WEEK, 'ana'), 'newsletter', 'email', T(1)),
      message(memberExecution(THIS_WEEK, 'ana'), 'reminder', 'sms', T(60)),
    ],
  },
  {
    // Deferred by quiet hours, then sent: sent, not skipped.
    customerId: 'bia',
    entries: [
      journeyEntry(memberExecution(THIS_WEEK, 'bia'), 'entered'),
      skipped(memberExecution(THIS_WEEK, 'bia'), 'newsletter', 'deferred', T(1)),
      message(memberExecution(THIS_WEEK, 'bia'), 'newsletter', 'email', T(600)),
    ],
  },
  {
    // Capped.
    customerId: 'caio',
    entries: [
      journeyEntry(memberExecution(THIS_WEEK, 'caio'), 'entered'),
      skipped(memberExecution(THIS_WEEK, 'caio'), 'newsletter', 'capped', T(1)),
    ],
  },
  {
    // Deferred, then waiting for a send slot: counted by its latest skip only.
    customerId: 'dora',
    entries: [
      journeyEntry(memberExecution(THIS_WEEK, 'dora'), 'entered'),
      skipped(memberExecution(THIS_WEEK, 'dora'), 'newsletter', 'deferred', T(1)),
      skipped(memberExecution(THIS_WEEK, 'dora'), 'newsletter', 'rate-limited', T(600)),
    ],
  },
  {
    customerId: 'eva',
    entries: [journeyEntry(memberExecution(THIS_WEEK, 'eva'), 'not-entered', 'concurrency-limit')],
  },
  {
    customerId: 'fred',
    entries: [
      journeyEntry(memberExecution(THIS_WEEK, 'fred'), 'not-entered', 'duplicate-event: the run started it'),
    ],
  },
  {
    customerId: 'gil',
    entries: [journeyEntry(memberExecution(THIS_WEEK, 'gil'), 'not-entered', 'duplicate-event: again')],
  },
  {
    // Sent by email; opted out of SMS at the reminder.
    customerId: 'hana',
    entries: [
      journeyEntry(memberExecution(THIS_WEEK, 'hana'), 'entered'),
      message(memberExecution(THIS_WEEK, 'hana'), 'newsletter', 'email', T(1)),
      skipped(memberExecution(THIS_WEEK, 'hana'), 'reminder', 'opted-out', T(60), 'sms'),
    ],
  },
  {
    // The message's entry reached the figures before the deferral that came earlier in time: still sent;
    // a later skip of an earlier time moves nothing either.
    customerId: 'ivo',
    entries: [
      journeyEntry(memberExecution(THIS_WEEK, 'ivo'), 'entered'),
      message(memberExecution(THIS_WEEK, 'ivo'), 'newsletter', 'email', T(600)),
      skipped(memberExecution(THIS_WEEK, 'ivo'), 'newsletter', 'deferred', T(1)),
      skipped(memberExecution(THIS_WEEK, 'ivo'), 'reminder', 'rate-limited', T(700), 'sms'),
      skipped(memberExecution(THIS_WEEK, 'ivo'), 'reminder', 'deferred', T(650), 'sms'),
    ],
  },
  {
    // Last week's run, and entries of no run (an execution an event started).
    customerId: 'ana-last',
    entries: [
      journeyEntry(memberExecution(LAST_WEEK, 'ana'), 'entered'),
      message(memberExecution(LAST_WEEK, 'ana'), 'newsletter', 'email', '2026-11-16T10:00:02.000Z'),
      journeyEntry('arn:aws:states:us-east-1:000000000000:execution:weekly-newsletter:cart-1', 'entered'),
    ],
  },
];

const RUNS = [
  run(THIS_WEEK, { targeted: 10, started: 9 }),
  run(LAST_WEEK, { status: 'done', targeted: 1, started: 1 }),
];

const EVERY_ENTRY = WRITES.flatMap(({ entries }) => entries);

/** Each customer's history as a Scan gives it: oldest first. */
function histories(): CustomerHistory[] {
  return WRITES.map(({ customerId, entries }) => ({
    customerId,
    history: [...entries].sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).map((entry) => ({ entry })),
  }));
}

/** The writes as one stream shard carries them, in write order. */
function streamChanges(): HistoryChange[] {
  let position = 1000;
  return WRITES.flatMap(({ customerId, entries }) =>
    entries.map((entry) => {
      position += 1;
      return { shard: 'shard-1', sequence: sequenceKey(position), customerId, entry };
    }),
  );
}

const FROM_HISTORY = broadcastProgress(RUNS, EVERY_ENTRY);

describe('broadcast progress from the run counters', () => {
  it('is, from the history, what the scenario says: entered, refused by reason, sent on two channels, capped, deferred then sent', () => {
    expect(FROM_HISTORY[0]).toMatchObject({
      runId: THIS_WEEK,
      entered: 6,
      notEntered: 3,
      notEnteredByReason: { 'concurrency-limit': 1, 'duplicate-event': 2 },
      sent: 5,
      sentByChannel: { email: 4, sms: 1, push: 0 },
      skipped: 4,
      skippedByReason: { capped: 1, 'rate-limited': 2, 'opted-out': 1 },
      share: 0.9,
    });
    expect(FROM_HISTORY[1]).toMatchObject({ runId: LAST_WEEK, entered: 1, sent: 1, skipped: 0 });
  });

  it('counts in memory (the recount) what the history shows', () => {
    // Act
    const counted = countHistory(histories());
    const sums = new Map(
      [...counted.runs.values()].map((item) => [JSON.stringify([item.journeyId, item.runId]), item.amounts]),
    );

    // Assess
    expect(broadcastProgressFromCounters(RUNS, sums)).toEqual(FROM_HISTORY);
  });

  describe('in the table', () => {
    const services = localServicesForFile();

    async function storeWithRuns(): Promise<StoreContext> {
      const store = (await createTestRuntime(services)).store;
      for (const stored of RUNS) {
        await openBroadcastRun(store, {
          journeyId: stored.journeyId,
          runId: stored.runId,
          segment: stored.segment,
          zone: stored.zone,
          startedAt: stored.startedAt,
          firstAt: stored.firstAt,
          lastAt: stored.lastAt,
        });
        await updateBroadcastRun(store, stored.journeyId, stored.runId, {
          status: stored.status,
          ...(stored.targeted === undefined ? {} : { targeted: stored.targeted }),
          ...(stored.started === undefined ? {} : { started: stored.started }),
        });
      }
      return store;
    }

    /** DynamoDB requests made through the store's client while `read` runs, by command. */
    async function requestsDuring<T>(
      store: StoreContext,
      read: () => Promise<T>,
    ): Promise<{ commands: string[]; result: T }> {
      const commands: string[] = [];
      const name = `broadcastProgressRequests${Math.random()}`;
      store.db.middlewareStack.add(
        (next, context) => (args) => {
          commands.push(String(context.commandName));
          return next(args);
        },
        { step: 'initialize', name },
      );
      try {
        return { commands, result: await read() };
      } finally {
        store.db.middlewareStack.remove(name);
      }
    }

    it('counts through the stream batches (in parts, one retried) what the history shows, and reads it without a Scan', async () => {
      // Prepare
      const store = await storeWithRuns();
      const changes = streamChanges();
      await applyHistoryChanges(store, changes.slice(0, 7), NOW);
      await applyHistoryChanges(store, changes.slice(4, 15), NOW);
      await applyHistoryChanges(store, changes.slice(4, 15), NOW);
      await applyHistoryChanges(store, changes.slice(15), NOW);

      // Act
      const { commands, result } = await requestsDuring(store, () =>
        readBroadcastProgress(store, [JOURNEY, 'cart-abandonment']),
      );

      // Assess
      expect(result).toEqual(FROM_HISTORY);
      expect(commands.filter((command) => command.startsWith('Scan'))).toEqual([]);
      // One Query of the runs and one of their counters per journey, whatever the members.
      expect(commands).toEqual(['QueryCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand']);
    });

    it('rebuilds the same run counters with a recount of the history, however often it runs', async () => {
      // Prepare: the history written; counters drifted by a partial count.
      const store = await storeWithRuns();
      for (const { customerId, entries } of WRITES) {
        for (const [index, entry] of entries.entries())
          await appendHistory(store, customerId, entry, `write-${String(index)}`);
      }
      await applyHistoryChanges(store, streamChanges().slice(0, 5), NOW);

      // Act
      await recountFigures(store, [JOURNEY], NOW);
      const once = await readBroadcastProgress(store, [JOURNEY]);
      await recountFigures(store, [JOURNEY], NOW);

      // Assess
      expect(once).toEqual(FROM_HISTORY);
      expect(await readBroadcastProgress(store, [JOURNEY])).toEqual(once);
    });
  });
});
