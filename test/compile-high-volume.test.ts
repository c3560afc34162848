/**
 * The high-volume back end (shared/journey/compile-parts.ts): every sample compiled with
 * "workflow": "high-volume" against golden files, asl-validator, and the shape that lets parts run
 * twice and state stay small: no Wait and no callback left, every park's way on dispatched, every
 * task keyed by the run.
 */
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import type { AslJson, State, StateMachineDefinition } from '../shared/asl/types.ts';
import { LAMBDA_INVOKE_WAIT_FOR_TOKEN } from '../shared/contract/tasks.ts';
import { compileJourney, definitionText } from '../shared/journey/compile.ts';
import { PART_STATE } from '../shared/journey/compile-parts.ts';
import type { Journey } from '../shared/journey/schema.ts';
import { durationSeconds } from '../shared/time/duration.ts';
import { longestPartSeconds } from '../shared/journey/timing.ts';
import { validateJourneyText } from '../shared/journey/validate.ts';
import { project, ROOT, sample, sampleIds, settings } from './support/project.ts';
import { sampleEvents } from './support/events.ts';
import { checkGolden } from './support/golden.ts';

const GOLDEN_DIR = join(ROOT, 'test', 'golden', 'high-volume');

function highVolume(id: string): Journey {
  return { ...sample(id), workflow: 'high-volume' };
}

function payloadOf(state: State | undefined): { [key: string]: AslJson } | undefined {
  if (state?.Type !== 'Task') return undefined;
  const payload = state.Parameters.Payload;
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? payload : undefined;
}

function parks(definition: StateMachineDefinition): [string, { [key: string]: AslJson }][] {
  return Object.entries(definition.States).flatMap(
    ([name, state]): [string, { [key: string]: AslJson }][] => {
      const payload = payloadOf(state);
      return payload?.task === 'park' ? [[name, payload]] : [];
    },
  );
}

describe.each(sampleIds)('%s compiled for high volume', (journeyId) => {
  const journey = highVolume(journeyId);
  const compiled = compileJourney(journey, settings, sampleEvents());
  const { definition } = compiled;

  it('matches its golden file byte for byte, and passes asl-validator', () => {
    checkGolden(
      GOLDEN_DIR,
      `${journeyId}.asl.json`,
      definitionText(definition),
      'test/compile-high-volume.test.ts',
    );
    const result = aslValidator(structuredClone(definition));
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('deploys as an Express machine that starts a run on an event and a part on a resume', () => {
    expect(compiled.target).toBe('high-volume');
    expect(compiled.workflowType).toBe('EXPRESS');
    expect(definition.StartAt).toBe(PART_STATE.part);
    expect(definition.States[PART_STATE.part]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.resume', IsPresent: true, Next: PART_STATE.resume }],
      Default: 'Waymark.Enter',
    });
  });

  it('keeps no Wait and no callback: every wait of the Standard machine is a park that ends the part', () => {
    const standard = compileJourney(
      { ...journey, workflow: 'standard' },
      settings,
      sampleEvents(),
    ).definition;
    const waits = Object.entries(standard.States).filter(
      ([, state]) =>
        state.Type === 'Wait' || (state.Type === 'Task' && state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN),
    );
    expect(waits.length).toBeGreaterThan(0);
    for (const [name] of waits) {
      expect(payloadOf(definition.States[name])?.task, `${name} parks`).toBe('park');
      expect(definition.States[name]).toMatchObject({ End: true, ResultPath: null });
    }
    expect(Object.values(definition.States).filter((state) => state.Type === 'Wait')).toEqual([]);
    expect(
      Object.values(definition.States).filter(
        (state) => state.Type === 'Task' && state.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN,
      ),
    ).toEqual([]);
  });

  it('dispatches a resumed part to every way on a park names, and to nothing else', () => {
    const onward = new Set<string>();
    for (const [, payload] of parks(definition)) {
      if (typeof payload.next === 'string') onward.add(payload.next);
      const awaits = payload.awaits;
      if (
        typeof awaits === 'object' &&
        awaits !== null &&
        !Array.isArray(awaits) &&
        typeof awaits.next === 'string'
      )
        onward.add(awaits.next);
    }
    const resumed = definition.States[PART_STATE.resumed];
    if (resumed?.Type !== 'Choice') throw new Error('Waymark.Resumed is no Choice');
    expect(resumed.Choices.map((choice) => choice.Next).sort()).toEqual([...onward].sort());
    for (const target of onward) expect(definition.States[target], target).toBeDefined();
    expect(resumed.Default).toBe(PART_STATE.notResumed);
  });

  it('keys every task by the run and the part, never by the execution, so a part run twice writes once', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      const payload = payloadOf(state);
      if (payload === undefined || name === 'Waymark.Enter' || name === PART_STATE.resume) continue;
      expect(payload['executionId.$'], name).toBe('$.run.id');
      expect(payload['enteredAt.$'], name).toBe('$.run.at');
      if ('visit.$' in payload) expect(payload['visit.$'], name).toBe('$.run.at');
    }
    const enter = payloadOf(definition.States['Waymark.Enter']);
    expect(enter?.['executionId.$']).toBe(`States.Format('${journeyId}/{}', $.id)`);
    expect(enter?.parts).toBe(true);
  });

  it('parks each wait step for its own duration, with the whole state and the scheduler role', () => {
    for (const [id, step] of Object.entries(journey.steps)) {
      if (step.type === 'wait' && step.duration !== undefined) {
        expect(payloadOf(definition.States[id])).toMatchObject({
          wake: { seconds: durationSeconds(step.duration) },
          next: step.next,
          'state.$': '$',
          'machine.$': '$$.StateMachine.Id',
          role: '${SchedulerRoleArn}',
        });
      }
      if (step.type === 'waitForEvent') {
        expect(payloadOf(definition.States[id])).toMatchObject({
          wake: { seconds: durationSeconds(step.timeout) },
          next: step.onTimeout,
          awaits: { event: step.event, next: step.onEvent },
        });
      }
    }
  });
});

