/**
 * The scale model (shared/scale/): capacity against quota arithmetic worked by hand, the monthly
 * cost against hand arithmetic, and what the sample journeys use per entry on both targets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileJourney } from '../shared/journey/compile.ts';
import { journeySchema } from '../shared/journey/schema.ts';
import {
  accountCapacity,
  journeyCapacity,
  quotaDemand,
  quotasForMessages,
  roundUp,
} from '../shared/scale/capacity.ts';
import { accountMonthlyCost, costRatio, monthlyCost } from '../shared/scale/cost.ts';
import { usagesOf } from '../shared/scale/project.ts';
import { findQuota, parseQuotaOverrides, QUOTA_IDS } from '../shared/scale/quotas.ts';
import {
  type Call,
  requestCounts,
  requestsOf,
  requestUnits,
  ASSUMED_ITEM_BYTES,
} from '../shared/scale/tasks.ts';
import {
  emptyUsage,
  entryUsage,
  type EntryUsage,
  longestRunPath,
  PART_STATES,
} from '../shared/scale/usage.ts';
import { parseVolume, SECONDS_PER_MONTH } from '../shared/scale/volume.ts';
import { JOURNEYS_DIR, project, sample, samples, settings } from './support/project.ts';

/** An explicit per-entry usage record: everything zero but what the test says (one part). */
function usage(fields: Partial<EntryUsage> & Pick<EntryUsage, 'target'>): EntryUsage {
  return { ...emptyUsage('hand-made', fields.target), parts: 1, ...fields };
}

/** A Standard journey that lives 24 hours: 7 transitions, 2 messages, 20 write units an entry. */
const standardDay = usage({
  target: 'standard',
  standardStarts: 1,
  transitions: 7,
  lifetimeSeconds: 86_400,
  lambdaInvocations: 7,
  lambdaSeconds: 0.6,
  dynamodbWriteUnits: 20,
  dynamodbReadUnits: 5,
  customEvents: 1,
  ruleInvocations: 3,
  messages: 2,
  messagesByChannel: { email: 1, sms: 1 },
});

