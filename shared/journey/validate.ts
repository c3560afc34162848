/**
 * The validator: every way a journey file can be wrong, reported as a list
 * of problems with file, line, column, JSON path, what was expected and a
 * hint. It never throws, whatever the input.
 */
import type * as z from 'zod';
import { isRecord, ownValue } from '../json.ts';
import { closest, didYouMean } from '../text/suggest.ts';
import { checkBusinessKeys } from './checks/business-keys.ts';
import { checkMatcher } from './checks/events.ts';
import { checkGraph } from './checks/graph.ts';
import { checkCondition, checkValue, checkValues, sampleOptions } from './checks/references.ts';
import { sampleContext } from '../render/sample.ts';
import type { JourneyScope, Report, ValidationContext } from './checks/scope.ts';
import { checkJourneyCaps, checkJourneySendRate, checkSettings } from './checks/settings.ts';
import { checkEmit, checkExits, checkSplit, checkWait } from './checks/steps.ts';
import { checkSend } from './checks/templates.ts';
import { checkSendChannels } from './checks/channels.ts';
import { assertNever } from './graph.ts';
import { journeyPropertyNames } from './json-schema.ts';
import { jsonPath, type PathSegment, type Problem } from './problem.ts';
import { isAudienceTrigger, type Journey, journeySchema, type Settings, settingsSchema } from './schema.ts';
import { parseSource, type SourcePosition } from './source.ts';
import { expressEligibility, longestPartSeconds } from './timing.ts';
import { EXPRESS_MAX_SECONDS, EXPRESS_POLICIES } from './policies.ts';
import { errorMessage } from '../text/error-message.ts';
import { checkSegment } from '../audience/segment-check.ts';
import { type Segment, segmentSchema } from '../audience/segment.ts';
import type { EventCatalog } from '../events/catalog.ts';
import { checkAudienceTrigger } from './checks/audience.ts';
import { checkEventFile, type EventFile, eventFileSchema } from '../events/event-file.ts';

export type { ValidationContext };

export interface FileValidation<T> {
  value: T | undefined;
  problems: Problem[];
}

/** Every property name the language knows, for "did you mean" on unknown keys; built when first needed. */
let knownKeys: readonly string[] | undefined;
function knownKeyNames(): readonly string[] {
  knownKeys ??= journeyPropertyNames();
  return knownKeys;
}

export function validateSettingsText(text: string, file: string): FileValidation<Settings> {
  return parseWith(text, file, settingsSchema, checkSettings);
}

export function validateEventFileText(text: string, file: string): FileValidation<EventFile> {
  return parseWith(text, file, eventFileSchema, (value, report) => checkEventFile(file, value, report));
}

export function validateSegmentText(
  text: string,
  file: string,
  events: EventCatalog,
): FileValidation<Segment> {
  return parseWith(text, file, segmentSchema, (segment, report) =>
    checkSegment(segment, file, events, report),
  );
}

export function validateJourneyText(
  text: string,
  file: string,
  context: ValidationContext,
): FileValidation<Journey> {
  return parseWith(text, file, journeySchema, (journey, report) => checkJourney(journey, context, report));
}

/**
 * zod's length bounds also run on a value of the wrong type and compare its `length`; an object
 * there that cannot become a number makes the comparison throw: the source parser's objects have
 * no prototype (`{"length": {}}`), and JSON can write `{"length": {"toString": 1}}`. Such a
 * document is parsed again as a copy whose objects compare as NaN, so its wrong type is reported
 * like any other.
 */
