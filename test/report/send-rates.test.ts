/**
 * Send rates in the report (shared/report/send-rates, buildReport): the most messages a channel sent
 * in any one second, beside the configured rate, and the executions waiting for a send slot now.
 */
import { type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../shared/customer/history.ts';
import { compileDefinition, STATE } from '../../shared/journey/compile.ts';
import { journeySchema } from '../../shared/journey/schema.ts';
import { readPositionsOf } from '../../shared/report/positions.ts';
import { buildReport } from '../../shared/report/report.ts';
import { peakInOneSecond, rateWaitState } from '../../shared/report/send-rates.ts';
import type { ExecutionPosition } from '../../shared/report/types.ts';
import { sampleEvents } from '../support/events.ts';
import { customer, message, T0 } from './fixtures.ts';

/** An ISO time `ms` milliseconds after T0 (12:00:00.000). */
const ms = (offset: number): string => new Date(T0 + offset).toISOString();

/** A message at a time to the millisecond; the fixture's own times are whole minutes. */
function sentAt(
  offset: number,
  channel: 'email' | 'sms' | 'push',
  options: { executionId?: string; journeyId?: string } = {},
): HistoryEntry {
  return { ...message(0, 'first', channel, options), time: ms(offset) };
}

const journey = journeySchema.parse({
  id: 'winback',
  name: 'Win back',
  version: 1,
  status: 'active',
  trigger: { event: 'cart.abandoned' },
  start: 'first',
  steps: {
    first: { type: 'send', channel: ['email'], template: 't', category: 'marketing', next: 'second' },
    second: { type: 'send', channel: ['sms'], template: 't', category: 'marketing', next: 'done' },
    done: { type: 'end' },
  },
});

function report(
  entries: Record<string, HistoryEntry[]>,
  options: { executions?: ExecutionPosition[]; sendRates?: { email?: number; sms?: number; push?: number } },
): ReturnType<typeof buildReport> {
  return buildReport({
    customers: Object.entries(entries).map(([customerId, history]) => customer(customerId, history)),
    events: sampleEvents(),
    journeys: [journey],
    executions: options.executions ?? [],
    now: new Date(ms(3_600_000)),
    ...(options.sendRates === undefined ? {} : { sendRates: options.sendRates }),
  });
}

describe('the rate each channel reached', () => {
  // Ten emails from 12:00:00.600 to 12:00:01.400: no clock second holds more than five, one second
  // starting at .600 holds all ten. The one at 12:00:01.600 is a second after .600 exactly: outside.
  const burst = [600, 700, 800, 900, 950, 1000, 1100, 1200, 1300, 1400, 1600];
  const histories = {
    // Out of time order across customers and within one: each channel is sorted once.
    ana: [0, ...burst.slice(0, 5)].reverse().map((offset) => sentAt(offset, 'email')),
    bruno: burst.slice(5).map((offset) => sentAt(offset, 'email', { executionId: 'exec-2' })),
    // Two SMS 300 ms apart from two journeys: the limit is the account's, so they count together.
    carla: [sentAt(5_000, 'sms'), sentAt(9_000, 'sms')],
    dora: [sentAt(5_300, 'sms', { journeyId: 'retired', executionId: 'exec-9' })],
  };

  it('finds the busiest second wherever it starts, a burst across a clock second included', () => {
    const rates = report(histories, {}).sendRates;
    expect(rates).toEqual([
      { channel: 'email', peakPerSecond: 10, peakAt: ms(600) },
      { channel: 'sms', peakPerSecond: 2, peakAt: ms(5_000) },
      { channel: 'push', peakPerSecond: 0 },
      { channel: 'whatsapp', peakPerSecond: 0 },
      { channel: 'webhook', peakPerSecond: 0 },
      { channel: 'function', peakPerSecond: 0 },
    ]);
    // What counting whole clock seconds would have said: six at most (12:00:00.000 is in the first).
    const perClockSecond = new Map<number, number>();
    for (const offset of [0, ...burst]) {
      const second = Math.floor(offset / 1000);
      perClockSecond.set(second, (perClockSecond.get(second) ?? 0) + 1);
    }
    expect(Math.max(...perClockSecond.values())).toBe(6);
  });

  it('shows the configured rate beside the one reached, only for the channels settings name', () => {
    const rates = report(histories, { sendRates: { email: 8, sms: 0.5 } }).sendRates;
    expect(rates).toEqual([
      { channel: 'email', configured: 8, peakPerSecond: 10, peakAt: ms(600) },
      { channel: 'sms', configured: 0.5, peakPerSecond: 2, peakAt: ms(5_000) },
      { channel: 'push', peakPerSecond: 0 },
      { channel: 'whatsapp', peakPerSecond: 0 },
      { channel: 'webhook', peakPerSecond: 0 },
      { channel: 'function', peakPerSecond: 0 },
    ]);
    expect(rates[2]).not.toHaveProperty('configured');
  });

  it('counts a window as one second long, its end left out, and shows the earliest of equal ones', () => {
    expect(peakInOneSecond([])).toEqual({ count: 0 });
    expect(peakInOneSecond([T0])).toEqual({ count: 1, startsAt: T0 });
    expect(peakInOneSecond([0, 1000, 2000])).toEqual({ count: 1, startsAt: 0 });
    expect(peakInOneSecond([0, 999, 1998])).toEqual({ count: 2, startsAt: 0 });
    // Several messages in one millisecond are that many in the second.
    expect(peakInOneSecond([5, 5, 5, 900, 1005, 1006])).toEqual({ count: 4, startsAt: 5 });
    expect(peakInOneSecond([0, 10, 2000, 2500, 2999])).toEqual({ count: 3, startsAt: 2000 });
  });
});

describe('executions waiting for a send slot', () => {
  const position = (
    executionId: string,
    status: ExecutionPosition['status'],
    current: string | undefined,
    currentState: string | undefined,
  ): ExecutionPosition => ({
    journeyId: 'winback',
    executionId,
    customerId: executionId,
    status,
    visited: ['first', ...(current === 'second' ? ['second'] : [])],
    ...(current === undefined ? {} : { current }),
    ...(currentState === undefined ? {} : { currentState }),
    startedAt: ms(0),
  });

  it("counts running executions in their step's rate wait, and no others", () => {
    const built = report(
      {},
      {
        executions: [
          position('waits-1', 'running', 'first', 'first.rateWait'),
          position('waits-2', 'running', 'first', 'first.rateWait'),
          position('waits-3', 'running', 'second', 'second.rateWait'),
          // Sending now, holding the slot it waited for.
          position('sending', 'running', 'first', 'first.withSlot'),
          position('quiet', 'running', 'first', 'first.quietHours'),
          // A host that does not say which state (waiting, but not known to be for a slot).
          position('unknown', 'running', 'first', undefined),
          position('stopped', 'stopped', undefined, 'first.rateWait'),
        ],
      },
    );
    const steps = built.journeys[0]?.steps;
    expect(steps?.first).toMatchObject({ waiting: 5, waitingForSlot: 2 });
    expect(steps?.second).toMatchObject({ waiting: 1, waitingForSlot: 1 });
    expect(steps?.done).toMatchObject({ waiting: 0, waitingForSlot: 0 });
    expect(built.waitingForSlot).toBe(3);
  });

  it('names the rate wait as the compiler does', () => {
    const states = compileDefinition(journey, sampleEvents()).States;
    expect(states[rateWaitState('first')]).toMatchObject({ Type: 'Wait', Next: 'first.withSlot' });
    expect(states[rateWaitState('second')]).toMatchObject({ Type: 'Wait', Next: 'second.withSlot' });
    // Reached only through the Choice on why a send was put off.
    expect(states['first.deferredWhy']).toMatchObject({
      Type: 'Choice',
      Choices: [{ StringEquals: 'rate-limited', Next: rateWaitState('first') }],
    });
  });

  it('reads the state a running execution is in from its Step Functions history', async () => {
    // The path a rate-limited send takes as the compiler writes it: the deferral is thrown, caught,
    // parsed from its cause, then the Choice on why sends it to the rate wait.
    const deferred = ['first', 'first.deferral', 'first.deferredOutcome', 'first.deferredWhy'];
    const histories: Record<string, string[]> = {
      'arn:waits': [STATE.enter, STATE.admitted, ...deferred, 'first.rateWait'],
      'arn:sent': [STATE.enter, STATE.admitted, ...deferred, 'first.rateWait', 'first.withSlot'],
      'arn:quiet': [STATE.enter, STATE.admitted, ...deferred, 'first.quietHours'],
      'arn:deciding': [STATE.enter, STATE.admitted, ...deferred],
    };
    const states = compileDefinition(journey, sampleEvents()).States;
    for (const name of Object.values(histories).flat()) expect(Object.keys(states), name).toContain(name);
    const sfn = stubbedSfn(histories);
    const positions = await readPositionsOf(
      sfn,
      Object.keys(histories).map((executionArn) => ({ journeyId: 'winback', executionArn })),
    );
    sfn.destroy();
    expect(
      positions.map(({ executionId, current, currentState }) => [executionId, current, currentState]),
    ).toEqual([
      ['arn:waits', 'first', 'first.rateWait'],
      ['arn:sent', 'first', 'first.withSlot'],
      ['arn:quiet', 'first', 'first.quietHours'],
      ['arn:deciding', 'first', 'first.deferredWhy'],
    ]);
    // Only the one in the rate wait waits for a slot.
    expect(report({}, { executions: positions }).waitingForSlot).toBe(1);
  });
});

/**
 * A Step Functions client answered in process (a middleware first in line, so nothing goes on the
 * network): running executions that entered the given states.
 */
function stubbedSfn(statesByArn: Record<string, string[]>): SFNClient {
  const sfn = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  sfn.middlewareStack.add(
    (_next, context) => (args) => {
      const executionArn = 'executionArn' in args.input ? (args.input.executionArn ?? '') : '';
      if (context.commandName === 'DescribeExecutionCommand') {
        return Promise.resolve({
          response: {},
          output: {
            $metadata: {},
            executionArn,
            stateMachineArn: 'arn:machine',
            status: 'RUNNING',
            startDate: new Date(T0),
            input: JSON.stringify({ detail: { customerId: 'c' } }),
          },
        });
      }
      const states = compileDefinition(journey, sampleEvents()).States;
      const events: HistoryEvent[] = (statesByArn[executionArn] ?? []).map((name, index) => ({
        id: index + 1,
        timestamp: new Date(T0),
        type: `${states[name]?.Type ?? 'Task'}StateEntered`,
        stateEnteredEventDetails: { name },
      }));
      return Promise.resolve({ response: {}, output: { $metadata: {}, events } });
    },
    { step: 'initialize', name: 'answerInProcess' },
  );
  return sfn;
}
