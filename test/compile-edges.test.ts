/**
 * Journeys at the edges of the language (every step kind, the longest ids,
 * names that look like generated ones) must still compile to a definition
 * Step Functions accepts: valid ASL, names within 80 characters, every
 * target present, and JSONPath written the way Step Functions parses it.
 */
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { type State, stateTargets } from '../shared/asl/types.ts';
import { TASK_ERRORS } from '../shared/contract/tasks.ts';
import { compileJourney, STATE } from '../shared/journey/compile.ts';
import { journeySchema } from '../shared/journey/schema.ts';
import { validateJourneyText } from '../shared/journey/validate.ts';
import { project, settings } from './support/project.ts';
import { sampleEvents } from './support/events.ts';

const LONG_ID = `a${'-x'.repeat(19)}b`; // 40 characters, the longest step id
const LONG_PATH = `p${'-y'.repeat(15)}z`; // 32 characters, the longest path name

const input = {
  id: 'every-step-kind',
  name: 'Every step kind',
  version: 1,
  status: 'active',
  trigger: { event: 'cart.abandoned', filter: { device: ['mobile'] } },
  exitOn: [{ event: 'order.placed' }, { event: 'customer.profile.updated', goal: false }],
  values: { offerCode: 'X10', offerText: '10% off', cartUrl: { from: 'event.cartUrl' } },
  start: LONG_ID,
  steps: {
    [LONG_ID]: {
      type: 'split',
      paths: [
        { name: 'choose', weight: 40, next: 'by-device' },
        { name: LONG_PATH, weight: 50, next: 'by-profile' },
        { name: 'control', weight: 10, holdout: true, next: 'done' },
      ],
    },
    'by-device': {
      type: 'branch',
      cases: [{ when: { field: 'event.device', equals: 'mobile' }, next: 'window' }],
      default: 'preferred',
    },
    'by-profile': {
      type: 'branch',
      cases: [
        { when: { history: { event: 'order.placed', within: '30d' } }, next: 'mark' },
        { when: { field: 'profile.attributes.loyaltyTier', equals: 'gold' }, next: 'mark' },
      ],
      default: 'window',
    },
    window: {
      type: 'wait',
      until: { kind: 'localWindow', start: '09:00', end: '18:00', days: ['mon', 'fri'] },
      next: 'preferred',
    },
    preferred: { type: 'wait', until: { kind: 'preferredHour' }, next: 'mark' },
    mark: {
      type: 'updateProfile',
      set: { lastCart: { from: 'event.cartId' } },
      addTags: ['cart'],
      next: 'remind',
    },
    remind: {
      type: 'send',
      channel: ['push', 'sms', 'email'],
      template: 'cart-nudge',
      category: 'marketing',
      next: 'await',
      onNotSent: 'signal',
    },
    await: {
      type: 'waitForEvent',
      event: { event: 'order.placed', filter: { total: [{ numeric: ['>', 0] }] } },
      timeout: '2d',
      onEvent: 'done',
      onTimeout: 'signal',
    },
    signal: {
      type: 'emit',
      event: 'retargeting.audience.requested',
      detail: {
        audience: 'carts',
        offerCode: { from: 'values.offerCode' },
        reason: { from: 'trigger.source' },
      },
      next: 'done',
    },
    done: { type: 'end' },
  },
};
const everything = journeySchema.parse(input);

const compiled = compileJourney(everything, settings, sampleEvents());
const states = compiled.definition.States;

/** Every JSONPath the definition holds, with where it was found. */
function paths(): { where: string; path: string }[] {
  const found: { where: string; path: string }[] = [];
  const walk = (node: unknown, where: string, isPath: boolean): void => {
    if (typeof node === 'string') {
      if (isPath && (node.startsWith('$.') || node.startsWith('$$.'))) found.push({ where, path: node });
      return;
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => walk(item, `${where}[${index}]`, isPath));
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      const pathKey =
        key.endsWith('.$') ||
        ['Variable', 'ResultPath', 'TimestampPath', 'InputPath', 'OutputPath'].includes(key);
      walk(value, `${where}.${key}`, pathKey);
    }
  };
  walk(states, 'States', false);
  return found;
}

