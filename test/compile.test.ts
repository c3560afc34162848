import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import type { AslJson, ChoiceState, State, StateMachineDefinition, TaskState } from '../shared/asl/types.ts';
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
import { checkGolden as checkSharedGolden } from './support/golden.ts';
import { triggerMatcher } from '../shared/journey/trigger.ts';

const GOLDEN_DIR = join(ROOT, 'test', 'golden');

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
  checkSharedGolden(GOLDEN_DIR, file, actual, 'test/compile.test.ts');
}

/** `$.steps.<id>` as Step Functions parses it: brackets for an id that is no plain name. */
function stepPath(id: string, ...rest: string[]): string {
  const base = /^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? `$.steps.${id}` : `$.steps['${id}']`;
  return [base, ...rest].join('.');
}

function choiceState(definition: StateMachineDefinition, name: string): ChoiceState {
  const state = definition.States[name];
  if (state?.Type !== 'Choice') throw new Error(`State ${name} is ${state?.Type ?? 'missing'}, not a Choice`);
  return state;
}

/** The states that name a state in a Choice rule, a Default or a Catch (not in a Next). */
function namedByChoiceOrCatch(definition: StateMachineDefinition, target: string): string[] {
  return Object.entries(definition.States).flatMap(([name, state]) => {
    const names =
      state.Type === 'Choice'
        ? [...state.Choices.map((choice) => choice.Next), state.Default]
        : state.Type === 'Task'
          ? (state.Catch ?? []).map((catcher) => catcher.Next)
          : [];
    return names.includes(target) ? [name] : [];
  });
}

/** A Task's Payload parameter; {} for a Task without one (PutEvents). */
function payloadOf(task: TaskState): { [key: string]: AslJson } {
  const payload = task.Parameters.Payload;
  return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? payload : {};
}

/** Every `task` a Payload of the definition names. */
function payloadTasks(definition: StateMachineDefinition): string[] {
  return Object.values(definition.States).flatMap((state) => {
    const task = state.Type === 'Task' ? payloadOf(state).task : undefined;
    return typeof task === 'string' ? [task] : [];
  });
}

/**
 * A send step compiled as it must be: the deliver Task straight on (Next, or End before an end step),
 * unless unsent messages go elsewhere (then its outcome Choice); a deferral caught as Waymark.Deferred
 * and parsed from Lambda's cause to its waits, except for a step that reaches a system; the last send
 * finishing the journey with its result at $.final.
 */
