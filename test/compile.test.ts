import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import type { State, StateMachineDefinition, TaskState } from '../shared/asl/types.ts';
import {
  EVENTS_PUT_EVENTS,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  PLACEHOLDERS,
  TASK_ERRORS,
} from '../shared/contract/tasks.ts';
import { matchesPattern, validatePattern } from '../shared/events/pattern.ts';
import {
  type CompiledJourney,
  type CompiledRule,
  compileJourney,
  definitionText,
  type RuleRole,
  STATE,
} from '../shared/journey/compile.ts';
import { USD_PER_TRANSITION } from '../shared/journey/cost.ts';
import { type Journey, journeySchema } from '../shared/journey/schema.ts';
import { durationSeconds } from '../shared/time/duration.ts';
import { project, readEvent, ROOT, sample, sampleIds, settings, withDetail } from './support/project.ts';
import { cartWithEmitStep } from './support/emit-step.ts';
import { sampleEvents } from './support/events.ts';
import { triggerMatcher } from '../shared/journey/trigger.ts';

const GOLDEN_DIR = join(ROOT, 'test', 'golden');
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

function compileSample(id: string): CompiledJourney {
  return compileJourney(sample(id), settings, sampleEvents());
}

function rulesText(compiled: CompiledJourney): string {
  return `${JSON.stringify(compiled.rules, null, 2)}\n`;
}

function rule(compiled: CompiledJourney, role: RuleRole): CompiledRule {
  const found = compiled.rules.filter((candidate) => candidate.role === role);
  expect(found, `${compiled.journeyId} has one ${role} rule`).toHaveLength(1);
  const [first] = found;
  if (first === undefined) throw new Error(`No ${role} rule`);
  return first;
}

function taskState(definition: StateMachineDefinition, name: string): TaskState {
  const state = definition.States[name];
  if (state?.Type !== 'Task') throw new Error(`State ${name} is ${state?.Type ?? 'missing'}, not a Task`);
  return state;
}

/** Every state a state can go to, error paths included: written here, not taken from shared/. */
function transitionsOf(state: State): string[] {
  const targets: string[] = [];
  if ('Next' in state && state.Next !== undefined) targets.push(state.Next);
  if (state.Type === 'Choice') {
    targets.push(...state.Choices.map((choice) => choice.Next), state.Default);
  }
  if (state.Type === 'Task') targets.push(...(state.Catch ?? []).map((catcher) => catcher.Next));
  return targets;
}

function reachableFrom(definition: StateMachineDefinition): Set<string> {
  const seen = new Set<string>();
  const queue = [definition.StartAt];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const state = definition.States[name];
    if (state !== undefined) queue.push(...transitionsOf(state));
  }
  return seen;
}

function placeholdersIn(value: unknown): string[] {
  return [...JSON.stringify(value).matchAll(/\$\{([^}]*)\}/g)].map((match) => match[1] ?? '');
}

function jsonataFindings(text: string): string[] {
  return ['"QueryLanguage"', '"Arguments"', '"Output"', '"Assign"', '{%'].filter((marker) =>
    text.includes(marker),
  );
}

