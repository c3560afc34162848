/**
 * A branch on the event and the values compiles to a native Choice state;
 * the same condition in the evaluate task runs conditions.ts. Both must
 * decide alike for every event, missing and mistyped fields included, or a
 * customer's path would depend on which one the compiler chose. Checked by
 * running the compiled ASL in the local interpreter against random events.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTask, stepsTaskSchema } from '../shared/contract/parse.ts';
import type { EnterResult } from '../shared/contract/tasks.ts';
import { nativeChoice } from '../shared/journey/choice.ts';
import { compileJourney } from '../shared/journey/compile.ts';
import { evaluateCondition } from '../shared/journey/conditions.ts';
import { type Condition, journeySchema } from '../shared/journey/schema.ts';
import { toJsonValue } from '../shared/json.ts';
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  LocalStateMachine,
} from './support/asl-interpreter.ts';
import { settings } from './support/project.ts';
import { sampleEvents } from './support/events.ts';

const FIELDS = ['event.a', 'event.b.c', 'values.v', 'trigger.source'] as const;
const scalar = fc.oneof(
  fc.constantFrom('x', 'y', 'xy', ''),
  fc.constantFrom(0, 1, 2.5, -1),
  fc.boolean(),
  fc.constant(null),
);
const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc.record({ field: fc.constantFrom(...FIELDS), equals: scalar }),
  fc.record({ field: fc.constantFrom(...FIELDS), notEquals: scalar }),
  fc.record({ field: fc.constantFrom(...FIELDS), in: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
  fc.record({ field: fc.constantFrom(...FIELDS), exists: fc.boolean() }),
  fc.record({ field: fc.constantFrom(...FIELDS), greaterThan: fc.constantFrom(0, 1, 2) }),
  fc.record({ field: fc.constantFrom(...FIELDS), lessThanOrEqual: fc.constantFrom(0, 1, 2.5) }),
  fc.record({ field: fc.constantFrom(...FIELDS), startsWith: fc.constantFrom('x', 'shop', '') }),
);
const condition: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 3, arbitrary: leaf },
  { weight: 1, arbitrary: fc.record({ all: fc.array(leaf, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ any: fc.array(leaf, { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ not: leaf }) },
);
/** A field that is there, missing, of another type, or an object where a value was expected. */
const fieldValue = fc.option(fc.oneof(scalar, fc.constant({ nested: 1 }), fc.constant(['x'])), {
  nil: undefined,
});
const detail = fc.record({
  a: fieldValue,
  b: fc.option(fc.oneof(fc.record({ c: fieldValue }), scalar), { nil: undefined }),
});

const CONDITIONS = fc.sample(condition, { numRuns: 24, seed: 20261121 });

/** One journey, one branch per condition, each marking its answer through an updateProfile step. */
function chainJourney(conditions: readonly Condition[]) {
  const steps: Record<string, unknown> = { done: { type: 'end' } };
  conditions.forEach((when, index) => {
    const after = index + 1 < conditions.length ? `b${index + 1}` : 'done';
    steps[`b${index}`] = { type: 'branch', cases: [{ when, next: `yes${index}` }], default: `no${index}` };
    steps[`yes${index}`] = { type: 'updateProfile', addTags: [`yes${index}`], next: after };
    steps[`no${index}`] = { type: 'updateProfile', addTags: [`no${index}`], next: after };
  });
  return journeySchema.parse({
    id: 'parity',
    name: 'Choice parity',
    version: 1,
    status: 'draft',
    trigger: { event: 'cart.abandoned' },
    start: 'b0',
    steps,
  });
}

function withoutUndefined(record: Record<string, unknown>): JsonObject {
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === undefined) continue;
    if (isJsonObject(value)) result[key] = withoutUndefined(value);
    else if (
      value === null ||
      ['string', 'number', 'boolean'].includes(typeof value) ||
      Array.isArray(value)
    ) {
      result[key] = JSON.parse(JSON.stringify(value));
    }
  }
  return result;
}

describe('native Choice branches decide exactly like the evaluate task', () => {
  let machine: LocalStateMachine;
  beforeAll(() => {
    const compiled = compileJourney(chainJourney(CONDITIONS), settings, sampleEvents());
    // Every branch here reads only the event, the trigger and the values: none may call a function.
    expect(JSON.stringify(compiled.definition)).not.toContain('"evaluate"');
    machine = new LocalStateMachine(compiled.definition);
  });

  it('compiles every generated condition natively', () => {
    for (const generated of CONDITIONS)
      expect(nativeChoice(generated), JSON.stringify(generated)).toBeDefined();
  });

  it('takes the path conditions.ts predicts, for random events and values', async () => {
    await fc.assert(
      fc.asyncProperty(
        detail,
        fieldValue,
        fc.constantFrom('shop.web', 'crm'),
        async (rawDetail, v, source) => {
          const eventDetail = withoutUndefined({ customerId: 'c-1', ...rawDetail });
          const values = withoutUndefined({ v });
          const input: JsonValue = {
            version: '0',
            id: 'e-1',
            'detail-type': 'cart.abandoned',
            source,
            account: '123456789012',
            time: '2026-01-01T00:00:00Z',
            region: 'us-east-1',
            resources: [],
            detail: eventDetail,
          };
          const tags: string[] = [];
          const tasks: unknown[] = [];
          const report = await machine.run(input, ({ input: taskInput }): JsonValue => {
            const payload = isJsonObject(taskInput) ? taskInput.Payload : undefined;
            if (!isJsonObject(payload)) return null;
            tasks.push(payload.task);
            if (payload.task === 'enter') {
              // As the steps function answers: the state is made of it (the trigger as it parses it).
              const task = parseTask(stepsTaskSchema, payload);
              if (task.task !== 'enter') throw new Error('not an enter task');
              return toJsonValue({
                admitted: true,
                values,
                customerId: task.customerId,
                trigger: task.trigger,
              } satisfies EnterResult);
            }
            if (payload.task === 'updateProfile' && Array.isArray(payload.addTags)) {
              tags.push(...payload.addTags.filter((tag) => typeof tag === 'string'));
            }
            return { updated: [] };
          });
          expect(report.status, JSON.stringify(report.error)).toBe('SUCCEEDED');
          // The branches read the event and the trigger from the state enter made; the last step ends it.
          expect(tasks).toEqual(['enter', ...CONDITIONS.map(() => 'updateProfile')]);
          const scope = {
            event: eventDetail,
            values,
            trigger: { source },
            profile: {},
            history: [],
            now: new Date(),
          };
          const predicted = CONDITIONS.map(
            (when, index) => `${evaluateCondition(when, scope) ? 'yes' : 'no'}${index}`,
          );
          expect(tags).toEqual(predicted);
        },
      ),
      { numRuns: 60 },
    );
  });
});
