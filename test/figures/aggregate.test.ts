/**
 * The counting itself (shared/figures/aggregate.ts), over the hand-worked entries of fixtures.ts, in
 * memory: every figure the journey, graph and metrics pages show from the counters.
 */
import { describe, expect, it } from 'vitest';
import { countedSums, countHistory } from '../../shared/figures/recount.ts';
import { countedReport } from '../../shared/figures/report.ts';
import { refusedAfterStart } from '../../shared/figures/aggregate.ts';
import type { Report } from '../../shared/report/types.ts';
import { at } from '../report/fixtures.ts';
import { CUSTOMERS, ENTRIES, EXPECTED, JOURNEY, POSITIONS } from './fixtures.ts';

function report(): Report {
  const sums = countedSums(countHistory(CUSTOMERS));
  return countedReport({
    all: sums.all,
    journeys: sums.journeys,
    definitions: [JOURNEY],
    executions: POSITIONS,
    now: new Date(at(5000)),
  });
}

describe('counting history entries', () => {
  it('counts entry into a journey from starts, broadcast entries and refusals, and active as entered minus ended', () => {
    const winback = report().journeys.find((journey) => journey.journeyId === 'winback');
    expect(winback).toMatchObject({
      triggered: EXPECTED.triggered,
      notEntered: EXPECTED.notEntered,
      entered: EXPECTED.entered,
      completed: EXPECTED.completed,
      failed: EXPECTED.failed,
      stopped: EXPECTED.stopped,
      exited: EXPECTED.exited,
      active: EXPECTED.active,
      conversions: EXPECTED.conversions,
      converted: EXPECTED.converted,
      hasGoal: true,
    });
    expect(winback?.conversionRate).toBeCloseTo(2 / 6);
    expect(winback?.funnel.map((stage) => [stage.label, stage.count])).toEqual(EXPECTED.funnel);
  });

  it('counts each step: messages by channel, skips by kind, last touches, and where executions are from their positions', () => {
    const steps = report().journeys[0]?.steps ?? {};
    expect(steps.first).toMatchObject({
      sent: { email: 3, sms: 0, push: 1 },
      deferred: 1,
      entered: 2,
      waiting: 0,
    });
    expect(steps.second).toMatchObject({ sent: { sms: 2 }, capped: 1, converted: 2, entered: 1 });
    // Eve's execution waits for the order; Ana's was stopped by hers while waiting.
    expect(steps.await).toMatchObject({ entered: 3, waiting: 1, exited: 1 });
    // Breadth first: the wait's event leads to done before its timeout leads to second.
    expect(report().journeys[0]?.stepOrder).toEqual(['pause', 'first', 'await', 'done', 'second']);
  });

  it('counts engagement once per message and action, a click as an open, before or after its message, and without one apart', () => {
    const { engagement } = report();
    const first = engagement.rows.find((row) => row.stepId === 'first' && row.channel === 'email');
    expect(first).toMatchObject({ sent: 3, engaged: { delivered: 2, opened: 1, clicked: 1, bounced: 0 } });
    expect(first?.rates.opened).toBeCloseTo(1 / 3);
    expect(engagement.unmatched).toBe(2);
    expect(engagement.channels.find((row) => row.channel === 'push')).toMatchObject({ sent: 1 });
  });

  it('counts attribution, what was not sent and deferrals that later sent', () => {
    const counted = report();
    expect(
      counted.attribution.map((row) => [row.stepId, row.channel, row.sent, row.lastTouch, row.linear]),
    ).toEqual([
      ['first', 'email', 3, 0, 1],
      ['first', 'push', 1, 0, 0],
      ['second', 'sms', 2, 2, 1],
    ]);
    expect(counted.channels.find((row) => row.channel === 'sms')).toMatchObject({
      sent: 2,
      lastTouch: 2,
      linear: 1,
    });
    expect(counted.notSent.byStatus).toMatchObject({ deferred: 1, capped: 1, 'opted-out': 0 });
    expect(counted.notSent.rows.map((row) => [row.channel, row.deferred, row.capped])).toEqual([
      ['email', 1, 0],
      ['sms', 0, 1],
    ]);
    expect(counted.notSent.byCap).toEqual({ 'sms-weekly': 1 });
    expect(counted.notSent.deferredThenSent).toBe(1);
    expect(counted.sources).toMatchObject({ historyEntries: ENTRIES, executions: 2 });
    expect(counted.basis).toBe('counters');
  });

  it('tells a refusal whose trigger was a start from one that had none', () => {
    const refusal = (executionId: string, reason: string, eventId?: string) => ({
      kind: 'journey' as const,
      time: at(0),
      journeyId: 'winback',
      executionId,
      action: 'not-entered' as const,
      reason,
      ...(eventId === undefined ? {} : { eventId }),
    });
    expect(refusedAfterStart(refusal('e1', 'duplicate-event'))).toBe(true);
    expect(
      refusedAfterStart(
        refusal('e1', 'invalid-event: no such segment entry: the event was not made by Waymark'),
      ),
    ).toBe(true);
    expect(refusedAfterStart(refusal('e1', 'invalid-event: detail.total: Expected number'))).toBe(false);
    expect(refusedAfterStart(refusal('e1', 'concurrency-limit', 'broadcast:winback:2026-11-18T10:00'))).toBe(
      false,
    );
    expect(refusedAfterStart(refusal(`x:b20261118T1000-${'c'.repeat(40)}`, 'concurrency-limit'))).toBe(false);
  });
});