function checkGolden(file: string, actual: string): void {
  const path = join(GOLDEN_DIR, file);
  if (UPDATE_GOLDEN) {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(
    existsSync(path),
    `${path} is missing: run UPDATE_GOLDEN=1 npx vitest run test/compile.test.ts`,
  ).toBe(true);
  expect(actual).toEqual(readFileSync(path, 'utf8'));
}

describe('the sample journeys', () => {
  it('load without errors', () => {
    expect(project.problems.filter((problem) => problem.severity === 'error')).toEqual([]);
    expect(sampleIds).toEqual(
      expect.arrayContaining([
        'cart-abandonment',
        'social-engagement',
        'support-call-followup',
        'weekly-newsletter',
        'gold-welcome',
      ]),
    );
  });
});

describe.each(sampleIds)('compiled %s', (journeyId) => {
  const journey = sample(journeyId);
  const compiled = compileJourney(journey, settings, sampleEvents());
  const { definition } = compiled;
  const text = definitionText(definition);

  it('passes asl-validator', () => {
    // asl-validator writes QueryLanguage into the states it checks.
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is JSONPath only: no JSONata anywhere', () => {
    expect(jsonataFindings(text)).toEqual([]);
    expect(jsonataFindings(rulesText(compiled))).toEqual([]);
  });

  it('matches its golden files byte for byte', () => {
    checkGolden(`${journeyId}.asl.json`, text);
    checkGolden(`${journeyId}.rules.json`, rulesText(compiled));
  });

  it('compiles deterministically, whatever the order of its steps', () => {
    const before = structuredClone(journey);
    const again = compileJourney(journey, settings, sampleEvents());
    expect(JSON.stringify(again)).toBe(JSON.stringify(compiled));
    // The compiler must not write into the journey it is given.
    expect(journey).toEqual(before);

    const reversed: Journey = {
      ...journey,
      steps: Object.fromEntries(Object.entries(journey.steps).reverse()),
    };
    expect(Object.keys(reversed.steps)).not.toEqual(Object.keys(journey.steps));
    const reordered = compileJourney(reversed, settings, sampleEvents());
    expect(definitionText(reordered.definition)).toBe(text);
    expect(rulesText(reordered)).toBe(rulesText(compiled));
    expect(reordered.resources).toEqual(compiled.resources);
    expect(reordered.cost).toEqual(compiled.cost);
  });

  it('binds only the known placeholders, and lists exactly the states that use each', () => {
    const known: string[] = Object.values(PLACEHOLDERS);
    const expected = new Map<string, string[]>();
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') {
        expect(placeholdersIn(state), `${name} is not a Task`).toEqual([]);
        continue;
      }
      expect(placeholdersIn(state.Resource), `${name} Resource`).toEqual([]);
      for (const placeholder of placeholdersIn(state.Parameters)) {
        expect(known, `${name} uses \${${placeholder}}`).toContain(placeholder);
        const states = expected.get(placeholder) ?? [];
        if (!states.includes(name)) states.push(name);
        expected.set(placeholder, states);
      }
    }
    expect(placeholdersIn(definition).every((name) => known.includes(name))).toBe(true);
    expect(compiled.resources.map((resource) => [resource.placeholder, [...resource.states].sort()])).toEqual(
      [...expected.entries()].map(([name, states]) => [name, states.sort()]).sort(),
    );
    for (const resource of compiled.resources) {
      expect(resource.actions).toEqual(
        resource.placeholder === PLACEHOLDERS.eventBus ? ['events:PutEvents'] : ['lambda:InvokeFunction'],
      );
    }
  });

  it('moves only to states that exist, and every state may end', () => {
    const names = Object.keys(definition.States);
    expect(names).toContain(definition.StartAt);
    for (const [name, state] of Object.entries(definition.States)) {
      for (const target of transitionsOf(state)) expect(names, `${name} -> ${target}`).toContain(target);
      if (state.Type !== 'Choice' && state.Type !== 'Succeed' && state.Type !== 'Fail') {
        expect('Next' in state || 'End' in state, `${name} has Next or End`).toBe(true);
      }
    }
  });

  it('reaches every state from StartAt', () => {
    const reachable = reachableFrom(definition);
    expect(Object.keys(definition.States).filter((name) => !reachable.has(name))).toEqual([]);
  });

  it('retries throttled sends with backoff and catches every other failure', () => {
    const sends = Object.entries(journey.steps).filter(([, step]) => step.type === 'send');
    expect(sends.length).toBeGreaterThan(0);
    for (const [id] of sends) {
      const task = taskState(definition, id);
      expect(task.Resource).toBe(LAMBDA_INVOKE);
      expect(task.Parameters.FunctionName).toBe(`\${${PLACEHOLDERS.deliverFunction}}`);
      const throttled = (task.Retry ?? []).find((retrier) =>
        retrier.ErrorEquals.includes(TASK_ERRORS.throttled),
      );
      expect(throttled, `${id} retries ${TASK_ERRORS.throttled}`).toBeDefined();
      expect(throttled?.BackoffRate).toBeGreaterThan(1);
      expect(throttled?.MaxAttempts).toBeGreaterThan(0);
      expect((task.Catch ?? []).some((catcher) => catcher.ErrorEquals.includes('States.ALL'))).toBe(true);
    }
  });

  const waits = Object.entries(journey.steps).flatMap(([id, step]) =>
    step.type === 'waitForEvent' ? [{ id, step }] : [],
  );
  it.skipIf(waits.length === 0)(
    'waits for events with a task token, the journey timeout and a catch to onTimeout',
    () => {
      expect(waits.length).toBeGreaterThan(0);
      for (const { id, step } of waits) {
        const task = taskState(definition, id);
        expect(task.Resource).toBe(LAMBDA_INVOKE_WAIT_FOR_TOKEN);
        expect(task.Parameters.FunctionName).toBe(`\${${PLACEHOLDERS.stepsFunction}}`);
        expect(Object.values(task.Parameters.Payload ?? {})).toContain('$$.Task.Token');
        expect(task.TimeoutSeconds).toBe(durationSeconds(step.timeout));
        const catchers = task.Catch ?? [];
        const timeout = catchers.findIndex((catcher) => catcher.ErrorEquals.includes('States.Timeout'));
        expect(timeout, `${id} catches States.Timeout`).toBeGreaterThanOrEqual(0);
        expect(catchers[timeout]?.Next).toBe(step.onTimeout);
        // Catchers are tried in order: a States.ALL before it would swallow the timeout.
        const all = catchers.findIndex((catcher) => catcher.ErrorEquals.includes('States.ALL'));
        expect(all === -1 || all > timeout).toBe(true);
        expect(task.Next).toBe(step.onEvent);
      }
    },
  );

  it('has valid rule patterns', () => {
    for (const { pattern } of compiled.rules) expect(validatePattern(pattern)).toEqual([]);
  });
});