function expectSendCompiled(definition: StateMachineDefinition, journey: Journey, id: string): void {
  const step = journey.steps[id];
  if (step?.type !== 'send') throw new Error(`${id} is not a send step`);
  const notSent = step.onNotSent ?? step.next;
  const nextIsEnd = journey.steps[step.next]?.type === 'end';
  const finishes = notSent === step.next && nextIsEnd;
  const system = step.reaches === 'system';
  const resultPath = finishes ? '$.final' : stepPath(id);
  const onward =
    notSent === step.next ? (nextIsEnd ? { End: true } : { Next: step.next }) : { Next: `${id}.outcome` };
  const catchers = [
    ...(system
      ? []
      : [{ ErrorEquals: [TASK_ERRORS.deferred], ResultPath: stepPath(id), Next: `${id}.deferral` }]),
    { ErrorEquals: ['States.ALL'], ResultPath: stepPath(id), Next: `${id}.failed` },
  ];
  const senders = system ? [id] : [id, `${id}.withSlot`];
  for (const name of senders) {
    const task = taskState(definition, name);
    expect(task.Catch, `${name} Catch`).toEqual(catchers);
    expect(task.ResultPath, `${name} ResultPath`).toBe(resultPath);
    expect(task.ResultSelector).toEqual({ 'outcome.$': '$.Payload' });
    expect({ Next: task.Next, End: task.End }, `${name} goes on`).toEqual({
      Next: undefined,
      End: undefined,
      ...onward,
    });
    const payload = payloadOf(task);
    expect(payload).toMatchObject({ task: 'deliver', stepId: id });
    expect(payload.finishes, `${name} finishes`).toBe(finishes ? true : undefined);
    expect(payload.deferral, `${name} deferral`).toBe(system ? undefined : 'error');
  }
  if (notSent === step.next) {
    expect(definition.States[`${id}.outcome`], `${id} has no outcome Choice`).toBeUndefined();
  } else {
    expect(choiceState(definition, `${id}.outcome`)).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: stepPath(id, 'outcome', 'status'), StringEquals: 'sent', Next: step.next }],
      Default: notSent,
    });
  }
  const deferralStates = [
    'deferral',
    'deferredOutcome',
    'deferredWhy',
    'quietHours',
    'rateWait',
    'withSlot',
  ].map((suffix) => `${id}.${suffix}`);
  if (system) {
    for (const name of deferralStates)
      expect(definition.States[name], `${name} (a system step)`).toBeUndefined();
    return;
  }
  expect(definition.States[`${id}.deferral`]).toMatchObject({
    Type: 'Pass',
    Parameters: { 'cause.$': `States.StringToJson(${stepPath(id, 'Cause')})` },
    ResultPath: stepPath(id),
    Next: `${id}.deferredOutcome`,
  });
  expect(definition.States[`${id}.deferredOutcome`]).toEqual({
    Type: 'Pass',
    Parameters: { 'outcome.$': `States.StringToJson(${stepPath(id, 'cause', 'errorMessage')})` },
    ResultPath: stepPath(id),
    Next: `${id}.deferredWhy`,
  });
  expect(choiceState(definition, `${id}.deferredWhy`)).toEqual({
    Type: 'Choice',
    Choices: [
      { Variable: stepPath(id, 'outcome', 'status'), StringEquals: 'rate-limited', Next: `${id}.rateWait` },
    ],
    Default: `${id}.quietHours`,
  });
  expect(definition.States[`${id}.quietHours`]).toMatchObject({
    Type: 'Wait',
    TimestampPath: stepPath(id, 'outcome', 'resumeAt'),
    Next: id,
  });
  expect(definition.States[`${id}.rateWait`]).toMatchObject({
    Type: 'Wait',
    TimestampPath: stepPath(id, 'outcome', 'resumeAt'),
    Next: `${id}.withSlot`,
  });
  // The send with its slot is the send itself, holding the slot the deferral named.
  const { slot, ...withSlot } = payloadOf(taskState(definition, `${id}.withSlot`));
  expect(withSlot).toEqual(payloadOf(taskState(definition, id)));
  expect(slot).toEqual({
    'channel.$': stepPath(id, 'outcome', 'channel'),
    'at.$': stepPath(id, 'outcome', 'resumeAt'),
    'taken.$': stepPath(id, 'outcome', 'taken'),
  });
}