describe('capacity, against quota arithmetic worked by hand', () => {
  it('a Standard journey living 24 h is bound by open executions at 11.57 entries/s', () => {
    // open executions: 1,000,000 / 86,400 s = 11.574 entries/s
    // StartExecution:  300 / 1 = 300;  transitions: 5,000 / 7 = 714.3
    // Lambda: 1,000 / 0.6 s = 1,666.7;  DynamoDB writes: 40,000 / 20 = 2,000;  reads 40,000 / 5 = 8,000
    // PutEvents 10,000 / 1;  rule invocations 18,750 / 3 = 6,250;  messages/s = 11.574 x 2 = 23.15
    const capacity = journeyCapacity(standardDay);
    expect(capacity.binding).toBe('sfn-open-executions');
    expect(capacity.entriesPerSecond).toBeCloseTo(11.574, 3);
    expect(capacity.messagesPerSecond).toBeCloseTo(23.148, 3);
    const bound = (id: string) => capacity.bounds.find((b) => b.quota === id)?.entriesPerSecond;
    expect(bound('sfn-standard-starts')).toBe(300);
    expect(bound('sfn-transitions')).toBeCloseTo(714.29, 2);
    expect(bound('lambda-concurrency')).toBeCloseTo(1666.67, 2);
    expect(bound('dynamodb-table-writes')).toBe(2000);
    expect(bound('dynamodb-table-reads')).toBe(8000);
    expect(bound('eventbridge-invocations')).toBe(6250);
    // Express and Scheduler quotas take nothing from a Standard journey.
    expect(bound('sfn-express-starts')).toBeUndefined();
    expect(bound('scheduler-schedules')).toBeUndefined();
    // Loosest last.
    const rates = capacity.bounds.map((b) => b.entriesPerSecond);
    expect(rates).toEqual([...rates].sort((a, b) => a - b));
  });

  it('with 10,000,000 open executions it still binds (115.7/s): StartExecution needs 25,920,000', () => {
    // 10,000,000 / 86,400 = 115.74 < 300 (StartExecution) < 714 (transitions): open executions binds.
    const raised = journeyCapacity(standardDay, { 'sfn-open-executions': 10_000_000 });
    expect(raised.binding).toBe('sfn-open-executions');
    expect(raised.entriesPerSecond).toBeCloseTo(115.741, 3);
    // StartExecution binds once open executions allow more than 300/s: 300 x 86,400 = 25,920,000.
    // With 30,000,000: 347.2 open, 300 StartExecution, 714.3 transitions: StartExecution binds at 300.
    const more = journeyCapacity(standardDay, { 'sfn-open-executions': 30_000_000 });
    expect(more.binding).toBe('sfn-standard-starts');
    expect(more.entriesPerSecond).toBe(300);
    expect(more.messagesPerSecond).toBe(600);
  });

  it('transitions bind first for a long journey: 5,000 / 20 = 250 < 300', () => {
    const long = { ...standardDay, transitions: 20 };
    const capacity = journeyCapacity(long, { 'sfn-open-executions': 30_000_000 });
    expect(capacity.binding).toBe('sfn-transitions');
    expect(capacity.entriesPerSecond).toBe(250);
  });

  it('high-volume: schedules held, Scheduler invocations, DynamoDB and Lambda, each by hand', () => {
    // Two parks a day apart, 3 parts: schedules 10,000,000 / 86,400 = 115.74/s binds;
    // invocations 1,000 / 2 = 500; CreateSchedule 5,000 / 2 = 2,500; Express starts 6,000 / 3 = 2,000;
    // DynamoDB writes 40,000 / 31 = 1,290.3; Lambda 1,000 / 0.85 = 1,176.5.
    const highVolume = usage({
      target: 'high-volume',
      parts: 3,
      expressStarts: 3,
      schedulesCreated: 2,
      schedulerInvocations: 2,
      lifetimeSeconds: 86_400,
      lambdaSeconds: 0.85,
      dynamodbWriteUnits: 31,
      messages: 2,
    });
    const capacity = journeyCapacity(highVolume);
    expect(capacity.binding).toBe('scheduler-schedules');
    expect(capacity.entriesPerSecond).toBeCloseTo(115.741, 3);
    const bound = (id: string) => capacity.bounds.find((b) => b.quota === id)?.entriesPerSecond;
    expect(bound('scheduler-invocations')).toBe(500);
    expect(bound('scheduler-creates')).toBe(2500);
    expect(bound('sfn-express-starts')).toBe(2000);
    expect(bound('dynamodb-table-writes')).toBeCloseTo(1290.32, 2);
    expect(bound('lambda-concurrency')).toBeCloseTo(1176.47, 2);
    expect(bound('sfn-open-executions')).toBeUndefined();
    // 100,000,000 schedules allow 1,157.4/s: Scheduler invocations bind first, at 500.
    const raised = journeyCapacity(highVolume, { 'scheduler-schedules': 100_000_000 });
    expect(raised.binding).toBe('scheduler-invocations');
    expect(raised.entriesPerSecond).toBe(500);
  });

  it('a channel quota binds only when given: --ses-rate 14 holds one email an entry to 14/s', () => {
    const oneEmail = usage({
      target: 'high-volume',
      expressStarts: 1,
      messages: 1,
      messagesByChannel: { email: 1 },
    });
    expect(journeyCapacity(oneEmail).binding).toBe('sfn-express-starts');
    const capped = journeyCapacity(oneEmail, { 'ses-send-rate': 14 });
    expect(capped.binding).toBe('ses-send-rate');
    expect(capped.entriesPerSecond).toBe(14);
  });

  it('the account: journeys share the quotas, at equal rates or by weight', () => {
    // A (24 h, 2 messages) and B (no wait, 1 message) at equal rates: a mixed entry holds
    // (86,400 + 0) / 2 = 43,200 s of open execution: 1,000,000 / 43,200 = 23.15 entries/s in all,
    // messages (2 + 1) / 2 = 1.5 an entry: 34.72 messages/s.
    const quick = { ...standardDay, lifetimeSeconds: 0, messages: 1 };
    const both = accountCapacity([standardDay, quick]);
    expect(both.binding).toBe('sfn-open-executions');
    expect(both.entriesPerSecond).toBeCloseTo(23.148, 3);
    expect(both.messagesPerEntry).toBe(1.5);
    expect(both.messagesPerSecond).toBeCloseTo(34.722, 3);
    // Weighted 1:3, a mixed entry holds 86,400 / 4 = 21,600 s: 46.30 entries/s.
    expect(accountCapacity([standardDay, quick], {}, [1, 3]).entriesPerSecond).toBeCloseTo(46.296, 3);
    expect(() => accountCapacity([standardDay, usage({ target: 'high-volume', expressStarts: 1 })])).toThrow(
      'one target',
    );
  });

  it('what 10,000 messages/s needs: every quota below its demand, rounded up to ask for', () => {
    // 2 messages an entry: 5,000 entries/s. StartExecution 5,000 x 1 = 5,000 (has 300);
    // open executions 5,000 x 86,400 = 432,000,000; transitions 5,000 x 7 = 35,000 (has 5,000);
    // Lambda 5,000 x 0.6 = 3,000 (has 1,000); writes 5,000 x 20 = 100,000 (has 40,000);
    // reads 25,000 (has 40,000: fine); PutEvents 5,000 (fine); rule invocations 15,000 (fine);
    // SES 5,000 emails/s and SNS 5,000 SMS/s: the account's own, always named.
    const { entriesPerSecond, increases } = quotasForMessages([standardDay], 10_000);
    expect(entriesPerSecond).toBe(5000);
    expect(increases.map((increase) => [increase.quota, increase.from, increase.askFor])).toEqual([
      ['sfn-standard-starts', 300, 5000],
      ['sfn-open-executions', 1_000_000, 430_000_000 + 10_000_000],
      ['sfn-transitions', 5000, 35_000],
      ['lambda-concurrency', 1000, 3000],
      ['dynamodb-table-writes', 40_000, 100_000],
      ['ses-send-rate', undefined, 5000],
      ['sns-opt-out-checks', undefined, 5000],
    ]);
    // What is raised already is not asked for again.
    const given = quotasForMessages([standardDay], 10_000, { 'sfn-standard-starts': 6000 });
    expect(given.increases.map((increase) => increase.quota)).not.toContain('sfn-standard-starts');
  });

  it('rounds a need up to two significant figures, never below it', () => {
    expect(roundUp(11_574)).toBe(12_000);
    expect(roundUp(432_000_000)).toBe(440_000_000);
    expect(roundUp(5000)).toBe(5000);
    expect(roundUp(7)).toBe(7);
    expect(roundUp(0.2)).toBe(1);
  });

  it('each quota has a demand function; Standard and high-volume split the Step Functions ones', () => {
    const both = usage({ target: 'high-volume', lifetimeSeconds: 100 });
    expect(quotaDemand(both, 'scheduler-schedules')).toBe(100);
    expect(quotaDemand(both, 'sfn-open-executions')).toBe(0);
    const standard = { ...both, target: 'standard' as const };
    expect(quotaDemand(standard, 'scheduler-schedules')).toBe(0);
    expect(quotaDemand(standard, 'sfn-open-executions')).toBe(100);
    for (const id of QUOTA_IDS) expect(quotaDemand(both, id)).toBeGreaterThanOrEqual(0);
  });
});