describe('rules', () => {
  it('social-engagement: the trigger carries the journey filter under detail and needs a customer id', () => {
    const journey = sample('social-engagement');
    const trigger = rule(compileSample('social-engagement'), 'trigger');
    expect(trigger.enabled).toBe(true);
    expect(trigger.pattern['detail-type']).toEqual(['social.engagement']);
    expect(trigger.pattern.detail).toEqual({
      ...triggerMatcher(journey.trigger).filter,
      customerId: [{ exists: true }],
    });
    const event = readEvent('social.engagement');
    expect(matchesPattern(trigger.pattern, event)).toBe(true);
    expect(matchesPattern(trigger.pattern, withDetail(event, { action: 'view' }))).toBe(false);
    expect(matchesPattern(trigger.pattern, withDetail(event, { customerId: undefined }))).toBe(false);
  });

  it('cart-abandonment: an order ends the journey and resumes the wait for it', () => {
    const compiled = compileSample('cart-abandonment');
    const order = readEvent('order.placed');
    const exit = rule(compiled, 'exit');
    expect(exit.enabled).toBe(true);
    expect(exit.pattern).toEqual({
      'detail-type': ['order.placed'],
      detail: { customerId: [{ exists: true }] },
    });
    expect(matchesPattern(exit.pattern, order)).toBe(true);
    const resume = rule(compiled, 'resume');
    expect(resume.enabled).toBe(true);
    expect(resume.pattern['detail-type']).toEqual(['order.placed']);
    expect(matchesPattern(resume.pattern, order)).toBe(true);
    const trigger = rule(compiled, 'trigger');
    expect(matchesPattern(trigger.pattern, readEvent('cart.abandoned'))).toBe(true);
    expect(matchesPattern(trigger.pattern, order)).toBe(false);
  });

  it('a journey without exit events or waits has only its trigger rule', () => {
    expect(compiledQuickJourney('express').rules.map((candidate) => candidate.role)).toEqual(['trigger']);
  });

  it('a paused journey keeps its exit and resume rules on but its trigger off', () => {
    const paused = compileJourney(
      { ...sample('cart-abandonment'), status: 'paused' },
      settings,
      sampleEvents(),
    );
    expect(paused.rules.map((candidate) => [candidate.role, candidate.enabled])).toEqual([
      ['trigger', false],
      ['exit', true],
      ['resume', true],
    ]);
    expect(paused.deploy).toBe(true);
  });
});

