import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PathSegment } from '../shared/journey/problem.ts';
import type { Journey } from '../shared/journey/schema.ts';
import {
  type FileValidation,
  type ValidationContext,
  validateJourneyText,
} from '../shared/journey/validate.ts';
import { isRecord } from '../shared/json.ts';
import { cartJsonWithEmitStep } from './support/emit-step.ts';
import { JOURNEYS_DIR, project, settings } from './support/project.ts';
import { sampleEvents } from './support/events.ts';

const BROKEN_DIR = fileURLToPath(new URL('./journeys/broken/', import.meta.url));
const CART_FILE = join(JOURNEYS_DIR, 'cart-abandonment.json');

// The real settings and templates, so template and cap checks behave exactly as in `waymark validate`.
const context: ValidationContext = {
  settings,
  events: sampleEvents(),
  templates: project.templates,
  segments: new Map(),
  now: new Date('2026-11-18T15:00:00Z'),
};

function validateBroken(file: string): FileValidation<Journey> {
  return validateJourneyText(
    readFileSync(`${BROKEN_DIR}${file}`, 'utf8'),
    `test/journeys/broken/${file}`,
    context,
  );
}

interface Expectation {
  file: string;
  /** The JSON path of one error the file must produce. */
  path: string;
  /** 1-based line of that error, counted by hand in the file (0: the file as a whole). */
  line: number;
  message: string;
  hint?: string;
  expected?: string;
}