describe('monthly cost at 1,000,000 entries a month, against hand arithmetic', () => {
  it('Standard: transitions dominate', () => {
    // 7 transitions x 1,000,000 x $0.025/1,000 = $175.00
    // Lambda: 7 x 1,000,000 x $0.20/M = $1.40; 0.6 GB-s x 1,000,000 x $0.0000133334 = $8.00004
    // DynamoDB: 20 WRU x 1M x $0.625/M = $12.50; 5 RRU x 1M x $0.125/M = $0.625
    // EventBridge: 1 event x 1M x $1/M = $1.00. Total $198.52504.
    const cost = monthlyCost({ ...standardDay, lambdaGbSeconds: 0.6 }, 1_000_000);
    expect(cost.byService.stepFunctions).toBeCloseTo(175, 6);
    expect(cost.byService.lambda).toBeCloseTo(9.40004, 6);
    expect(cost.byService.dynamodb).toBeCloseTo(13.125, 6);
    expect(cost.byService.eventbridge).toBeCloseTo(1, 6);
    expect(cost.byService.scheduler).toBe(0);
    expect(cost.total).toBeCloseTo(198.52504, 5);
  });

  it('high-volume: requests and duration, schedules, and the index writes billed with the table', () => {
    // Express: 3 requests x 1M x $1/M = $3.00; 0.06875 GB-s x 1M x $0.00001667 = $1.1460625
    // Scheduler: 2 x 1M x $1/M = $2.00 (no free tier per journey)
    // Lambda: 10 x 1M x $0.20/M = $2.00; 0.835 GB-s x 1M x $0.0000133334 = $11.133389
    // DynamoDB: (28 + 3) WRU x $0.625 = $19.375; 6.5 RRU x $0.125 = $0.8125; EventBridge $1.00
    const highVolume = usage({
      target: 'high-volume',
      expressStarts: 3,
      expressGbSeconds: 0.06875,
      schedulerInvocations: 2,
      lambdaInvocations: 10,
      lambdaGbSeconds: 0.835,
      dynamodbWriteUnits: 28,
      dynamodbIndexWriteUnits: 3,
      dynamodbReadUnits: 6.5,
      customEvents: 1,
    });
    const cost = monthlyCost(highVolume, 1_000_000);
    expect(cost.byService.stepFunctions).toBeCloseTo(4.1460625, 6);
    expect(cost.byService.scheduler).toBeCloseTo(2, 6);
    expect(cost.byService.lambda).toBeCloseTo(13.133389, 6);
    expect(cost.byService.dynamodb).toBeCloseTo(20.1875, 6);
    expect(cost.total).toBeCloseTo(40.4669515, 6);
    const standard = monthlyCost({ ...standardDay, lambdaGbSeconds: 0.6 }, 1_000_000);
    expect(costRatio(standard, cost)).toBeCloseTo(198.52504 / 40.4669515, 6);
  });

  it('the account takes the free tiers once: 4,000 transitions and 14M Scheduler invocations', () => {
    // 2 journeys x 1,000,000 entries x 7 transitions: 4,000 free = $0.10 off.
    const account = accountMonthlyCost([
      { usage: standardDay, entriesPerMonth: 1_000_000 },
      { usage: standardDay, entriesPerMonth: 1_000_000 },
    ]);
    expect(account.freeTiers).toBeCloseTo(0.1, 9);
    expect(account.total).toBeCloseTo(account.beforeFreeTiers - 0.1, 9);
    // 20M Scheduler invocations: 14M free = $14 off.
    const parks = usage({ target: 'high-volume', schedulerInvocations: 2 });
    expect(accountMonthlyCost([{ usage: parks, entriesPerMonth: 10_000_000 }]).freeTiers).toBeCloseTo(14, 9);
  });
});

