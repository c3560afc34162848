/**
 * Where an execution has been, read from its Step Functions history (shared/report/positions), and which
 * journey a state machine runs (shared/aws/names): what the report's step counts start from.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { journeyOfStateMachine } from '../../shared/aws/names.ts';
import { compileDefinition, STATE } from '../../shared/journey/compile.ts';
import { stepsOf } from '../../shared/report/positions.ts';
import { sampleEvents } from '../support/events.ts';
import { sample } from '../support/project.ts';
import { T0 } from './fixtures.ts';

describe('execution positions from Step Functions history', () => {
  // The states as cart-abandonment compiles now: a name missing from it makes the history a fiction.
  const { States: states } = compileDefinition(sample('cart-abandonment'), sampleEvents());
  const entered = (name: string): HistoryEvent => {
    const state = states[name];
    if (state === undefined) throw new Error(`cart-abandonment compiles no state ${name}`);
    return {
      type: `${state.Type}StateEntered`,
      id: 0,
      timestamp: new Date(T0),
      stateEnteredEventDetails: { name },
    };
  };
  const ENTRY = [STATE.enter, STATE.admitted];
  const QUIET_NUDGE = [
    'nudge',
    'nudge.deferral',
    'nudge.deferredOutcome',
    'nudge.deferredWhy',
    'nudge.quietHours',
  ];

  it("counts a send retried after quiet hours as one visit, and maps the compiler's states to their step", () => {
    const events = [...ENTRY, ...QUIET_NUDGE, 'nudge'].map(entered);
    expect(stepsOf(events)).toEqual({ visited: ['nudge'], current: 'nudge' });
    expect(stepsOf([...events, entered('retarget'), ...QUIET_NUDGE.map(entered)])).toEqual({
      visited: ['nudge', 'retarget', 'nudge'],
      current: 'nudge',
    });
    // In the middle of its deferral path, in its wait: still at the step.
    for (let end = 2; end <= QUIET_NUDGE.length; end += 1) {
      expect(stepsOf([...ENTRY, ...QUIET_NUDGE.slice(0, end)].map(entered))).toEqual({
        visited: ['nudge'],
        current: 'nudge',
      });
    }
    // Waiting for a send slot, then sending with it: one visit.
    expect(
      stepsOf(
        [
          ...ENTRY,
          'remind',
          'remind.deferral',
          'remind.deferredOutcome',
          'remind.deferredWhy',
          'remind.rateWait',
          'remind.withSlot',
        ].map(entered),
      ),
    ).toEqual({ visited: ['remind'], current: 'remind' });
    // The execution starts on Waymark.Enter: no step yet.
    expect(stepsOf([entered(STATE.enter)])).toEqual({ visited: [], current: undefined });
    expect(stepsOf(ENTRY.map(entered))).toEqual({ visited: [], current: undefined });
    expect(stepsOf([...ENTRY, STATE.notAdmitted].map(entered))).toEqual({ visited: [], current: undefined });
    // A failure ends on the Fail state, no step's.
    expect(stepsOf([...ENTRY, 'wait-an-hour', 'remind', 'await-order', STATE.failed].map(entered))).toEqual({
      visited: ['wait-an-hour', 'remind', 'await-order'],
      current: undefined,
    });
    // The last step ends the execution itself: it is the last one entered.
    expect(
      stepsOf([...ENTRY, 'wait-an-hour', 'remind', 'await-order', 'nudge', 'retarget'].map(entered)),
    ).toEqual({
      visited: ['wait-an-hour', 'remind', 'await-order', 'nudge', 'retarget'],
      current: 'retarget',
    });
    expect(stepsOf(['remind', 'remind.failed', 'await-order'].map(entered)).visited).toEqual([
      'remind',
      'await-order',
    ]);
  });

  it('reads a wait-until step from its schedule Task and its Wait', () => {
    const social = compileDefinition(sample('social-engagement'), sampleEvents()).States;
    expect(social['next-day-preferred-hour']?.Type).toBe('Task');
    expect(social['next-day-preferred-hour.wait']?.Type).toBe('Wait');
    const waiting = ['next-day-preferred-hour', 'next-day-preferred-hour.wait'].map((name): HistoryEvent => ({
      type: `${social[name]?.Type ?? 'Pass'}StateEntered`,
      id: 0,
      timestamp: new Date(T0),
      stateEnteredEventDetails: { name },
    }));
    expect(stepsOf(waiting)).toEqual({
      visited: ['next-day-preferred-hour'],
      current: 'next-day-preferred-hour',
    });
  });

  it('names the journey of a state machine, locally and on AWS', () => {
    const ids = ['abandonment', 'cart-abandonment'];
    expect(journeyOfStateMachine('cart-abandonment', ids, '')).toBe('cart-abandonment');
    expect(journeyOfStateMachine('waymark-dev-cart-abandonment', ids, undefined)).toBe('cart-abandonment');
    expect(journeyOfStateMachine('waymark-dev-cart-abandonment_express', ids, 'waymark-dev-')).toBe(
      'cart-abandonment',
    );
    expect(journeyOfStateMachine('waymark-prod-cart-abandonment', ids, 'waymark-dev-')).toBeUndefined();
    expect(journeyOfStateMachine('someone-elses-machine', ids, undefined)).toBeUndefined();
  });
});