const table: Expectation[] = [
  {
    file: 'bad-duration.json',
    path: '$.steps["wait-an-hour"].duration',
    line: 19,
    message: '"PT1H" is not a duration',
    hint: '"1h"',
  },
  {
    file: 'bad-filter-operator.json',
    path: '$.trigger.filter.network[0].prefx',
    line: 10,
    message: '"prefx" is not an EventBridge operator',
    hint: 'did you mean "prefix"?',
  },
  {
    file: 'bad-journey-id.json',
    path: '$.id',
    line: 3,
    message: 'A journey id is lowercase letters',
  },
  {
    file: 'bad-local-time.json',
    path: '$.steps["next-day-preferred-hour"].until.fallback',
    line: 18,
    message: '"HH:MM" (24-hour)',
  },
  {
    file: 'branch-two-operators.json',
    path: '$.steps["was-it-resolved"].cases[0].when',
    line: 35,
    message: 'found equals, notEquals',
  },
  {
    file: 'branch-unknown-field.json',
    path: '$.steps["was-it-resolved"].cases[0].when.field',
    line: 35,
    message: 'have no field "reslved"',
    hint: 'did you mean "resolved"?',
  },
  {
    file: 'cap-loosens-global.json',
    path: '$.caps[0].limit',
    line: 12,
    message: 'allows 10, more than the global 3',
    expected: 'at most 3',
  },
  {
    file: 'cap-window-typo.json',
    path: '$.caps[0].window',
    line: 12,
    message: '"calendarWeak" is not allowed here',
    hint: 'did you mean "calendarWeek"?',
    expected: '"calendarWeek"',
  },
  {
    file: 'channel-typo.json',
    path: '$.steps.remind.channel',
    line: 23,
    message: '"emial" is not allowed here',
    hint: 'did you mean "email"?',
  },
  {
    file: 'comment-in-json.json',
    path: '$',
    line: 17,
    message: 'comment',
    hint: '"description"',
  },
  {
    file: 'dangling-next.json',
    path: '$.steps["wait-an-hour"].next',
    line: 19,
    message: 'Unknown step "remnd"',
    hint: 'did you mean "remind"?',
  },
  {
    file: 'deep-nesting.json',
    path: '$',
    line: 13,
    message: 'nested deeper than 64 levels',
  },
  {
    file: 'duplicate-channel.json',
    path: '$.steps.nudge.channel[2]',
    line: 38,
    message: 'Channel "push" is listed twice',
  },
  {
    file: 'duplicate-step-id.json',
    path: '$.steps.remind',
    line: 54,
    message: '"remind" appears twice',
    hint: 'the first "remind" is at line 20',
  },
  {
    file: 'emit-profile-reference.json',
    path: '$.steps.retarget.detail.email.from',
    line: 51,
    message: '"profile.email" cannot be used here',
  },
  {
    file: 'empty-file.json',
    path: '$',
    line: 0,
    message: 'The file is empty',
  },
  {
    file: 'exit-on-trigger.json',
    path: '$.exitOn[0].event',
    line: 10,
    message: 'exits on every "cart.abandoned", its own trigger',
    hint: 'a filter that the trigger event can never match',
  },
  {
    file: 'express-not-eligible.json',
    path: '$.workflow',
    line: 12,
    message: "more than Express's 300 s",
    hint: 'remove "workflow"',
  },
  {
    file: 'filter-unknown-field.json',
    path: '$.trigger.filter.netwrok',
    line: 10,
    message: 'have no field "netwrok"',
    hint: 'did you mean "network"?',
  },
  {
    file: 'history-unknown-event.json',
    path: '$.steps["was-it-resolved"].cases[0].when.not.history.event',
    line: 35,
    message: '"order.place" is not an event in the catalog',
    hint: 'did you mean "order.placed"?',
  },
  {
    file: 'invalid-json.json',
    path: '$',
    line: 6,
    message: 'a comma is missing',
  },
  {
    file: 'loop-without-wait.json',
    path: '$.steps["was-it-resolved"]',
    line: 30,
    message: '"was-it-resolved" -> "case-summary" loop back with no wait',
    hint: 'wait or waitForEvent',
  },
  {
    file: 'missing-required.json',
    path: '$.trigger',
    line: 1,
    message: 'Missing required property "trigger"',
  },
  {
    file: 'missing-start.json',
    path: '$.start',
    line: 1,
    message: 'Missing required property "start"',
  },
  {
    file: 'missing-status.json',
    path: '$.status',
    line: 1,
    message: 'Missing required property "status"',
  },
  {
    file: 'missing-step-type.json',
    path: '$.steps.purchased.type',
    line: 54,
    message: 'Missing "type"',
    expected: 'send, wait, waitForEvent',
  },
  {
    file: 'next-to-prototype-name.json',
    path: '$.steps["await-order"].onTimeout',
    line: 33,
    message: 'Unknown step "constructor"',
  },
  {
    file: 'no-way-to-end.json',
    path: '$.steps["next-day-preferred-hour"]',
    line: 16,
    message: 'No "end" step can be reached',
    hint: 'type "end"',
  },
  {
    file: 'not-an-object.json',
    path: '$',
    line: 1,
    message: 'Expected a JSON object at the top of the file',
  },
  {
    file: 'profile-field-typo.json',
    path: '$.steps["mark-profile"].set.contactLocale.from',
    line: 18,
    message: 'has no field "locael"',
    hint: 'did you mean "locale"?',
  },
  {
    file: 'reentry-bad-duration.json',
    path: '$.entry.reentry.after',
    line: 9,
    message: '"1 week" is not a duration',
  },
  {
    file: 'reference-unknown-field.json',
    path: '$.values.cartTotal.from',
    line: 16,
    message: '"cart.abandoned" events have no field "cartTotal"',
    expected: 'total',
  },
  {
    file: 'split-weights.json',
    path: '$.steps["ab-test"].paths',
    line: 38,
    message: 'add up to 90',
  },
  {
    file: 'start-unknown-step.json',
    path: '$.start',
    line: 17,
    message: 'The start step "wait-an-hr" does not exist',
    hint: 'did you mean "wait-an-hour"?',
  },
  {
    file: 'status-typo.json',
    path: '$.status',
    line: 7,
    message: '"actve" is not allowed here',
    hint: 'did you mean "active"?',
  },
  {
    file: 'template-missing-channel-part.json',
    path: '$.steps.remind.template',
    line: 24,
    message: 'Template "cart-reminder" has no sms.liquid, needed to send sms',
  },
  {
    file: 'trailing-comma.json',
    path: '$',
    line: 55,
    message: 'trailing comma',
  },
  {
    file: 'truncated-file.json',
    path: '$',
    line: 28,
    message: 'file ends',
  },
  {
    file: 'typo-property.json',
    path: '$.steps.remind.nxt',
    line: 26,
    message: 'Unknown property "nxt"',
    hint: 'did you mean "next"?',
  },
  {
    file: 'unknown-channel.json',
    path: '$.steps.nudge.channel[1]',
    line: 38,
    message: '"telegram" is not allowed here',
    expected: '"email", "sms", "push", "whatsapp", "webhook", "function"',
  },
  {
    file: 'unknown-event.json',
    path: '$.trigger.event',
    line: 8,
    message: '"cart.abandonned" is not an event in the catalog',
    hint: 'did you mean "cart.abandoned"?',
  },
  {
    file: 'unknown-step-type.json',
    path: '$.steps.remind.type',
    line: 21,
    message: 'Unknown step type "sendd"',
    hint: 'did you mean "send"?',
  },
  {
    file: 'unknown-template.json',
    path: '$.steps.remind.template',
    line: 24,
    message: 'There is no template "cart-remnder"',
    hint: 'did you mean "cart-reminder"?',
  },
  {
    file: 'unreachable-step.json',
    path: '$.steps["thank-you"]',
    line: 54,
    message: 'Step "thank-you" is unreachable',
  },
  {
    file: 'until-kind-typo.json',
    path: '$.steps["next-day-preferred-hour"].until.kind',
    line: 18,
    message: 'kind',
    hint: 'did you mean "preferredHour"?',
  },
  {
    file: 'until-missing-kind.json',
    path: '$.steps["next-day-preferred-hour"].until.kind',
    line: 18,
    message: 'Missing "kind"',
  },
  {
    file: 'values-bad-key.json',
    path: '$.values["offer text"]',
    line: 14,
    message: 'letter',
  },
  {
    file: 'wait-duration-and-until.json',
    path: '$.steps["wait-two-hours"]',
    line: 22,
    message: 'exactly one of "duration"',
  },
  {
    file: 'wrong-type.json',
    path: '$.version',
    line: 6,
    message: 'Expected number, got string "1"',
  },
  {
    file: 'zero-duration.json',
    path: '$.steps["await-order"].timeout',
    line: 31,
    message: '"0h" is zero',
  },
];

