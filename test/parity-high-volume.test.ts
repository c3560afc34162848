/**
 * Parity of the two compile targets (issue 18): the sample journeys as they are (Standard) and the same
 * files with `"workflow": "high-volume"` (Express parts between parks) play one script each on a local
 * engine with a manual clock (the same customers, event details and clock moves), and must send the same
 * messages at the same times, skip the same ones for the same reasons, and write the same history and
 * figures, ids aside. Where they legitimately differ (how a run that does not end on a send writes its
 * end; a part claimed at the instant its run parked is 1 ms later), the difference is asserted, with the
 * reason (`expectSameHistory`, `claimedAfterPark`).
 *
 * The two engines run one after the other: the functions' runtime is one per process.
 */
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
} from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, it } from 'vitest';
import { countedReport } from '../shared/figures/report.ts';
import type { Report } from '../shared/report/types.ts';
import { readFigureSums } from '../shared/store/figures.ts';
import {
  copyJourneys,
  endsIn,
  endStepsOf,
  highVolumeJourneys,
  type MessageRow,
  messageRows,
  type SettingsEdit,
  type Target,
  TARGETS,
  type TimelineRow,
  timelineRows,
} from './support/high-volume.ts';
import {
  OPTED_IN,
  START,
  startTestEngine,
  type TestEngine,
  tempFolderForSuite,
} from './support/local-engine.ts';

const SAMPLE_JOURNEYS = ['cart-abandonment', 'chat-followup', 'social-engagement', 'support-call-followup'];

const at = (hours: number, minutes = 0): string =>
  new Date(START.getTime() + (hours * 60 + minutes) * 60_000).toISOString();

interface Seen {
  messages: MessageRow[];
  timeline: TimelineRow[];
}

interface Played {
  customers: Map<string, Seen>;
  /** The figures the panel and `waymark report` read, from the counters. */
  figures: Report;
  /** Each journey's end steps. */
  ends: Map<string, Set<string>>;
  /** The executions that failed, as `<journey>: <error>: <cause>`. */
  failed: string[];
}

