import { describe, expect, it } from 'vitest';
import { type ConditionScope, evaluateCondition, firstMatchingCase } from '../shared/journey/conditions.ts';
import { type Condition, conditionSchema } from '../shared/journey/schema.ts';

const now = new Date('2026-03-10T12:00:00Z');

function scope(overrides: Partial<ConditionScope> = {}): ConditionScope {
  return {
    event: {
      resolved: false,
      topic: 'delivery delay',
      total: 559.7,
      items: [{ sku: 'A' }],
      tags: ['x', 'y'],
    },
    profile: { attributes: { loyaltyTier: 'gold' }, tags: ['vip'] },
    values: { offerCode: 'CART10' },
    trigger: { time: '2026-03-10T11:00:00Z', source: 'shop.web' },
    history: [],
    now,
    ...overrides,
  };
}

function condition(input: unknown): Condition {
  return conditionSchema.parse(input);
}

describe('branch conditions', () => {
  it.each([
    [{ field: 'event.resolved', equals: false }, true],
    [{ field: 'event.resolved', equals: 'false' }, false],
    [{ field: 'event.missing', equals: null }, false],
    [{ field: 'event.missing', notEquals: 'x' }, true],
    [{ field: 'event.topic', notEquals: 'delivery delay' }, false],
    [{ field: 'profile.attributes.loyaltyTier', in: ['gold', 'platinum'] }, true],
    [{ field: 'event.total', greaterThan: 500 }, true],
    [{ field: 'event.topic', greaterThan: 1 }, false],
    [{ field: 'event.total', lessThanOrEqual: 559.7 }, true],
    [{ field: 'event.topic', startsWith: 'deliv' }, true],
    [{ field: 'event.tags', contains: 'y' }, true],
    [{ field: 'profile.tags', contains: 'new' }, false],
    [{ field: 'event.topic', contains: 'delay' }, true],
    [{ field: 'event.items.0.sku', equals: 'A' }, true],
    [{ field: 'event.missing', exists: false }, true],
    [{ field: 'values.offerCode', exists: true }, true],
    [{ field: 'trigger.source', equals: 'shop.web' }, true],
  ])('%j is %s', (input, expected) => {
    expect(evaluateCondition(condition(input), scope())).toBe(expected);
  });

  it('combines with all, any and not', () => {
    const gold = { field: 'profile.attributes.loyaltyTier', equals: 'gold' };
    const resolved = { field: 'event.resolved', equals: true };
    expect(evaluateCondition(condition({ all: [gold, { not: resolved }] }), scope())).toBe(true);
    expect(evaluateCondition(condition({ all: [gold, resolved] }), scope())).toBe(false);
    expect(evaluateCondition(condition({ any: [resolved, gold] }), scope())).toBe(true);
  });

  it('counts matching events in the shared history within the window', () => {
    const history = [
      { detailType: 'support.call.completed', time: '2026-03-08T10:00:00Z', detail: { resolved: false } },
      { detailType: 'support.call.completed', time: '2026-02-01T10:00:00Z', detail: { resolved: false } },
      { detailType: 'order.placed', time: '2026-03-09T10:00:00Z', detail: {} },
    ];
    const hadCall = (extra: Record<string, unknown>) =>
      condition({ history: { event: 'support.call.completed', within: '7d', ...extra } });
    expect(evaluateCondition(hadCall({}), scope({ history }))).toBe(true);
    expect(evaluateCondition(hadCall({ atLeast: 2 }), scope({ history }))).toBe(false);
    expect(evaluateCondition(hadCall({ filter: { resolved: [true] } }), scope({ history }))).toBe(false);
    expect(evaluateCondition(hadCall({ within: '60d', atLeast: 2 }), scope({ history }))).toBe(true);
    // An event stamped after "now" (clock skew) does not count as history yet.
    const future = [{ detailType: 'support.call.completed', time: '2026-03-11T00:00:00Z', detail: {} }];
    expect(evaluateCondition(hadCall({}), scope({ history: future }))).toBe(false);
  });

  it('picks the first case that holds, -1 for the default', () => {
    const cases = [
      condition({ field: 'event.resolved', equals: true }),
      condition({ field: 'event.total', greaterThan: 100 }),
      condition({ field: 'event.total', greaterThan: 10 }),
    ];
    expect(firstMatchingCase(cases, scope())).toBe(1);
    expect(firstMatchingCase(cases.slice(0, 1), scope())).toBe(-1);
  });
});