function safeParseCoercing<S extends z.ZodType>(
  schema: S,
  value: unknown,
): z.ZodSafeParseResult<z.output<S>> {
  try {
    return schema.safeParse(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return schema.safeParse(comparable(value));
  }
}

/** JSON cannot give an object its own Symbol.toPrimitive, so one inherited from here always wins. */
const COMPARES_AS_NAN = { [Symbol.toPrimitive]: (): number => Number.NaN };

function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (!isRecord(value)) return value;
  const copy: Record<string, unknown> = {};
  Object.setPrototypeOf(copy, COMPARES_AS_NAN);
  for (const [key, entry] of Object.entries(value)) {
    // defineProperty, not assignment: a "__proto__" key stays a key.
    Object.defineProperty(copy, key, {
      value: comparable(entry),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

function parseWith<S extends z.ZodType>(
  text: string,
  file: string,
  schema: S,
  check: (value: z.output<S>, report: Report) => void,
): FileValidation<z.output<S>> {
  const problems: Problem[] = [];
  try {
    const source = parseSource(text);
    if (!source.ok) {
      for (const issue of source.issues) {
        problems.push({
          ...problem(file, issue.position, issue.path, issue.message),
          ...(issue.hint === undefined ? {} : { hint: issue.hint }),
        });
      }
      return { value: undefined, problems };
    }
    const report: Report = (path, message, extra = {}) => {
      problems.push({
        ...problem(file, extra.position ?? source.locate(path), path, message, extra.severity),
        ...(extra.expected === undefined ? {} : { expected: extra.expected }),
        ...(extra.hint === undefined ? {} : { hint: extra.hint }),
      });
    };
    for (const issue of source.duplicates) {
      report(issue.path, issue.message, { hint: issue.hint, position: issue.position });
    }
    if (!isRecord(source.value)) {
      report([], 'Expected a JSON object at the top of the file.');
      return { value: undefined, problems };
    }
    const parsed = safeParseCoercing(schema, source.value);
    if (!parsed.success) {
      // "nxt" already says "did you mean next?": the missing "next" need not be reported again.
      const misspelt = new Set<string>();
      for (const issue of parsed.error.issues) {
        if (issue.code !== 'unrecognized_keys') continue;
        for (const key of issue.keys) {
          const meant = closest(key, knownKeyNames());
          if (meant !== undefined) misspelt.add(jsonPath([...issue.path.map(String), meant]));
        }
      }
      // A value of the wrong type also fails its length bounds; the type is the one thing to fix.
      const wrongType = new Set(
        parsed.error.issues
          .filter((issue) => issue.code === 'invalid_type')
          .map((issue) => jsonPath(issue.path.map(String))),
      );
      for (const issue of parsed.error.issues) {
        const bound = issue.code === 'too_small' || issue.code === 'too_big';
        if (bound && wrongType.has(jsonPath(issue.path.map(String)))) continue;
        reportIssue(issue, source.value, report, misspelt);
      }
      return { value: undefined, problems: byPosition(problems) };
    }
    check(parsed.data, report);
    byPosition(problems);
    return {
      value: problems.some((entry) => entry.severity === 'error') ? undefined : parsed.data,
      problems,
    };
  } catch (error) {
    // A bug of ours must still come out as a problem the user can report, not a stack trace.
    const reason = errorMessage(error);
    problems.push(problem(file, { line: 0, column: 0 }, [], `Internal validator error: ${reason}`));
    return { value: undefined, problems };
  }
}

/** In file order, so a reader fixes them top to bottom. */
function byPosition(problems: Problem[]): Problem[] {
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

function problem(
  file: string,
  position: SourcePosition,
  path: readonly PathSegment[],
  message: string,
  severity: Problem['severity'] = 'error',
): Problem {
  return { severity, file, line: position.line, column: position.column, path: jsonPath(path), message };
}

// ---- schema issues, made readable ----

function reportIssue(
  issue: z.core.$ZodIssue,
  input: unknown,
  report: Report,
  misspelt: ReadonlySet<string>,
): void {
  const path = issue.path.map((key) => (typeof key === 'symbol' ? String(key) : key));
  if (valueAt(input, path) === undefined && misspelt.has(jsonPath(path.map(String)))) return;
  const given = valueAt(input, path);
  const name = path[path.length - 1];
  switch (issue.code) {
    case 'unrecognized_keys':
      for (const key of issue.keys) {
        report([...path, key], `Unknown property ${JSON.stringify(key)}.`, {
          hint: didYouMean(key, knownKeyNames()),
        });
      }
      return;
    case 'invalid_union': {
      if ('note' in issue && issue.note === 'No matching discriminator') {
        const options = 'options' in issue && Array.isArray(issue.options) ? issue.options.map(String) : [];
        const discriminator = String(name ?? 'type');
        const what = discriminator === 'type' ? 'step type' : JSON.stringify(discriminator);
        report(
          path,
          given === undefined
            ? `Missing ${JSON.stringify(discriminator)}.`
            : `Unknown ${what} ${JSON.stringify(given)}.`,
          {
            expected: `one of ${options.join(', ')}`,
            hint: typeof given === 'string' ? didYouMean(given, options) : undefined,
          },
        );
        return;
      }
      const literals = issue.errors.flatMap((branch) =>
        branch.flatMap((inner) =>
          inner.code === 'invalid_value' && inner.path.length === 0 ? inner.values.map(String) : [],
        ),
      );
      const atRoot = (issues: readonly z.core.$ZodIssue[]): number =>
        issues.filter((inner) => inner.path.length === 0).length;
      if (literals.length > 0 && issue.errors.every((branch) => atRoot(branch) > 0)) {
        // A choice between words (and perhaps an object): name every word, not just the first branch's.
        const objects = issue.errors.some((branch) =>
          branch.some((inner) => inner.code === 'invalid_type' && inner.expected === 'object'),
        );
        const options = [
          ...literals.map((literal) => JSON.stringify(literal)),
          ...(objects ? ['an object'] : []),
        ];
        report(
          path,
          given === undefined
            ? `Missing required property ${JSON.stringify(name)}.`
            : `${JSON.stringify(given)} is not allowed here.`,
          {
            expected: `one of ${options.join(', ')}`,
            hint: typeof given === 'string' ? didYouMean(given, literals) : undefined,
          },
        );
        return;
      }
      // Report the alternative the input was meant to be: the one it got furthest into (fewest
      // issues about the value as a whole), then the one with fewest issues.
      const best = [...issue.errors].sort((a, b) => atRoot(a) - atRoot(b) || a.length - b.length)[0];
      if (best === undefined || best.length === 0) {
        report(path, issue.message);
        return;
      }
      for (const inner of best)
        reportIssue({ ...inner, path: [...path, ...inner.path] }, input, report, misspelt);
      return;
    }
    case 'invalid_value': {
      const options = issue.values.map((value) => JSON.stringify(value));
      const message =
        given === undefined
          ? `Missing required property ${JSON.stringify(name)}.`
          : `${JSON.stringify(given)} is not allowed here.`;
      report(path, message, {
        expected: `one of ${options.join(', ')}`,
        hint: typeof given === 'string' ? didYouMean(given, issue.values.map(String)) : undefined,
      });
      return;
    }
    case 'invalid_type':
      if (given === undefined) {
        report(path, `Missing required property ${JSON.stringify(name)}.`, { expected: issue.expected });
      } else {
        report(path, `Expected ${issue.expected}, got ${describe(given)}.`, { expected: issue.expected });
      }
      return;
    case 'invalid_key': {
      const reason = issue.issues[0]?.message ?? issue.message;
      report(path, `${JSON.stringify(name)} cannot be used as a name here: ${reason}`);
      return;
    }
    case 'too_big':
    case 'too_small': {
      const bound =
        issue.code === 'too_big' ? `at most ${String(issue.maximum)}` : `at least ${String(issue.minimum)}`;
      const unit =
        issue.origin === 'string'
          ? ' characters'
          : issue.origin === 'array' || issue.origin === 'set'
            ? ' items'
            : '';
      report(path, `Must be ${bound}${unit}; got ${describe(given)}.`, { expected: `${bound}${unit}` });
      return;
    }
    case 'custom': {
      const hint: unknown = issue.params?.hint;
      report(path, issue.message, { hint: typeof hint === 'string' ? hint : undefined });
      return;
    }
    default:
      report(path, issue.message);
  }
}

function valueAt(input: unknown, path: readonly PathSegment[]): unknown {
  let current = input;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === 'number') current = current[segment];
    else if (isRecord(current)) current = ownValue(current, String(segment));
    else return undefined;
  }
  return current;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') {
    return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  }
  return typeof value === 'number' || typeof value === 'boolean'
    ? `${typeof value} ${String(value)}`
    : typeof value;
}

// ---- the journey's meaning ----

function checkJourney(journey: Journey, context: ValidationContext, report: Report): void {
  const { events } = context;
  if (isAudienceTrigger(journey.trigger)) checkAudienceTrigger(journey, context, report);
  else checkMatcher(journey.trigger, ['trigger'], events, report);
  checkExits(journey, events, report);
  checkBusinessKeys(journey, events, report);
  const values = checkValues(journey, context, report);
  const sample = sampleContext(sampleOptions(journey, '', values, events));
  const scope: JourneyScope = { journey, context, values, sample, report };
  // Step checks follow edges and compile pieces; a dangling step would only add noise to them.
  if (!checkGraph(journey, report)) return;
  checkJourneyCaps(journey.caps, context.settings.caps, report);
  checkJourneySendRate(journey, context.settings.sendRates, report);
  for (const [id, step] of Object.entries(journey.steps)) {
    const at: PathSegment[] = ['steps', id];
    switch (step.type) {
      case 'send':
        checkSend(id, step, scope);
        checkSendChannels(id, step, scope);
        break;
      case 'wait':
        checkWait(id, step, report);
        break;
      case 'waitForEvent':
        checkMatcher(step.event, [...at, 'event'], events, report);
        break;
      case 'branch':
        step.cases.forEach((branchCase, index) =>
          checkCondition(branchCase.when, [...at, 'cases', index, 'when'], scope),
        );
        break;
      case 'split':
        checkSplit(id, step, report);
        break;
      case 'updateProfile':
        for (const [key, value] of Object.entries(step.set ?? {})) {
          checkValue(value, [...at, 'set', key], scope, ['event', 'profile', 'values', 'trigger']);
        }
        break;
      case 'emit':
        checkEmit(id, step, scope);
        break;
      case 'end':
        break;
      default:
        return assertNever(step);
    }
  }
  if (journey.workflow === 'high-volume') {
    const part = longestPartSeconds(journey);
    if (part.seconds > EXPRESS_MAX_SECONDS) {
      report(
        ['workflow'],
        `A high-volume part may run ${part.seconds} s from step "${part.from}" to its next wait (every task timing out after ${EXPRESS_POLICIES.taskTimeoutSeconds} s and retried), more than an Express execution's ${EXPRESS_MAX_SECONDS} s.`,
        { hint: 'put a wait between its steps (a part ends at every wait), or use a Standard workflow' },
      );
    }
  }
  if (journey.workflow === 'express') {
    const eligibility = expressEligibility(journey, context.settings);
    if (!eligibility.eligible) {
      report(
        ['workflow'],
        `This journey cannot run as an Express workflow: ${eligibility.reasons.join('; ')}.`,
        {
          hint: 'remove "workflow" to use a Standard workflow',
        },
      );
    }
  }
}