function expectEndsCompiled(definition: StateMachineDefinition, journey: Journey): void {
  const endSteps = Object.entries(journey.steps).flatMap(([id, step]) => (step.type === 'end' ? [id] : []));
  expect(endSteps.length).toBeGreaterThan(0);
  for (const [name, state] of Object.entries(definition.States)) {
    // A state before an end step ends the execution itself: no transition spent on a Succeed.
    if ('Next' in state && state.Next !== undefined) {
      expect(endSteps, `${name} -> ${state.Next}`).not.toContain(state.Next);
    }
  }
  for (const id of endSteps) {
    const namedBy = namedByChoiceOrCatch(definition, id);
    if (namedBy.length === 0) {
      expect(definition.States[id], `${id}: nothing names it, so it is no state`).toBeUndefined();
    } else {
      expect(definition.States[id], `${id}, named by ${namedBy.join(', ')}`).toMatchObject({
        Type: 'Succeed',
      });
    }
  }
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

  it('starts on Waymark.Enter with the bare event, whose answer becomes the state', () => {
    expect(definition.StartAt).toBe(STATE.enter);
    const enter = taskState(definition, STATE.enter);
    expect(enter.Resource).toBe(LAMBDA_INVOKE);
    expect(enter.Parameters.FunctionName).toBe(`\${${PLACEHOLDERS.stepsFunction}}`);
    expect(enter.Parameters.Payload).toMatchObject({
      task: 'enter',
      'trigger.$': '$',
      'customerId.$': '$.detail.customerId',
      'executionId.$': '$$.Execution.Id',
    });
    expect(enter.ResultSelector).toEqual({
      'customerId.$': '$.Payload.customerId',
      'trigger.$': '$.Payload.trigger',
      entry: { outcome: { 'admitted.$': '$.Payload.admitted', 'values.$': '$.Payload.values' } },
      steps: {},
    });
    expect(enter.ResultPath).toBe('$.state');
    expect(enter.OutputPath).toBe('$.state');
    expect(enter.Next).toBe(STATE.admitted);
    expect(enter.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE.failed }]);
    expect(definition.States[STATE.admitted]).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.entry.outcome.admitted', BooleanEquals: true, Next: journey.start }],
      Default: STATE.notAdmitted,
    });
    expect(definition.States[STATE.notAdmitted]).toMatchObject({ Type: 'Succeed' });
    // Nothing of the old shape: no Pass to shape the state, no Succeed after the last step.
    for (const gone of ['Waymark.Start', 'Waymark.Completed', 'Waymark.FailedEnd']) {
      expect(definition.States[gone], gone).toBeUndefined();
    }
  });

  it("fails on a Fail state with the failure's own error and cause, and never invokes a finish task", () => {
    expect(definition.States[STATE.failed]).toEqual({
      Type: 'Fail',
      Comment: expect.any(String),
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
    // Every way to Waymark.Failed leaves the error at $.error, where the Fail state reads it.
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      for (const catcher of state.Catch ?? []) {
        if (catcher.Next === STATE.failed) expect(catcher.ResultPath, name).toBe('$.error');
      }
    }
    expect(payloadTasks(definition)).not.toContain('finish');
    expect(payloadTasks(definition).length).toBeGreaterThan(1);
  });

  it('ends on the state before an end step; an end step is a Succeed only where a Choice or a Catch names it', () => {
    expectEndsCompiled(definition, journey);
  });

  it('sends straight on, catches deferrals as Waymark.Deferred, and finishes the journey on its last send', () => {
    const sends = Object.entries(journey.steps).flatMap(([id, step]) => (step.type === 'send' ? [id] : []));
    for (const id of sends) expectSendCompiled(definition, journey, id);
    // Every sample ends on a send: that one, and only that one, finishes the journey.
    const finishing = Object.entries(definition.States).flatMap(([name, state]) =>
      state.Type === 'Task' && state.ResultPath === '$.final' ? [name] : [],
    );
    expect(finishing.length).toBeGreaterThan(0);
    expect(new Set(finishing.map((name) => name.replace(/\.withSlot$/, ''))).size).toBe(1);
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
        // An event that leads to an end step ends the execution at the wait itself.
        if (journey.steps[step.onEvent]?.type === 'end') {
          expect(task.End, `${id} ends on the event`).toBe(true);
          expect(task.Next).toBeUndefined();
        } else {
          expect(task.Next).toBe(step.onEvent);
        }
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

/** Sends in every position: onNotSent elsewhere (before an end and not), a system step going on and at the end. */
describe('compiled sends in every position', () => {
  const journey = journeySchema.parse({
    id: 'send-positions',
    name: 'Send positions',
    version: 1,
    status: 'draft',
    trigger: { event: 'cart.abandoned' },
    start: 'first',
    steps: {
      first: {
        type: 'send',
        channel: 'email',
        template: 'cart-reminder',
        category: 'marketing',
        next: 'tell-ads',
        onNotSent: 'last-try',
      },
      'tell-ads': {
        type: 'send',
        channel: 'webhook',
        endpoint: 'ads-audience',
        reaches: 'system',
        template: 'cart-retarget',
        category: 'marketing',
        next: 'last-chance',
        onNotSent: 'done',
      },
      'last-chance': {
        type: 'send',
        channel: ['sms', 'email'],
        template: 'cart-nudge',
        category: 'marketing',
        next: 'done',
        onNotSent: 'gave-up',
      },
      'last-try': {
        type: 'send',
        channel: 'webhook',
        endpoint: 'ads-audience',
        reaches: 'system',
        template: 'cart-retarget',
        category: 'marketing',
        next: 'gave-up',
      },
      done: { type: 'end' },
      'gave-up': { type: 'end' },
    },
  });
  const compiled = compileJourney(journey, settings, sampleEvents());
  const { definition } = compiled;

  it('passes asl-validator and reaches every state', () => {
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    const reachable = reachableFrom(definition);
    expect(Object.keys(definition.States).filter((name) => !reachable.has(name))).toEqual([]);
  });

  it.each(['first', 'tell-ads', 'last-chance', 'last-try'])('compiles %s', (id) => {
    expectSendCompiled(definition, journey, id);
  });

  it('finishes the journey only on a send whose every way on is the end', () => {
    expect(taskState(definition, 'last-try').ResultPath).toBe('$.final');
    expect(taskState(definition, 'last-try').End).toBe(true);
    // Before an end, but not sent goes elsewhere: the Choice decides, the send finishes nothing.
    expect(taskState(definition, 'last-chance').ResultPath).toBe("$.steps['last-chance']");
    expectEndsCompiled(definition, journey);
    expect(definition.States.done).toEqual({ Type: 'Succeed' });
    expect(definition.States['gave-up']).toEqual({ Type: 'Succeed' });
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

  // Step Functions sends no status-change events for Express: the last send frees the place and
  // records the end itself and the execution ends with it; a failure still ends on a finish Task.
  it('an Express journey ends on its last send, which finishes it; a failure on the finish Task', () => {
    const compiled = compileJourney(quickJourney('express'), settings, sampleEvents());
    expect(compiled.workflowType).toBe('EXPRESS');
    const { definition } = compiled;
    expect(definition.StartAt).toBe(STATE.enter);
    const receipt = taskState(definition, 'receipt');
    expect(receipt.End).toBe(true);
    expect(receipt.Next).toBeUndefined();
    expect(receipt.ResultPath).toBe('$.final');
    expect(payloadOf(receipt).finishes).toBe(true);
    // A receipt that could not be sent is recorded, then the end step's finish Task records the end.
    expect(taskState(definition, 'receipt.failed').Next).toBe('done');
    expect(payloadOf(taskState(definition, 'done'))).toMatchObject({ task: 'finish', outcome: 'completed' });
    expect(taskState(definition, 'done').Next).toBe(STATE.completed);
    expect(payloadOf(taskState(definition, STATE.failed))).toMatchObject({
      task: 'finish',
      outcome: 'failed',
    });
    expect(definition.States[STATE.completed]).toEqual({ Type: 'Succeed' });
    expect(definition.States[STATE.failedEnd]).toMatchObject({ Type: 'Fail' });
  });

  // Deployed as Standard, it ends on the status-change event: a finish Task too would record the end twice.
  it('a journey asking for Express but not eligible is compiled as the Standard it is deployed as', () => {
    const cart = { ...sample('cart-abandonment'), workflow: 'express' as const };
    const compiled = compileJourney(cart, settings, sampleEvents());
    expect(compiled.workflowType).toBe('STANDARD');
    const standard = compileJourney(sample('cart-abandonment'), settings, sampleEvents());
    expect(compiled.definition).toEqual(standard.definition);
    expect(compiled.cost.stateTransitions).toBe(7);
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
      // The next step is the end: the emit ends the execution, and only its Catch names "done".
      End: true,
    });
    expect(definition.States.done).toEqual({ Type: 'Succeed' });
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
    expect(cost.longestPath[0]).toBe(STATE.enter);
    expect(cost.longestPath[0]).toBe(definition.StartAt);
    cost.longestPath.slice(1).forEach((name, index) => {
      const previous = definition.States[cost.longestPath[index] ?? ''];
      expect(previous && transitionsOf(previous), `${cost.longestPath[index]} -> ${name}`).toContain(name);
    });
    const lastName = cost.longestPath[cost.longestPath.length - 1] ?? '';
    const last = definition.States[lastName];
    // A state whose only way on is a loop back (a send slot's Task) is no end: the path ends on a
    // state that ends the execution, a Succeed or one with End (the state before an end step).
    const ends = last?.Type === 'Succeed' || (last !== undefined && 'End' in last && last.End === true);
    expect(ends, `the path ends at ${lastName}`).toBe(true);
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
    expect(cost.longestPath).toEqual(expect.arrayContaining(['await-order', 'nudge', 'retarget']));
    expect(cost.longestPath).not.toContain('purchased');
    // The last send ends the execution: the end step "done" is no transition on the way.
    expect(cost.longestPath).not.toContain('done');
  });

  // States entered on the path: Waymark.Enter (the first, on the bare event), Waymark.Admitted, the
  // hour's Wait, remind, await-order, nudge, retarget, which ends the execution. A send goes straight
  // on (no outcome Choice); quiet-hours and send-slot loops are left out. Function calls: Waymark.Enter,
  // remind, await-order, nudge and retarget (the webhook); remind, nudge and retarget invoke deliver.
  it('cart-abandonment: 7 transitions (Enter, Admitted, 1 Wait, 4 Tasks), 5 function calls, no PutEvents, 3 messages, $0.175 per 1,000', () => {
    const { cost } = compileSample('cart-abandonment');
    expect(cost.longestPath).toEqual([
      'Waymark.Enter',
      'Waymark.Admitted',
      'wait-an-hour',
      'remind',
      'await-order',
      'nudge',
      'retarget',
    ]);
    expect(cost).toMatchObject({
      stateTransitions: 7,
      lambdaInvocations: 5,
      serviceCalls: 0,
      messages: 3,
      transitionsPerMessage: 2.33,
      usdPerThousandCustomers: 0.175,
    });
  });

  // An emit step is one PutEvents Task with no outcome to choose on: a service call, not a message.
  it('with retarget an emit step: 7 transitions (Enter, Admitted, 1 Wait, 4 Tasks), 4 function calls, 1 PutEvents, 2 messages, $0.175 per 1,000', () => {
    const { cost } = compileJourney(cartWithEmitStep(), settings, sampleEvents());
    expect(cost.longestPath).toEqual([
      'Waymark.Enter',
      'Waymark.Admitted',
      'wait-an-hour',
      'remind',
      'await-order',
      'nudge',
      'retarget',
    ]);
    expect(cost).toMatchObject({
      stateTransitions: 7,
      lambdaInvocations: 4,
      serviceCalls: 1,
      messages: 2,
      transitionsPerMessage: 3.5,
      usdPerThousandCustomers: 0.175,
    });
  });

  // Waymark.Enter, Waymark.Admitted, welcome (ends the execution): one function call before the send.
  it('gold-welcome: 3 transitions (Enter, Admitted, the send), 2 function calls, 1 message, $0.075 per 1,000', () => {
    const { cost } = compileSample('gold-welcome');
    expect(cost.longestPath).toEqual(['Waymark.Enter', 'Waymark.Admitted', 'welcome']);
    expect(cost).toMatchObject({
      stateTransitions: 3,
      lambdaInvocations: 2,
      serviceCalls: 0,
      messages: 1,
      transitionsPerMessage: 3,
      usdPerThousandCustomers: 0.075,
    });
  });

  // Enter, Admitted, summary, await-return (timed out), reminder (ends the execution).
  it('chat-followup: 5 transitions (Enter, Admitted, 3 Tasks), 4 function calls, 2 messages', () => {
    const { cost } = compileSample('chat-followup');
    expect(cost.longestPath).toEqual([
      'Waymark.Enter',
      'Waymark.Admitted',
      'summary',
      'await-return',
      'reminder',
    ]);
    expect(cost).toMatchObject({ stateTransitions: 5, lambdaInvocations: 4, messages: 2 });
  });
});