describe('a journey using every step kind at the edges of the language', () => {
  it('is a valid journey', () => {
    const result = validateJourneyText(JSON.stringify(input, null, 2), 'every-step-kind.json', {
      settings,
      events: sampleEvents(),
      segments: new Map(),
      now: new Date('2026-11-18T15:00:00Z'),
      templates: project.templates,
    });
    expect(result.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
  });

  it('passes asl-validator', () => {
    const result = aslValidator(structuredClone(compiled.definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it("keeps every state name within Step Functions' 80 characters, and unique per purpose", () => {
    for (const name of Object.keys(states)) expect(name.length, name).toBeLessThanOrEqual(80);
    // A path called "choose" has its own state and does not replace the split's Choice.
    expect(states[`${LONG_ID}.choose`]?.Type).toBe('Choice');
    expect(states[`${LONG_ID}.path.choose`]?.Type).toBe('Pass');
  });

  it('goes only to states that exist, and reaches every state', () => {
    const seen = new Set<string>();
    const queue = [compiled.definition.StartAt];
    while (queue.length > 0) {
      const name = queue.pop();
      if (name === undefined || seen.has(name)) continue;
      const state: State | undefined = states[name];
      expect(state, `target ${name}`).toBeDefined();
      if (state === undefined) continue;
      seen.add(name);
      queue.push(...stateTargets(state, { includeCatch: true }));
    }
    expect([...seen].sort()).toEqual(Object.keys(states).sort());
  });

  it('writes JSONPath with dots only for plain names and brackets for the rest', () => {
    const all = paths();
    expect(all.length).toBeGreaterThan(20);
    for (const { where, path } of all) {
      const dotted = path.replace(/\['(?:[^'\\]|\\.)*'\]|\[\d+\]/g, '');
      for (const segment of dotted.split('.').slice(1)) {
        expect(segment, `${where}: ${path}`).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
      }
    }
    expect(all.map(({ path }) => path)).toContainEqual("$.steps['by-profile'].outcome.matched");
  });

  it('compiles a branch on the event alone to a Choice and one reading the profile or history to a task', () => {
    expect(states['by-device']?.Type).toBe('Choice');
    expect(states['by-profile']?.Type).toBe('Task');
    expect(states['by-profile.choose']?.Type).toBe('Choice');
  });

  it('lists each resource with exactly the states that use it', () => {
    const uses = Object.fromEntries(
      compiled.resources.map((resource) => [resource.placeholder, resource.states]),
    );
    expect(uses.DeliverFunctionArn).toEqual(['remind', 'remind.withSlot']);
    expect(uses.EventBusName).toEqual(['signal']);
    // Neither the end ("done", a Succeed) nor a failure (Waymark.Failed, a Fail state) calls a function.
    expect(uses.StepsFunctionArn).toEqual(
      [STATE.enter, 'await', 'by-profile', 'mark', 'preferred', 'remind.failed', 'window'].sort(),
    );
  });

  it('ends on the states before the end step; "done" stays a Succeed because a Catch and a Choice name it', () => {
    // Each of these goes on to "done": it ends the execution itself.
    for (const name of ['await', 'signal', `${LONG_ID}.path.control`]) {
      expect(states[name], name).toMatchObject({ End: true });
      expect(states[name], name).not.toHaveProperty('Next');
    }
    for (const state of Object.values(states)) {
      if ('Next' in state) expect(state.Next).not.toBe('done');
    }
    expect(states.done).toEqual({ Type: 'Succeed' });
    expect(states.signal).toMatchObject({ Catch: [{ ErrorEquals: ['States.ALL'], Next: 'done' }] });
    expect(states['await']).toMatchObject({
      Catch: [
        { ErrorEquals: ['States.Timeout'], Next: 'signal' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.failed },
      ],
    });
    expect(states[STATE.failed]).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it('keeps the outcome Choice of the send whose unsent messages go elsewhere, and catches its deferrals', () => {
    expect(states.remind).toMatchObject({
      Next: 'remind.outcome',
      ResultPath: '$.steps.remind',
      Catch: [
        { ErrorEquals: [TASK_ERRORS.deferred], ResultPath: '$.steps.remind', Next: 'remind.deferral' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.steps.remind', Next: 'remind.failed' },
      ],
    });
    expect(states['remind.outcome']).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.steps.remind.outcome.status', StringEquals: 'sent', Next: 'await' }],
      Default: 'signal',
    });
    expect(states['remind.withSlot']).toMatchObject({ Next: 'remind.outcome' });
  });
});