/** Every FAILED execution of the engine's state machines, with Step Functions' error and cause. */
async function failedExecutions(engine: TestEngine): Promise<string[]> {
  const failed: string[] = [];
  const machines = await engine.sfn.send(new ListStateMachinesCommand({}));
  for (const machine of machines.stateMachines ?? []) {
    let nextToken: string | undefined;
    do {
      const page = await engine.sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: machine.stateMachineArn,
          statusFilter: 'FAILED',
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
      for (const execution of page.executions ?? []) {
        const described = await engine.sfn.send(
          new DescribeExecutionCommand({ executionArn: execution.executionArn }),
        );
        failed.push(`${machine.name ?? ''}: ${described.error ?? ''}: ${described.cause ?? ''}`);
      }
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
  }
  return failed;
}

async function countedFigures(engine: TestEngine): Promise<Report> {
  await engine.host.engine.idle();
  await engine.host.figuresSettled();
  const sums = await readFigureSums(engine.host.runtime.store, SAMPLE_JOURNEYS);
  return countedReport({
    all: sums.all,
    journeys: sums.journeys,
    definitions: [],
    executions: [],
    now: engine.host.clock.now(),
  });
}

/** Runs `script` on a fresh engine per target, one after the other; what each customer saw on each. */
function playOnBoth(
  prefix: string,
  customers: readonly string[],
  script: (engine: TestEngine) => Promise<void>,
  settings?: SettingsEdit,
): (target: Target) => Played {
  const folder = tempFolderForSuite(prefix);
  const played = new Map<Target, Played>();
  beforeAll(async () => {
    for (const target of TARGETS) {
      const journeysDir = copyJourneys(join(folder(), target), {
        target,
        ...(settings === undefined ? {} : { settings }),
      });
      if (target === 'high-volume') {
        expect(highVolumeJourneys(journeysDir)).toEqual(expect.arrayContaining(SAMPLE_JOURNEYS));
      }
      const engine = await startTestEngine({ journeysDir, start: START });
      try {
        await script(engine);
        const seen = new Map<string, Seen>();
        for (const customerId of customers) {
          seen.set(customerId, {
            messages: messageRows(await engine.outbox({ customerId })),
            timeline: timelineRows(await engine.timeline(customerId), engine.endpoint),
          });
        }
        played.set(target, {
          customers: seen,
          figures: await countedFigures(engine),
          ends: endStepsOf(journeysDir),
          failed: await failedExecutions(engine),
        });
      } finally {
        await engine.close();
      }
    }
  }, 120_000);
  return (target) => {
    const result = played.get(target);
    if (result === undefined) throw new Error('The script runs in beforeAll; read what it saw inside tests.');
    return result;
  };
}

function seenBy(played: Played, customerId: string): Seen {
  const seen = played.customers.get(customerId);
  if (seen === undefined) throw new Error(`${customerId} was not observed`);
  return seen;
}

/**
 * The targets' one legitimate difference in the history: how a run that does not end on a send writes
 * its end. (One that ends on its last send writes it alike on both: `completes` on that send's entry.)
 * - Standard: the step before an end step ends the execution itself (`End: true`), so an end step is in
 *   the timeline only when a branch leads to it, and the finish function writes the `completed` entry
 *   from the execution's status-change event, which does not say which end was reached: no `stepId`.
 * - High-volume: parts are Express executions, which send no status-change event; such an end is a
 *   finish Task state, so the timeline lists the end step (a waitForEvent's `onEvent` end too), and its
 *   `completed` entry names that step.
 * Everything else must be equal, and so must the completions themselves: the same runs, at the same time.
 */
function expectSameHistory(
  standard: Played,
  highVolume: Played,
  customerId: string,
  options: { claimedAsParked?: string } = {},
): void {
  const ends = standard.ends;
  const onStandard = endsIn(seenBy(standard, customerId).timeline, ends);
  const onHighVolume = endsIn(claimedAfterPark(seenBy(highVolume, customerId).timeline, options), ends);
  expect(onHighVolume.rest).toEqual(onStandard.rest);
  expect(onHighVolume.completions).toEqual(onStandard.completions);

  const named = (rows: readonly TimelineRow[]): string[] =>
    rows.map((row) => `${String(row.journeyId)} ${String(row.stepId)} ${String(row.time)}`);
  expect(onStandard.completedEntries.map((entry) => entry.stepId)).toEqual(
    onStandard.completedEntries.map(() => undefined),
  );
  // The same entries as Standard's, with the end step named, and each end step entered as it was written.
  expect(onHighVolume.completedEntries.map(({ stepId: _stepId, ...entry }) => entry)).toEqual(
    onStandard.completedEntries,
  );
  for (const entry of onHighVolume.completedEntries) {
    expect(ends.get(String(entry.journeyId))?.has(String(entry.stepId))).toBe(true);
  }
  expect(named(onHighVolume.endSteps)).toEqual(named(onHighVolume.completedEntries));
  // Standard lists an end step only where a branch leads to it; high-volume lists those too.
  expect(named(onHighVolume.endSteps)).toEqual(expect.arrayContaining(named(onStandard.endSteps)));
}

/**
 * The second difference, in time: a part's time is always after the part that parked (a claim is at
 * least 1 ms later, so two parts of one run never share a time). Where the next part was claimed at the
 * very instant the run parked (`claimedAsParked`: an awaited event already there, on a clock that stands
 * still), what it writes is 1 ms later than on Standard: asserted, then read as of that instant.
 */
function claimedAfterPark(
  rows: readonly TimelineRow[],
  options: { claimedAsParked?: string },
): TimelineRow[] {
  const parkedAt = options.claimedAsParked;
  if (parkedAt === undefined) return [...rows];
  const claimedAt = new Date(Date.parse(parkedAt) + 1).toISOString();
  expect(rows.filter((row) => row.time === claimedAt)).not.toEqual([]);
  return rows.map((row) => (row.time === claimedAt ? { ...row, time: parkedAt } : row));
}

/** The report's figures per journey; `completed` counts either way a run's end is recorded. */
function journeyFigures(report: Report): unknown[] {
  return report.journeys
    .filter((journey) => SAMPLE_JOURNEYS.includes(journey.journeyId))
    .sort((a, b) => a.journeyId.localeCompare(b.journeyId));
}

const CUSTOMERS = [
  'p-cart',
  'p-goal',
  'p-goal-early',
  'p-twice',
  'p-invalid',
  'p-fallback',
  'p-support',
  'p-quiet',
  'p-capped',
  'p-social',
  'p-chat-gone',
  'p-chat-back',
  'p-chat-quick',
  'p-optout',
] as const;

/** Every scenario's customers on one clock, so both engines see the same moves. */
async function samples(engine: TestEngine): Promise<void> {
  const device = await engine.registerDevice('parity-device');
  const profile = (customerId: string, fields: Record<string, unknown> = {}) =>
    engine.put('customer.profile.updated', customerId, {
      email: `${customerId}@example.com`,
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      ...fields,
    });
  await profile('p-cart', { phone: '+5511900001111', attributes: { firstName: 'Lia' } });
  await profile('p-goal', { phone: '+5511900001112' });
  await profile('p-goal-early', { phone: '+5511900001113' });
  await profile('p-twice');
  // Push opted out: the nudge falls back to SMS.
  await profile('p-fallback', {
    phone: '+5511900001116',
    consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-out' },
    push: { platform: 'fcm', endpointArn: device },
  });
  await profile('p-support', { phone: '+5511900001114' });
  // 21:00 in Tokyo when the call ends: the survey (SMS, marketing) falls at 23:00, in quiet hours.
  await profile('p-quiet', { phone: '+819012345678', timeZone: 'Asia/Tokyo' });
  await profile('p-capped', { phone: '+5511900001115' });
  await profile('p-social', { timeZone: 'Europe/Lisbon' });
  await profile('p-chat-gone', { push: { platform: 'fcm', endpointArn: device } });
  await profile('p-chat-back', { push: { platform: 'fcm', endpointArn: device } });
  await profile('p-chat-quick', { push: { platform: 'fcm', endpointArn: device } });
  // The chat's reminder goes by push only, and push is opted out.
  await profile('p-optout', {
    consent: { email: 'opted-in', sms: 'opted-in', push: 'opted-out' },
    push: { platform: 'fcm', endpointArn: device },
  });

  // 12:00 UTC, 09:00 in São Paulo.
  await engine.put('cart.abandoned', 'p-cart');
  await engine.put('cart.abandoned', 'p-goal');
  await engine.put('cart.abandoned', 'p-goal-early');
  await engine.put('cart.abandoned', 'p-twice');
  await engine.put('cart.abandoned', 'p-twice', { cartId: 'cart-second' });
  // A detail the catalog refuses: recorded with its problems, and no journey starts.
  await engine.put('cart.abandoned', 'p-invalid', { items: [], total: -1 });
  await engine.put('cart.abandoned', 'p-fallback');
  await engine.put('support.call.completed', 'p-support', { resolved: false });
  await engine.put('support.call.completed', 'p-quiet', { resolved: false });
  await engine.put('support.call.completed', 'p-capped', { resolved: true, callId: 'call-1' });
  await engine.put('social.engagement', 'p-social', { network: 'instagram', action: 'comment' });
  await engine.put('chat.session.ended', 'p-chat-gone', { resolved: false });
  await engine.put('chat.session.ended', 'p-chat-back', { resolved: false });
  await engine.put('chat.session.ended', 'p-optout', { resolved: false });
  // Back at the same instant: the awaited event is in the history before the wait begins.
  await engine.put('chat.session.ended', 'p-chat-quick', { resolved: false });
  await engine.put('chat.session.started', 'p-chat-quick');

  // In the cart's first wait: the goal ends the journey before anything is sent.
  await engine.advance('30m');
  await engine.put('order.placed', 'p-goal-early', { orderId: 'order-early' });
  // The customer comes back to the chat: the wait for chat.session.started ends on the event.
  await engine.advance('30m');
  await engine.put('chat.session.started', 'p-chat-back');
  // After the reminder, while the cart journey waits for an order (the goal is also the awaited event).
  await engine.advance('1h');
  await engine.put('order.placed', 'p-goal', { orderId: 'order-goal' });
  // Two more calls, each after the last one's journey ended: the third survey passes the SMS cap of 2 a week.
  await engine.advance('10m');
  await engine.put('support.call.completed', 'p-capped', { resolved: true, callId: 'call-2' });
  await engine.advance('2h10m');
  await engine.put('support.call.completed', 'p-capped', { resolved: true, callId: 'call-3' });
  await engine.advance('2d');
}

describe('parity of Standard and high-volume: the sample journeys', () => {
  const played = playOnBoth('waymark-parity-', CUSTOMERS, samples);

  it('plays the scenarios: what Standard sent is what the samples promise', () => {
    const sent = (customerId: string): string[] =>
      seenBy(played('standard'), customerId).messages.map(
        ([channel, stepId, , time]) => `${channel} ${stepId} ${time}`,
      );
    expect(sent('p-cart')).toEqual([
      `email remind ${at(1)}`,
      `sms nudge ${at(24)}`,
      `webhook retarget ${at(24)}`,
    ]);
    expect(sent('p-goal')).toEqual([`email remind ${at(1)}`]);
    expect(sent('p-goal-early')).toEqual([]);
    expect(sent('p-twice')).toHaveLength(3);
    expect(sent('p-fallback')).toContain(`sms nudge ${at(24)}`);
    expect(sent('p-support')).toEqual([`sms survey ${at(2)}`, `email case-summary ${at(2)}`]);
    // 08:00 in Tokyo, when the quiet hours end.
    expect(sent('p-quiet')).toEqual([`sms survey ${at(11)}`, `email case-summary ${at(11)}`]);
    expect(sent('p-capped')).toEqual([`sms survey ${at(2)}`, `sms survey ${at(4, 10)}`]);
    // Lisbon is on UTC in November: the next day at the hour of the engagement.
    expect(sent('p-social')).toEqual([`email follow-up ${at(24)}`]);
    expect(sent('p-chat-gone')).toEqual([`email summary ${at(0)}`, `push reminder ${at(48)}`]);
    expect(sent('p-chat-back')).toEqual([`email summary ${at(0)}`]);
    expect(sent('p-chat-quick')).toEqual([`email summary ${at(0)}`]);
    expect(sent('p-optout')).toEqual([`email summary ${at(0)}`]);
    const skipped = (customerId: string): unknown[] =>
      seenBy(played('standard'), customerId).timeline.filter((row) => row.kind === 'skipped');
    expect(skipped('p-quiet')).toEqual([expect.objectContaining({ status: 'deferred', stepId: 'survey' })]);
    expect(skipped('p-capped')).toEqual([expect.objectContaining({ status: 'capped', capId: 'sms-weekly' })]);
    expect(skipped('p-optout')).toEqual([
      expect.objectContaining({ status: 'opted-out', stepId: 'reminder' }),
    ]);
    expect(seenBy(played('standard'), 'p-twice').timeline).toContainEqual(
      expect.objectContaining({ action: 'not-entered', reason: 'reentry-too-soon' }),
    );
    expect(seenBy(played('standard'), 'p-invalid').timeline).toContainEqual(
      expect.objectContaining({ action: 'not-entered', reason: expect.stringContaining('invalid-event') }),
    );
    expect(seenBy(played('standard'), 'p-goal').timeline).toContainEqual(
      expect.objectContaining({ kind: 'conversion', journeyId: 'cart-abandonment' }),
    );
  });

  it.each(CUSTOMERS)('%s: the same messages, on the same channels, at the same times', (customerId) => {
    expect(seenBy(played('high-volume'), customerId).messages).toEqual(
      seenBy(played('standard'), customerId).messages,
    );
  });

  it.each(CUSTOMERS)(
    '%s: the same history, skips included; the end recorded the way each target can',
    (customerId) => {
      // p-chat-quick came back at the instant its run parked: its next part is 1 ms later (see above).
      expectSameHistory(
        played('standard'),
        played('high-volume'),
        customerId,
        customerId === 'p-chat-quick' ? { claimedAsParked: at(0) } : {},
      );
    },
  );

  it('no execution fails on either target: an entry refused (re-entry too soon, an invalid event) ends as it began', () => {
    expect(played('standard').failed).toEqual([]);
    expect(played('high-volume').failed).toEqual([]);
  });

  it('the same figures per journey: entered, completed, exited, converted, sent and skipped by step', () => {
    expect(journeyFigures(played('high-volume').figures)).toEqual(journeyFigures(played('standard').figures));
    expect(played('high-volume').figures.notSent).toEqual(played('standard').figures.notSent);
  });
});

/** Settings whose one cap is 3 marketing messages a day on any channel, with no quiet hours. */
const dailyCapOnly: SettingsEdit = (settings) => ({
  ...settings,
  caps: [{ id: 'marketing-daily', channels: 'any', limit: 3, window: 'calendarDay' }],
  quietHours: { email: null, sms: null, push: null, whatsapp: null },
});

describe('parity of Standard and high-volume: a cap shared by two journeys', () => {
  const played = playOnBoth(
    'waymark-parity-caps-',
    ['p-daily'],
    async (engine) => {
      await engine.put('customer.profile.updated', 'p-daily', {
        email: 'p-daily@example.com',
        phone: '+5511900002221',
        timeZone: 'America/Sao_Paulo',
        consent: OPTED_IN,
      });
      // The cart's reminder at +1h, then surveys at +2h and +4h10m fill the day; the one at +6h20m is capped.
      await engine.put('cart.abandoned', 'p-daily');
      for (const call of ['call-1', 'call-2', 'call-3']) {
        await engine.put('support.call.completed', 'p-daily', { resolved: true, callId: call });
        await engine.advance('2h10m');
      }
      await engine.advance('1d');
    },
    dailyCapOnly,
  );

  it('stops the fourth marketing message of the day on both, naming the cap, and the next day sends again', () => {
    const standard = seenBy(played('standard'), 'p-daily');
    expect(standard.messages.map(([channel, stepId, , time]) => `${channel} ${stepId} ${time}`)).toEqual([
      `email remind ${at(1)}`,
      `sms survey ${at(2)}`,
      `sms survey ${at(4, 10)}`,
      `sms nudge ${at(24)}`,
      `webhook retarget ${at(24)}`,
    ]);
    expect(standard.timeline.filter((row) => row.kind === 'skipped')).toEqual([
      expect.objectContaining({
        status: 'capped',
        capId: 'marketing-daily',
        stepId: 'survey',
        time: at(6, 20),
      }),
    ]);
    expect(seenBy(played('high-volume'), 'p-daily').messages).toEqual(standard.messages);
    expectSameHistory(played('standard'), played('high-volume'), 'p-daily');
    for (const target of TARGETS) expect(played(target).failed, target).toEqual([]);
  });
});

describe('parity of Standard and high-volume: journeys an audience starts', () => {
  const played = playOnBoth('waymark-parity-audience-', ['p-gold', 'p-reader', 'p-buyer'], async (engine) => {
    for (const customerId of ['p-reader', 'p-buyer']) {
      await engine.put('customer.profile.updated', customerId, {
        email: `${customerId}@example.com`,
        phone: customerId === 'p-reader' ? '+5511900003331' : '+5511900003332',
        timeZone: 'America/Sao_Paulo',
        consent: OPTED_IN,
        tags: { add: ['newsletter'] },
      });
    }
    await engine.put('customer.profile.updated', 'p-gold', {
      email: 'p-gold@example.com',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
    });
    await engine.advance('1h');
    // Entering the gold segment starts gold-welcome.
    await engine.put('customer.profile.updated', 'p-gold', { attributes: { loyaltyTier: 'gold' } });
    // The newsletter goes on Monday 23 November at 10:00 in São Paulo (13:00 UTC); its SMS two days later
    // to those still in the journey: an order in between ends it for p-buyer.
    await engine.advance('5d');
    await engine.advance('1h');
    await engine.advance('1d');
    await engine.put('order.placed', 'p-buyer', { orderId: 'order-news' });
    await engine.advance('2d');
  });

  it('welcomes the new gold customer, sends the newsletter to both and the SMS only to the one who did not buy', () => {
    const sent = (customerId: string): string[] =>
      seenBy(played('standard'), customerId).messages.map(
        ([channel, stepId, journeyId]) => `${journeyId} ${channel} ${stepId}`,
      );
    expect(sent('p-gold')).toEqual(['gold-welcome email welcome']);
    expect(sent('p-reader')).toEqual(['weekly-newsletter email newsletter', 'weekly-newsletter sms nudge']);
    expect(sent('p-buyer')).toEqual(['weekly-newsletter email newsletter']);
    for (const customerId of ['p-gold', 'p-reader', 'p-buyer']) {
      expect(seenBy(played('high-volume'), customerId).messages).toEqual(
        seenBy(played('standard'), customerId).messages,
      );
      expectSameHistory(played('standard'), played('high-volume'), customerId);
    }
    for (const target of TARGETS) expect(played(target).failed, target).toEqual([]);
    for (const target of TARGETS) expect(played(target).failed, target).toEqual([]);
  });
});

describe('parity of Standard and high-volume: an awaited event in the second its wait began', () => {
  // Half a second past the minute: the clock of a running engine is seldom on a whole second.
  const played = playOnBoth('waymark-parity-second-', ['p-same-second'], async (engine) => {
    await engine.put('customer.profile.updated', 'p-same-second', {
      email: 'p-same-second@example.com',
      timeZone: 'America/Sao_Paulo',
      consent: OPTED_IN,
      push: { platform: 'fcm', endpointArn: await engine.registerDevice('same-second-device') },
    });
    await engine.host.advanceTo(new Date(START.getTime() + 500));
    await engine.put('chat.session.ended', 'p-same-second', { resolved: false });
    // The wait for chat.session.started began at 12:00:00.500; the customer is back at once, and the
    // event's time, as EventBridge gives it, has whole seconds: 12:00:00.
    await engine.put('chat.session.started', 'p-same-second');
    await engine.advance('49h');
  });

  it('goes on by the event on both (the customer came back after the wait began): no reminder', () => {
    const sent = (target: Target): string[] =>
      seenBy(played(target), 'p-same-second').messages.map(([channel, stepId]) => `${channel} ${stepId}`);
    expect({ standard: sent('standard'), 'high-volume': sent('high-volume') }).toEqual({
      standard: ['email summary'],
      'high-volume': ['email summary'],
    });
    // The event was there when the wait registered: the next part started at the instant the run parked.
    expectSameHistory(played('standard'), played('high-volume'), 'p-same-second', {
      claimedAsParked: '2026-11-18T12:00:00.500Z',
    });
  });
});