/** Short enough for Express: one 30-second wait and transactional messages only. */
function quickJourney(workflow: 'express' | 'standard'): Journey {
  return journeySchema.parse({
    id: 'order-receipt',
    name: 'Order receipt',
    version: 1,
    status: 'active',
    trigger: { event: 'order.placed' },
    workflow,
    start: 'settle',
    steps: {
      settle: { type: 'wait', duration: '30s', next: 'receipt' },
      receipt: {
        type: 'send',
        channel: ['email', 'sms'],
        template: 'order-receipt',
        category: 'transactional',
        next: 'done',
      },
      done: { type: 'end' },
    },
  });
}

function compiledQuickJourney(workflow: 'express' | 'standard'): CompiledJourney {
  return compileJourney(quickJourney(workflow), settings, sampleEvents());
}

describe('Express eligibility', () => {
  it('a 30-second journey of transactional messages may run as Express', () => {
    const express = compiledQuickJourney('express');
    expect(express.expressEligible).toEqual({ eligible: true, reasons: [] });
    expect(express.workflowType).toBe('EXPRESS');
    const standard = compiledQuickJourney('standard');
    expect(standard.expressEligible.eligible).toBe(true);
    expect(standard.workflowType).toBe('STANDARD');
    // Under a send rate a slot may be hours away: no longer eligible, and says why.
    const paced = compileJourney(
      quickJourney('express'),
      { ...settings, sendRates: { email: 14 } },
      sampleEvents(),
    );
    expect(paced.workflowType).toBe('STANDARD');
    expect(paced.expressEligible.reasons).toEqual([
      expect.stringContaining('may wait for a send slot on email'),
    ]);
    // Express only shortens task timeouts, so a stuck task leaves room for the rest of the run.
    const timeouts = (compiled: CompiledJourney) =>
      Object.values(compiled.definition.States).flatMap((state) =>
        state.Type === 'Task' ? [state.TimeoutSeconds] : [],
      );
    expect(new Set(timeouts(express))).toEqual(new Set([10]));
    expect(new Set(timeouts(standard))).toEqual(new Set([60]));
  });

  it('counts every attempt and retry: a third send makes the same journey too long for Express', () => {
    const journey = quickJourney('express');
    const { receipt: _replaced, ...otherSteps } = journey.steps;
    const withSends = (count: number) =>
      journeySchema.parse({
        ...journey,
        steps: {
          ...otherSteps,
          ...Object.fromEntries(
            Array.from({ length: count }, (_, index) => [
              `send-${index}`,
              {
                type: 'send',
                channel: 'email',
                template: 'order-receipt',
                category: 'transactional',
                next: index + 1 < count ? `send-${index + 1}` : 'done',
              },
            ]),
          ),
          settle: { type: 'wait', duration: '30s', next: 'send-0' },
        },
      });
    // Hand count with Express policies (10 s timeout, 2 retries each for throttling and Lambda errors):
    // enter 3 x 10 + 1 + 2 = 33 s; each send 5 x 10 + 2 + 4 + 1 + 2 = 59 s plus its failure record 33 s;
    // finish 33 s. With a 30 s wait: 2 sends = 280 s (fits), 3 sends = 372 s (does not).
    expect(compileJourney(withSends(2), settings, sampleEvents()).expressEligible).toEqual({
      eligible: true,
      reasons: [],
    });
    expect(compileJourney(withSends(3), settings, sampleEvents()).expressEligible.reasons).toEqual([
      expect.stringContaining('up to 372 s'),
    ]);
  });

  // gold-welcome is one transactional email, no wait: short enough (see below).
  const shortSamples = ['gold-welcome'];

  it.each(sampleIds.filter((id) => !shortSamples.includes(id)))(
    '%s is not eligible, and says why',
    (journeyId) => {
      const compiled = compileSample(journeyId);
      expect(compiled.expressEligible.eligible).toBe(false);
      expect(compiled.expressEligible.reasons.length).toBeGreaterThan(0);
      expect(compiled.workflowType).toBe('STANDARD');
    },
  );

  it('gold-welcome, one transactional email, may run as Express but stays Standard without asking', () => {
    expect(sampleIds).toEqual(expect.arrayContaining(shortSamples));
    const compiled = compileSample('gold-welcome');
    expect(compiled.expressEligible).toEqual({ eligible: true, reasons: [] });
    expect(sample('gold-welcome').workflow).not.toBe('express');
    expect(compiled.workflowType).toBe('STANDARD');
    const asked = compileJourney(
      { ...sample('gold-welcome'), workflow: 'express' },
      settings,
      sampleEvents(),
    );
    expect(asked.workflowType).toBe('EXPRESS');
  });

  it('names each step that keeps cart-abandonment Standard', () => {
    const { reasons } = compileSample('cart-abandonment').expressEligible;
    for (const id of ['await-order', 'nudge']) {
      expect(
        reasons.some((reason) => reason.includes(`"${id}"`)),
        id,
      ).toBe(true);
    }
    // The hour's wait alone is longer than an Express execution may run.
    expect(reasons).toContainEqual(expect.stringMatching(/up to \d+ s in it .* more than Express's 300 s/));
  });

  it('a journey asking for Express that cannot have it compiles to Standard', () => {
    const compiled = compileJourney(
      { ...sample('cart-abandonment'), workflow: 'express' },
      settings,
      sampleEvents(),
    );
    expect(compiled.workflowType).toBe('STANDARD');
  });
});

// No sample emits an event any more: cart-abandonment with its old emit step keeps what its golden file held.
describe('compiled emit step (cart-abandonment with retarget an emit step)', () => {
  const compiled = compileJourney(cartWithEmitStep(), settings, sampleEvents());
  const { definition } = compiled;

  it('passes asl-validator', () => {
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('puts the event on the bus with the customer and journey added, and goes on whatever happens', () => {
    expect(definition.States.retarget).toEqual({
      Type: 'Task',
      Comment: 'Ask the ads system to show the same offer to this customer.',
      Resource: EVENTS_PUT_EVENTS,
      Parameters: {
        Entries: [
          {
            EventBusName: `\${${PLACEHOLDERS.eventBus}}`,
            Source: 'waymark.journeys',
            DetailType: 'retargeting.audience.requested',
            Detail: {
              audience: 'cart-abandoners',
              reason: 'No order within a day of cart.abandoned',
              'offerCode.$': '$.entry.outcome.values.offerCode',
              'customerId.$': '$.customerId',
              journeyId: 'cart-abandonment',
            },
          },
        ],
      },
      ResultPath: null,
      TimeoutSeconds: 60,
      Retry: [
        {
          ErrorEquals: ['EventBridge.AmazonEventBridgeException', 'EventBridge.InternalException'],
          IntervalSeconds: 1,
          MaxAttempts: 3,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.steps.retarget', Next: 'done' }],
      Next: 'done',
    });
    // No outcome to choose on, no quiet hours, no send slot: one state.
    expect(Object.keys(definition.States).filter((name) => name.startsWith('retarget'))).toEqual([
      'retarget',
    ]);
  });

  it('asks for PutEvents on the bus for the emit state alone', () => {
    const uses = compiled.resources.map((resource) => [
      resource.placeholder,
      resource.actions,
      resource.states,
    ]);
    expect(uses).toContainEqual([PLACEHOLDERS.eventBus, ['events:PutEvents'], ['retarget']]);
    const deliver = compiled.resources.find(
      (resource) => resource.placeholder === PLACEHOLDERS.deliverFunction,
    );
    expect(deliver?.states).not.toContain('retarget');
  });
});

/** Send states: Tasks invoking the deliver function, whatever channel they go out on. */
function sendStates(definition: StateMachineDefinition): (name: string) => boolean {
  return (name) => {
    const state = definition.States[name];
    return state?.Type === 'Task' && state.Parameters.FunctionName === `\${${PLACEHOLDERS.deliverFunction}}`;
  };
}

describe.each([
  ...sampleIds.map((id) => ({ name: id, compile: () => compileSample(id) })),
  {
    name: 'cart-abandonment with an emit step',
    compile: () => compileJourney(cartWithEmitStep(), settings, sampleEvents()),
  },
])('cost model of $name', ({ compile }) => {
  const { cost, definition } = compile();
  const isSend = sendStates(definition);

  it('follows a real path from StartAt to the end', () => {
    expect(cost.longestPath[0]).toBe(STATE.start);
    expect(cost.longestPath[0]).toBe(definition.StartAt);
    cost.longestPath.slice(1).forEach((name, index) => {
      const previous = definition.States[cost.longestPath[index] ?? ''];
      expect(previous && transitionsOf(previous), `${cost.longestPath[index]} -> ${name}`).toContain(name);
    });
    const lastName = cost.longestPath[cost.longestPath.length - 1] ?? '';
    const last = definition.States[lastName];
    // A state whose only way on is a loop back (a send slot's Task) is no end.
    expect(last?.Type, `the path ends at ${lastName}`).toBe('Succeed');
    expect(new Set(cost.longestPath).size).toBe(cost.longestPath.length);
  });

  it('counts consistently', () => {
    const tasks = cost.longestPath.filter((name) => definition.States[name]?.Type === 'Task');
    expect(cost.stateTransitions).toBe(cost.longestPath.length);
    expect(cost.messages).toBe(cost.longestPath.filter(isSend).length);
    expect(cost.messages).toBeGreaterThan(0);
    expect(cost.lambdaInvocations + cost.serviceCalls).toBe(tasks.length);
    expect(cost.serviceCalls).toBe(
      tasks.filter((name) => taskState(definition, name).Resource === EVENTS_PUT_EVENTS).length,
    );
    expect(cost.transitionsPerMessage).toBeCloseTo(cost.stateTransitions / cost.messages, 2);
    expect(cost.usdPerThousandCustomers).toBeCloseTo(cost.stateTransitions * USD_PER_TRANSITION * 1000, 6);
  });
});

// Counted by hand from the journey file, not from the compiler's own graph walk.
describe('cost model, counted by hand', () => {
  // The usual cart-abandonment customer does not order within a day: the timeout path is the longest.
  it('takes the waitForEvent timeout branch into account (it is not an error path)', () => {
    const { cost } = compileSample('cart-abandonment');
    expect(cost.longestPath).toEqual(
      expect.arrayContaining(['await-order', 'nudge', 'retarget', 'done', STATE.completed]),
    );
    expect(cost.longestPath).not.toContain('purchased');
  });

  // Tasks on the path: Waymark.Enter, remind, await-order, nudge, retarget and done invoke a function;
  // remind, nudge and retarget (the webhook) invoke deliver. The outcome Choices are transitions too;
  // quiet-hours and send-slot loops are left out.
  it('cart-abandonment: 12 transitions, 6 function calls, no PutEvents, 3 messages, $0.30 per 1,000 (a system webhook has no outcome to choose on)', () => {
    const { cost } = compileSample('cart-abandonment');
    expect(cost.longestPath).toEqual([
      'Waymark.Start',
      'Waymark.Enter',
      'Waymark.Admitted',
      'wait-an-hour',
      'remind',
      'remind.outcome',
      'await-order',
      'nudge',
      'nudge.outcome',
      'retarget',
      'done',
      'Waymark.Completed',
    ]);
    expect(cost).toMatchObject({
      stateTransitions: 12,
      lambdaInvocations: 6,
      serviceCalls: 0,
      messages: 3,
      transitionsPerMessage: 4,
      usdPerThousandCustomers: 0.3,
    });
  });

  // An emit step is one PutEvents Task with no outcome to choose on: a service call, not a message.
  it('with retarget an emit step: 12 transitions, 5 function calls, 1 PutEvents, 2 messages, $0.30 per 1,000', () => {
    const { cost } = compileJourney(cartWithEmitStep(), settings, sampleEvents());
    expect(cost.longestPath).toEqual([
      'Waymark.Start',
      'Waymark.Enter',
      'Waymark.Admitted',
      'wait-an-hour',
      'remind',
      'remind.outcome',
      'await-order',
      'nudge',
      'nudge.outcome',
      'retarget',
      'done',
      'Waymark.Completed',
    ]);
    expect(cost).toMatchObject({
      stateTransitions: 12,
      lambdaInvocations: 5,
      serviceCalls: 1,
      messages: 2,
      transitionsPerMessage: 6,
      usdPerThousandCustomers: 0.3,
    });
  });
});