describe('volumes and quota overrides as written', () => {
  it('reads a volume per month, day, hour or second; a month is 730 hours', () => {
    expect(SECONDS_PER_MONTH).toBe(2_628_000);
    const month = parseVolume('1,000,000/month');
    expect(month.ok && month.volume.entriesPerMonth).toBe(1_000_000);
    const day = parseVolume('10000/day');
    // 10,000 / 86,400 s x 2,628,000 s = 304,166.67 a month.
    expect(day.ok && day.volume.entriesPerMonth).toBeCloseTo(304_166.667, 3);
    const second = parseVolume('2/s');
    expect(second.ok && second.volume.entriesPerMonth).toBe(5_256_000);
    expect(parseVolume('1e6').ok).toBe(true);
    for (const bad of ['lots/month', '100/fortnight', '-5/day', '0/s', '1/2/3', '']) {
      const parsed = parseVolume(bad);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.problem).toContain('<number>/<month|day|hour|s>');
    }
  });

  it('reads --quota by id or console name, and names what is wrong', () => {
    expect(findQuota('Number of schedules')).toBe('scheduler-schedules');
    expect(findQuota('maximum open executions per account')).toBe('sfn-open-executions');
    const ok = parseQuotaOverrides(['sfn-open-executions=10,000,000', 'Invocations throttle limit=5000']);
    expect(ok).toEqual({
      ok: true,
      overrides: { 'sfn-open-executions': 10_000_000, 'scheduler-invocations': 5000 },
    });
    const unknown = parseQuotaOverrides(['nope=5']);
    expect(!unknown.ok && unknown.problem).toContain('no quota "nope"');
    const value = parseQuotaOverrides(['sfn-open-executions=abc']);
    expect(!value.ok && value.problem).toContain('positive number');
    const shape = parseQuotaOverrides(['sfn-open-executions']);
    expect(!shape.ok && shape.problem).toContain('expected name=value');
  });
});