describe('broken journeys', () => {
  it('has an expectation for every file in test/journeys/broken/', () => {
    const files = readdirSync(BROKEN_DIR).filter((name) => name.endsWith('.json'));
    expect(table.map((row) => row.file).sort()).toEqual(files.sort());
  });

  for (const row of table) {
    it(`${row.file}: ${row.path} at line ${row.line}`, () => {
      const result = validateBroken(row.file);
      expect(result.value).toBeUndefined();
      expect(result.problems).toContainEqual(
        expect.objectContaining({
          severity: 'error',
          path: row.path,
          line: row.line,
          message: expect.stringContaining(row.message),
          ...(row.hint === undefined ? {} : { hint: expect.stringContaining(row.hint) }),
          ...(row.expected === undefined ? {} : { expected: expect.stringContaining(row.expected) }),
        }),
      );
    });
  }

  // Guards a fixed bug: one typo in the trigger used to add seven more errors, about cartUrl,
  // event.items and values.cartUrl.
  it('reports an unknown trigger event once, not again for every reference and template using it', () => {
    const errors = validateBroken('unknown-event.json').problems.filter(
      (problem) => problem.severity === 'error',
    );
    expect(errors.map((problem) => problem.path)).toEqual(['$.trigger.event']);
  });

  // Windows Notepad saves UTF-8 with a byte-order mark. Guards a fixed bug: such a file was refused
  // as "Invalid JSON: invalid symbol." at 1:1.
  it('reads a journey saved with a byte-order mark like the same journey without one', () => {
    const text = `\uFEFF${readFileSync(CART_FILE, 'utf8')}`;
    const result = validateJourneyText(text, 'journeys/cart-abandonment.json', context);
    expect(result.problems).toEqual([]);
    expect(result.value?.id).toBe('cart-abandonment');
  });
});

// ---- whatever the input, a list of problems a user can act on, never an exception ----