describe('a high-volume part must fit an Express execution', () => {
  const validate = (journey: unknown) =>
    validateJourneyText(JSON.stringify(journey, null, 2), 'j.json', {
      settings,
      events: sampleEvents(),
      templates: project.templates,
      segments: new Map(),
      now: new Date('2026-11-18T15:00:00Z'),
    }).problems;

  it('times each part from its start or wait to the next wait, every task at its worst', () => {
    // Express policies: a Lambda task 3 attempts of 10 s + 1 + 2 s of backoff = 33 s; a send 5 attempts
    // (2 throttling, 2 Lambda retries) of 10 s + 6 + 3 s = 59 s, + 33 s to record a failure = 92 s.
    // cart-abandonment's longest part starts at nudge (after the order's timeout): resume 33 +
    // nudge 92 + retarget 92 + the end's finish Task 33 = 250 s.
    expect(longestPartSeconds(highVolume('cart-abandonment'))).toEqual({ seconds: 250, from: 'nudge' });
  });

  it('refuses a part longer than five minutes, naming where it starts, and takes one with a wait in it', () => {
    const send = (next: string) => ({
      type: 'send',
      channel: 'email',
      template: 'cart-reminder',
      category: 'transactional',
      next,
    });
    const threeSends = {
      ...sample('cart-abandonment'),
      workflow: 'high-volume',
      exitOn: [],
      start: 'one',
      steps: { one: send('two'), two: send('three'), three: send('done'), done: { type: 'end' } },
    };
    // enter 33 + 3 sends x 92 + the end 33 = 342 s.
    expect(validate(threeSends)).toContainEqual(
      expect.objectContaining({
        message: expect.stringMatching(/^A high-volume part may run 342 s from step "one" to its next wait/),
      }),
    );
    const withWait = {
      ...threeSends,
      steps: {
        ...threeSends.steps,
        two: send('pause'),
        pause: { type: 'wait', duration: '1m', next: 'three' },
      },
    };
    expect(validate(withWait).filter((problem) => problem.message.includes('high-volume part'))).toEqual([]);
    expect(
      validate({ ...threeSends, workflow: 'standard' }).filter((problem) =>
        problem.message.includes('high-volume part'),
      ),
    ).toEqual([]);
  });
});