describe('what one call costs in DynamoDB, as the code makes its requests', () => {
  const counts = (call: Call) => requestCounts(requestsOf(call));

  it('record 1 write, enter 1, deliver 1 read + 2 writes (+ the figures marker), finish on the end event 0', () => {
    expect(counts({ kind: 'record' })).toEqual({ reads: 0, writes: 1 });
    expect(counts({ kind: 'enter', readsProfile: false, trigger: 'event' })).toEqual({ reads: 0, writes: 1 });
    // readCustomer, the ledger write, the message's history entry; the marker is the figures function's.
    const email = requestsOf({ kind: 'deliver', channel: 'email', system: false, finishes: true });
    expect(email.gets).toEqual(['customer']);
    expect(email.writes).toEqual(['customer', 'history']);
    expect(email.indexWrites).toBe(1);
    expect(email.markerWrites).toBe(1);
    expect(counts({ kind: 'finishOnEvent', freedByStep: true })).toEqual({ reads: 0, writes: 0 });
    // SES's delivery event: the 2 requests the request bench counts after the event's own 5.
    expect(counts({ kind: 'deliveryReport' })).toEqual({ reads: 1, writes: 2 });
    expect(requestsOf({ kind: 'deliveryReport' }).markerWrites).toBe(1);
    expect(counts({ kind: 'finishOnEvent', freedByStep: false })).toEqual({ reads: 0, writes: 2 });
    // SMS keeps a pointer for its receipts.
    expect(requestsOf({ kind: 'deliver', channel: 'sms', system: false, finishes: false }).writes).toEqual([
      'customer',
      'history',
      'small',
    ]);
  });

  it('high-volume: park 1 write + the place read (a waitForEvent + registration and a Query), resume 1 read + 1 claim', () => {
    expect(counts({ kind: 'park', awaits: false })).toEqual({ reads: 1, writes: 1 });
    expect(counts({ kind: 'park', awaits: true })).toEqual({ reads: 2, writes: 2 });
    // The claim answers the park (ReturnValues ALL_NEW): no read of the park of its own.
    expect(counts({ kind: 'resume', afterAwait: false })).toEqual({ reads: 1, writes: 1 });
    expect(counts({ kind: 'resume', afterAwait: true })).toEqual({ reads: 1, writes: 2 });
    expect(counts({ kind: 'finishTask' })).toEqual({ reads: 0, writes: 2 });
  });

  it('bills a customer-item write on the whole item: 1.5 KB is 2 write units', () => {
    // Ledger write 2 WRU (1,536 B), history 1 (800 B), index copy 1, marker 1 (500 B): 5 WRU;
    // a strongly consistent read of the 1.5 KB item: 1 RRU.
    const units = requestUnits(
      requestsOf({ kind: 'deliver', channel: 'email', system: false, finishes: false }),
      ASSUMED_ITEM_BYTES,
    );
    expect(units).toEqual({ reads: 1, writes: 5 });
    expect(
      requestUnits(requestsOf({ kind: 'enter', readsProfile: false, trigger: 'event' }), {
        ...ASSUMED_ITEM_BYTES,
        customer: 3700,
      }).writes,
    ).toBe(4);
  });
});