function expectUsableResult(text: string): void {
  const result = validateJourneyText(text, 'generated.json', context);
  const errors = result.problems.filter((problem) => problem.severity === 'error');
  if (result.value !== undefined) {
    expect(errors).toEqual([]);
    return;
  }
  expect(errors.length).toBeGreaterThan(0);
  const lines = text.split('\n').length;
  for (const error of errors) {
    expect(error.line).toBeGreaterThanOrEqual(0);
    expect(error.line).toBeLessThanOrEqual(lines);
    expect(error.message.trim()).not.toBe('');
    // The validator turns its own exceptions into this problem; for user input it must never appear.
    expect(error.message).not.toContain('Internal validator error');
  }
}

/** Every property and array element of a JSON value, as paths from the root. */
function paths(value: unknown, prefix: PathSegment[] = []): PathSegment[][] {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => [[...prefix, index], ...paths(item, [...prefix, index])]);
  }
  if (isRecord(value)) {
    return Object.entries(value).flatMap(([key, item]) => [
      [...prefix, key],
      ...paths(item, [...prefix, key]),
    ]);
  }
  return [];
}

type Mutation = { kind: 'delete' } | { kind: 'replace'; value: unknown };

/** A copy of `value` with the property at `path` deleted or replaced; the input is left untouched. */
function mutate(value: unknown, path: readonly PathSegment[], mutation: Mutation): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return mutation.kind === 'replace' ? mutation.value : undefined;
  if (Array.isArray(value) && typeof head === 'number') {
    const copy = [...value];
    if (rest.length === 0 && mutation.kind === 'delete') copy.splice(head, 1);
    else copy[head] = mutate(copy[head], rest, mutation);
    return copy;
  }
  if (isRecord(value) && typeof head === 'string') {
    const copy = { ...value };
    if (rest.length === 0 && mutation.kind === 'delete') delete copy[head];
    else copy[head] = mutate(copy[head], rest, mutation);
    return copy;
  }
  return value;
}

describe('validateJourneyText on any input', () => {
  const sample: unknown = JSON.parse(readFileSync(CART_FILE, 'utf8'));
  // No sample has an emit step any more: the same journey with one, so mutations reach emit's fields too.
  const emitting: unknown = cartJsonWithEmitStep();
  const startingPoints = [sample, emitting].flatMap((start) => paths(start).map((path) => ({ start, path })));

  it('accepts the journeys the mutations start from', () => {
    for (const start of [sample, emitting]) {
      expect(validateJourneyText(JSON.stringify(start, null, 2), 'sample.json', context).problems).toEqual(
        [],
      );
    }
  });

  it('never throws on any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectUsableResult(JSON.stringify(value, null, 2));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expectUsableResult(text);
      }),
      { numRuns: 300 },
    );
  });

  it('names the wrong type once for a string given as an object with a "length" (once a crash)', () => {
    // fast-check found it: the schema's length check compared the object, which had no prototype.
    const text = JSON.stringify(
      mutate(emitting, ['steps', 'retarget', 'event'], { kind: 'replace', value: { length: {} } }),
      null,
      2,
    );
    expectUsableResult(text);
    const problems = validateJourneyText(text, 'generated.json', context).problems;
    expect(problems.map((problem) => [problem.path, problem.message])).toEqual([
      ['$.steps.retarget.event', 'Expected string, got an object.'],
    ]);
    // A "length" that cannot even be compared: its "toString" is not a function.
    for (const length of [{ toString: 1 }, { valueOf: {} }, { toString: 1, valueOf: 2 }]) {
      const uncomparable = JSON.stringify(mutate(sample, ['name'], { kind: 'replace', value: { length } }));
      const named = validateJourneyText(uncomparable, 'generated.json', context).problems;
      expect(named.map((problem) => [problem.path, problem.message])).toEqual([
        ['$.name', 'Expected string, got an object.'],
      ]);
    }
  });

  it('never throws on the sample journey, or the one with an emit step, with one property deleted or replaced', () => {
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.constant({ kind: 'delete' } as const),
      fc.jsonValue().map((value) => ({ kind: 'replace', value }) as const),
    );
    fc.assert(
      fc.property(fc.constantFrom(...startingPoints), mutation, ({ start, path }, change) => {
        expectUsableResult(JSON.stringify(mutate(start, path, change), null, 2));
      }),
      { numRuns: 300 },
    );
  });
});
