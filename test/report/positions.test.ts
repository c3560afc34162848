/**
 * Where an execution has been, read from its Step Functions history (shared/report/positions), and which
 * journey a state machine runs (shared/aws/names): what the report's step counts start from.
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { journeyOfStateMachine } from '../../shared/aws/names.ts';
import { stepsOf } from '../../shared/report/positions.ts';
import { T0 } from './fixtures.ts';

describe('execution positions from Step Functions history', () => {
  const entered = (name: string): HistoryEvent => ({
    type: name.includes('.') ? 'ChoiceStateEntered' : 'TaskStateEntered',
    id: 0,
    timestamp: new Date(T0),
    stateEnteredEventDetails: { name },
  });

  it("counts a send retried after quiet hours as one visit, and maps the compiler's states to their step", () => {
    const events = [
      'Waymark.Start',
      'Waymark.Enter',
      'nudge',
      'nudge.outcome',
      'nudge.quietHours',
      'nudge',
    ].map(entered);
    expect(stepsOf(events)).toEqual({ visited: ['nudge'], current: 'nudge' });
    expect(stepsOf([...events, entered('nudge.outcome'), entered('retarget'), entered('nudge')])).toEqual({
      visited: ['nudge', 'retarget', 'nudge'],
      current: 'nudge',
    });
    expect(stepsOf([entered('Waymark.Start'), entered('Waymark.Enter')])).toEqual({
      visited: [],
      current: undefined,
    });
    expect(stepsOf([entered('wait-a-day'), entered('wait-a-day.wait')]).current).toBe('wait-a-day');
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