describe('the sample journeys, compiled for both targets', () => {
  const usages = samples.map((journey) => usagesOf(journey, settings, project.events));
  const of = (id: string) => {
    const found = usages.find((u) => u.journeyId === id);
    if (found === undefined) throw new Error(`no usage for ${id}`);
    return found;
  };
  // End steps aside: a journey ends on the state before them (a finish Task only where no send finishes it).
  const stepsVisited = (path: readonly string[], journeyId: string): string[] =>
    path.filter((name) => {
      const step = sample(journeyId).steps[name];
      return step !== undefined && step.type !== 'end';
    });

  it('takes the same journey steps on both targets, and counts transitions as waymark cost does', () => {
    for (const journey of samples) {
      const { standard, highVolume } = of(journey.id);
      expect(stepsVisited(highVolume.path, journey.id)).toEqual(stepsVisited(standard.path, journey.id));
      const compiled = compileJourney({ ...journey, workflow: 'standard' }, settings, project.events);
      expect(standard.transitions).toBe(compiled.cost.stateTransitions);
      expect(highVolume.transitions).toBe(0);
      expect(highVolume.parts).toBe(highVolume.expressStarts);
    }
  });

  it('cart-abandonment: Standard one execution of 7 transitions; high-volume 3 parts, 2 schedules', () => {
    const { standard, highVolume } = of('cart-abandonment');
    expect(standard.calls.map((call) => call.kind)).toEqual([
      'record',
      'enter',
      'deliver',
      // SES's Delivery event for the email, filed by the preferences function.
      'deliveryReport',
      'awaitEvent',
      'deliver',
      'deliver',
      'finishOnEvent',
    ]);
    expect(standard.standardStarts).toBe(1);
    // 1 h + 23 h (the order's timeout): one day.
    expect(standard.lifetimeSeconds).toBe(86_400);
    // The retarget webhook finishes the journey: the end event finds the place freed.
    expect(standard.calls.at(-1)).toEqual({ kind: 'finishOnEvent', freedByStep: true });
    expect(standard.messages).toBe(2);
    expect(standard.systemCalls).toBe(1);
    expect(standard.messagesByChannel).toEqual({ email: 1, push: 1 });

    expect(highVolume.calls.map((call) => call.kind)).toEqual([
      'record',
      'enter',
      'park',
      'resume',
      'deliver',
      'deliveryReport',
      'park',
      'resume',
      'deliver',
      'deliver',
    ]);
    expect(highVolume.calls[6]).toEqual({ kind: 'park', awaits: true });
    expect(highVolume.calls[7]).toEqual({ kind: 'resume', afterAwait: true });
    expect(highVolume.parts).toBe(3);
    expect(highVolume.schedulesCreated).toBe(2);
    expect(highVolume.schedulerInvocations).toBe(2);
    expect(highVolume.standardStarts).toBe(0);
    expect(highVolume.lifetimeSeconds).toBe(86_400);
    expect(highVolume.path.filter((name) => name === PART_STATES[0])).toHaveLength(3);
    // Requests: record 1W, enter 1W, park 1R 1W, resume 1R 1W, remind 1R 2W + marker, its delivery
    // report 1R 1W + marker, park 1R 1Q 2W, resume 1R 2W, nudge 1R 2W + marker, retarget 2R 2W + 2
    // markers + 1W freeing the place (it finishes the journey: no finish Task follows).
    expect(highVolume.dynamodbRequests).toEqual({ reads: 10, writes: 21 });
    // Rule invocations: record and start (the trigger), SES's delivery event for the one email.
    expect(highVolume.ruleInvocations).toBe(3);
    // Standard adds the status-change event's rule to the finish function.
    expect(standard.ruleInvocations).toBe(4);
  });

  it('an awaited event that comes starts the next part through the resume function, not a schedule', () => {
    const raw: unknown = JSON.parse(readFileSync(`${JOURNEYS_DIR}/cart-abandonment.json`, 'utf8'));
    if (typeof raw !== 'object' || raw === null) throw new Error('cart-abandonment.json');
    // The event path is now the longer one: two sends after the order, none after the timeout.
    const journey = journeySchema.parse({
      ...raw,
      steps: {
        'wait-an-hour': { type: 'wait', duration: '1h', next: 'await-order' },
        'await-order': {
          type: 'waitForEvent',
          event: { event: 'order.placed' },
          timeout: '23h',
          onEvent: 'thanks',
          onTimeout: 'done',
        },
        thanks: {
          type: 'send',
          channel: 'email',
          template: 'cart-reminder',
          category: 'transactional',
          next: 'again',
        },
        again: {
          type: 'send',
          channel: 'email',
          template: 'cart-reminder',
          category: 'transactional',
          next: 'done',
        },
        done: { type: 'end' },
      },
      start: 'wait-an-hour',
    });
    const definition = compileJourney(
      { ...journey, workflow: 'high-volume' },
      settings,
      project.events,
    ).definition;
    const path = longestRunPath(definition);
    expect(path).toContain('thanks');
    const highVolume = entryUsage(journey, definition, 'high-volume');
    // The hour's schedule fires; the order comes (its rule and the resume function start the part).
    expect(highVolume.schedulesCreated).toBe(2);
    expect(highVolume.schedulerInvocations).toBe(1);
    expect(highVolume.expressStarts).toBe(3);
    // Rules: record and start; SES's delivery events for the two emails; the order to resume.
    expect(highVolume.ruleInvocations).toBe(2 + 2 + 1);
    // On Standard the order reaches the resume function too, which answers the task token.
    const standard = entryUsage(
      journey,
      compileJourney({ ...journey, workflow: 'standard' }, settings, project.events).definition,
      'standard',
    );
    expect(standard.path).toContain('thanks');
    // record, start, 2 delivery events, the order, the status change.
    expect(standard.ruleInvocations).toBe(2 + 2 + 1 + 1);
    // 8 calls (record, enter, awaitEvent, 2 x deliver and its delivery report, the end) + resume.
    expect(standard.calls).toHaveLength(8);
    expect(standard.lambdaInvocations).toBe(9);
  });

  it('refuses a definition compiled for the other target', () => {
    const journey = sample('gold-welcome');
    const standard = compileJourney(
      { ...journey, workflow: 'standard' },
      settings,
      project.events,
    ).definition;
    expect(() => entryUsage(journey, standard, 'high-volume')).toThrow('not high-volume');
  });
});
