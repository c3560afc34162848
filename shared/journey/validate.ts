/**
 * The validator: every way a journey file can be wrong, reported as a list
 * of problems with file, line, column, JSON path, what was expected and a
 * hint. It never throws, whatever the input.
 */
import type { z } from 'zod';
import type { Channel } from '../customer/profile.ts';
import { catalogEventTypes, eventCatalog, isCatalogEventType, parseEventDetail } from '../events/catalog.ts';
import { validatePattern } from '../events/pattern.ts';
import { sampleContext, sampleEventDetail } from '../render/sample.ts';
import { smsSize } from '../render/sms.ts';
import {
  missingParts,
  type RenderedMessage,
  renderMessage,
  TEMPLATE_PARTS,
  type TemplateSource,
} from '../render/templates.ts';
import { closest, didYouMean } from '../text/suggest.ts';
import { expressEligibility } from './timing.ts';
import { loopsWithoutWait, reachableFrom, stepById, stepEdges, stepsThatCanEnd } from './graph.ts';
import { jsonPath, type PathSegment, type Problem } from './problem.ts';
import { resolveReference } from './references.ts';
import {
  type CapRule,
  type Condition,
  type EventMatcher,
  type Journey,
  journeySchema,
  type Settings,
  sendChannels,
  settingsSchema,
  type ValueExpression,
  isReference,
} from './schema.ts';
import { parseSource, type SourcePosition } from './source.ts';

export interface ValidationContext {
  settings: Settings;
  templates: ReadonlyMap<string, TemplateSource>;
}

type Report = (
  path: readonly PathSegment[],
  message: string,
  extra?: {
    expected?: string | undefined;
    hint?: string | undefined;
    severity?: Problem['severity'];
    /** Where to point when the path alone would point elsewhere (the second of two duplicate keys). */
    position?: SourcePosition;
  },
) => void;

export interface FileValidation<T> {
  value: T | undefined;
  problems: Problem[];
}

/** Every property name the language knows, for "did you mean" on unknown keys. */
const KNOWN_KEYS = [
  ...new Set([
    ...'id name description version status trigger entry reentry maxConcurrent exitOn goal attributionWindow caps values workflow start steps'.split(
      ' ',
    ),
    ...'type channel template category next onNotSent duration until kind start end days day fallback event source filter timeout onEvent onTimeout'.split(
      ' ',
    ),
    ...'cases when default paths weight holdout set addTags removeTags detail field equals notEquals in exists'.split(
      ' ',
    ),
    ...'greaterThan greaterThanOrEqual lessThan lessThanOrEqual contains startsWith history within atLeast all any not from'.split(
      ' ',
    ),
    ...'channels limit window rolling timeZone quietHours senders email sms push from replyTo configurationSet'.split(
      ' ',
    ),
    ...'originationNumber senderId unsubscribe baseUrl preferredHour after'.split(' '),
  ]),
];

export function validateSettingsText(text: string, file: string): FileValidation<Settings> {
  return parseWith(text, file, settingsSchema, checkSettings);
}

export function validateJourneyText(
  text: string,
  file: string,
  context: ValidationContext,
): FileValidation<Journey> {
  return parseWith(text, file, journeySchema, (journey, report) => checkJourney(journey, context, report));
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
    if (typeof source.value !== 'object' || source.value === null || Array.isArray(source.value)) {
      report([], 'Expected a JSON object at the top of the file.');
      return { value: undefined, problems };
    }
    const parsed = schema.safeParse(source.value);
    if (!parsed.success) {
      // "nxt" already says "did you mean next?": the missing "next" need not be reported again.
      const misspelt = new Set<string>();
      for (const issue of parsed.error.issues) {
        if (issue.code !== 'unrecognized_keys') continue;
        for (const key of issue.keys) {
          const meant = closest(key, KNOWN_KEYS);
          if (meant !== undefined) misspelt.add(jsonPath([...issue.path.map(String), meant]));
        }
      }
      for (const issue of parsed.error.issues) reportIssue(issue, source.value, report, misspelt);
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
    const reason = error instanceof Error ? error.message : String(error);
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
          hint: didYouMean(key, KNOWN_KEYS),
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
    else if (typeof current === 'object' && current !== null && !Array.isArray(current)) {
      current = Object.entries(current).find(([key]) => key === String(segment))?.[1];
    } else return undefined;
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
  checkMatcher(journey.trigger, ['trigger'], report);
  journey.exitOn.forEach((exit, index) => {
    checkMatcher(exit, ['exitOn', index], report);
    if (
      exit.event === journey.trigger.event &&
      exit.filter === undefined &&
      journey.trigger.filter === undefined
    ) {
      report(
        ['exitOn', index, 'event'],
        `The journey exits on its own trigger "${exit.event}": every customer would leave at once.`,
        {
          hint: 'add a filter that tells the two apart, or exit on another event',
        },
      );
    }
  });
  const values = checkValues(journey, report);
  checkGraph(journey, report);
  checkCaps(journey.caps, context.settings.caps, report);
  for (const [id, step] of Object.entries(journey.steps)) {
    const at: PathSegment[] = ['steps', id];
    switch (step.type) {
      case 'send':
        checkSend(journey, id, sendChannels(step), step.template, step.category, context, values, report);
        break;
      case 'waitForEvent':
        checkMatcher(step.event, [...at, 'event'], report);
        break;
      case 'branch':
        step.cases.forEach((branchCase, index) => {
          checkCondition(branchCase.when, [...at, 'cases', index, 'when'], journey, values, report);
        });
        break;
      case 'split': {
        const total = step.paths.reduce((sum, path) => sum + path.weight, 0);
        if (total !== 100) {
          report([...at, 'paths'], `The path weights add up to ${total}; they must add up to 100 (percent).`);
        }
        const names = step.paths.map((path) => path.name);
        names.forEach((name, index) => {
          if (names.indexOf(name) !== index)
            report([...at, 'paths', index, 'name'], `Path name "${name}" is used twice.`);
        });
        break;
      }
      case 'updateProfile':
        for (const [key, value] of Object.entries(step.set ?? {})) {
          checkValueReference(value, [...at, 'set', key], journey, values, report, [
            'event',
            'profile',
            'values',
            'trigger',
          ]);
        }
        break;
      case 'emit':
        for (const [key, value] of Object.entries(step.detail)) {
          // The event is put on the bus by Step Functions itself, which sees the state, not the profile.
          checkValueReference(value, [...at, 'detail', key], journey, values, report, [
            'event',
            'values',
            'trigger',
          ]);
          if (
            isReference(value) &&
            value.from.startsWith('event.') &&
            !isRequiredEventField(journey.trigger.event, value.from)
          ) {
            report(
              [...at, 'detail', key, 'from'],
              `"${value.from}" is optional in "${journey.trigger.event}" events: when it is missing, Step Functions stops the whole execution.`,
              {
                hint: `carry it in the journey's values (a missing field becomes null there) and use "values.${key}"`,
              },
            );
          }
        }
        break;
      case 'wait':
      case 'end':
        break;
      default: {
        const unreachable: never = step;
        report(at, `Unknown step ${JSON.stringify(unreachable)}`);
      }
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

function checkMatcher(matcher: EventMatcher, at: PathSegment[], report: Report): void {
  if (!isCatalogEventType(matcher.event)) {
    report([...at, 'event'], `"${matcher.event}" is not an event in the catalog.`, {
      expected: `one of ${catalogEventTypes.join(', ')}`,
      hint:
        didYouMean(matcher.event, catalogEventTypes) ??
        'new event types are added to shared/events/catalog.ts',
    });
    return;
  }
  if (matcher.filter === undefined) return;
  for (const issue of validatePattern(matcher.filter)) {
    const [message, hint] = splitHint(issue.message);
    report([...at, 'filter', ...issue.path], message, { hint });
  }
  const example = sampleEventDetail(matcher.event) ?? {};
  const known = Object.keys(eventCatalog[matcher.event].example);
  for (const key of Object.keys(matcher.filter)) {
    if (key.startsWith('$') || Object.hasOwn(example, key)) continue;
    report(
      [...at, 'filter', key],
      `"${matcher.event}" events have no field "${key}": this filter would never match.`,
      {
        expected: `one of ${known.join(', ')}`,
        hint: didYouMean(key, known),
      },
    );
  }
}

/** Moves a trailing "did you mean ...?" out of a message and into the hint. */
function splitHint(message: string): [string, string | undefined] {
  const match = /^(.*?);? (did you mean "[^"]+"\?)$/s.exec(message);
  return match?.[1] === undefined || match[2] === undefined
    ? [message, undefined]
    : [`${match[1]}.`, match[2]];
}

/** The journey's values as they would be for the sample event, to check later references against. */
function checkValues(journey: Journey, report: Report): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(journey.values)) {
    checkValueReference(value, ['values', key], journey, {}, report, ['event', 'profile', 'trigger']);
    // A broken reference is reported here; a stand-in keeps templates using the value from failing again.
    resolved[key] = isReference(value) ? (sampleOf(value.from, journey, {}) ?? `<${value.from}>`) : value;
  }
  return resolved;
}

function sampleOf(reference: string, journey: Journey, values: Record<string, unknown>): unknown {
  const context = sampleContext(sampleOptions(journey, '', values));
  const resolution = resolveReference(reference, context);
  return resolution.found ? resolution.value : undefined;
}

function sampleOptions(journey: Journey, stepId: string, values: Record<string, unknown>) {
  return {
    detailType: journey.trigger.event,
    journeyId: journey.id,
    journeyName: journey.name,
    stepId,
    values,
    unsubscribeBaseUrl: 'https://example.com/unsubscribe',
  };
}

function checkValueReference(
  value: ValueExpression,
  at: PathSegment[],
  journey: Journey,
  values: Record<string, unknown>,
  report: Report,
  roots: readonly string[],
): void {
  if (!isReference(value)) return;
  checkReference(value.from, [...at, 'from'], journey, values, report, roots);
}

function checkReference(
  reference: string,
  at: PathSegment[],
  journey: Journey,
  values: Record<string, unknown>,
  report: Report,
  roots: readonly string[],
): void {
  const root = reference.split('.')[0] ?? '';
  if (!roots.includes(root)) {
    const name = reference.split('.').pop() ?? 'name';
    report(
      at,
      `"${reference}" cannot be used here: only ${roots.map((entry) => `${entry}.*`).join(', ')} can.`,
      {
        hint: roots.includes('values')
          ? `carry it in the journey's values: "values": { "${name}": { "from": "${reference}" } }, then use "values.${name}"`
          : undefined,
      },
    );
    return;
  }
  // Profile attributes are free-form: only the fixed profile fields can be checked.
  if (root === 'profile' && reference.startsWith('profile.attributes.')) return;
  // An event missing from the catalog is reported once, at the trigger, not again at each use.
  if (root === 'event' && !isCatalogEventType(journey.trigger.event)) return;
  const context = sampleContext(sampleOptions(journey, '', values));
  const resolution = resolveReference(reference, context);
  if (!resolution.found) {
    const last = resolution.missing.split('.').pop() ?? '';
    const subject = root === 'event' ? `"${journey.trigger.event}" events have` : `${root} has`;
    report(at, `${subject} no field "${resolution.missing.slice(root.length + 1)}".`, {
      expected: resolution.available.length > 0 ? `one of ${resolution.available.join(', ')}` : undefined,
      hint: didYouMean(last, resolution.available),
    });
  }
}

function checkCondition(
  condition: Condition,
  at: PathSegment[],
  journey: Journey,
  values: Record<string, unknown>,
  report: Report,
): void {
  if ('all' in condition) {
    for (const [index, inner] of condition.all.entries()) {
      checkCondition(inner, [...at, 'all', index], journey, values, report);
    }
  } else if ('any' in condition) {
    for (const [index, inner] of condition.any.entries()) {
      checkCondition(inner, [...at, 'any', index], journey, values, report);
    }
  } else if ('not' in condition) {
    checkCondition(condition.not, [...at, 'not'], journey, values, report);
  } else if ('history' in condition) {
    checkMatcher(
      { event: condition.history.event, filter: condition.history.filter },
      [...at, 'history'],
      report,
    );
  } else {
    checkReference(condition.field, [...at, 'field'], journey, values, report, [
      'event',
      'profile',
      'values',
      'trigger',
    ]);
  }
}

function checkGraph(journey: Journey, report: Report): void {
  const ids = Object.keys(journey.steps);
  if (stepById(journey, journey.start) === undefined) {
    report(['start'], `The start step "${journey.start}" does not exist.`, {
      hint: didYouMean(journey.start, ids),
    });
    return;
  }
  let dangling = false;
  for (const [id, step] of Object.entries(journey.steps)) {
    for (const edge of stepEdges(step)) {
      if (stepById(journey, edge.to) !== undefined) continue;
      dangling = true;
      report(['steps', id, ...edge.field], `Unknown step "${edge.to}".`, {
        expected: `one of ${ids.join(', ')}`,
        hint: didYouMean(edge.to, ids),
      });
    }
  }
  if (dangling) return;
  const reachable = reachableFrom(journey, journey.start);
  for (const id of ids) {
    if (!reachable.has(id)) {
      report(['steps', id], `Step "${id}" is unreachable: no step leads to it from "${journey.start}".`, {
        hint: 'link it from another step with "next", or remove it',
      });
    }
  }
  for (const loop of loopsWithoutWait(journey)) {
    const first = loop[0] ?? '';
    report(
      ['steps', first],
      `Steps ${loop.map((id) => `"${id}"`).join(' -> ')} loop back with no wait in between.`,
      {
        hint: 'a loop must pass through a wait or waitForEvent, or customers would spin for ever',
      },
    );
  }
  const canEnd = stepsThatCanEnd(journey);
  const stuck = [...reachable].filter((id) => !canEnd.has(id));
  // One error per trap, at the step that leads into it, rather than one per step inside it.
  const entries = stuck.filter((id) =>
    [...reachable].some(
      (from) =>
        canEnd.has(from) &&
        stepEdges(stepById(journey, from) ?? { type: 'end' }).some((edge) => edge.to === id),
    ),
  );
  const reported = entries.length > 0 || stuck[0] === undefined ? entries : [stuck[0]];
  for (const id of reported) {
    const trapped = reachableFrom(journey, id);
    const others = [...trapped].filter((other) => other !== id);
    report(
      ['steps', id],
      `No "end" step can be reached from step "${id}"${others.length > 0 ? ` or the steps after it (${others.join(', ')})` : ''}.`,
      {
        hint: 'every path must eventually lead to a step of type "end"',
      },
    );
  }
}

/** Whether the catalog requires a field: the example without it no longer parses. */
function isRequiredEventField(detailType: string, reference: string): boolean {
  const example = sampleEventDetail(detailType);
  if (example === undefined) return true;
  const copy = structuredClone(example);
  const segments = reference.split('.').slice(1);
  const last = segments.pop();
  let parent: unknown = copy;
  for (const segment of segments) {
    parent =
      typeof parent === 'object' && parent !== null && Object.hasOwn(parent, segment)
        ? Object.entries(parent).find(([key]) => key === segment)?.[1]
        : undefined;
  }
  if (last === undefined || typeof parent !== 'object' || parent === null) return true;
  Reflect.deleteProperty(parent, last);
  return !parseEventDetail(detailType, copy).ok;
}

function checkCaps(caps: readonly CapRule[], globalCaps: readonly CapRule[], report: Report): void {
  caps.forEach((cap, index) => {
    if (caps.findIndex((other) => other.id === cap.id) !== index) {
      report(['caps', index, 'id'], `Cap id "${cap.id}" is used twice.`);
    }
    const global = globalCaps.find((other) => other.id === cap.id);
    if (global === undefined) return;
    if (cap.limit > global.limit) {
      report(
        ['caps', index, 'limit'],
        `Cap "${cap.id}" allows ${cap.limit}, more than the global ${global.limit}: a journey may tighten a global cap, never loosen it.`,
        {
          expected: `at most ${global.limit}`,
        },
      );
    }
    if (
      JSON.stringify(cap.window) !== JSON.stringify(global.window) ||
      JSON.stringify(cap.channels) !== JSON.stringify(global.channels)
    ) {
      report(
        ['caps', index],
        `Cap "${cap.id}" changes the window or channels of the global cap of the same id.`,
        {
          hint: 'keep the same window and channels and lower the limit, or give the cap a new id',
        },
      );
    }
  });
}

function checkSend(
  journey: Journey,
  id: string,
  channels: readonly Channel[],
  templateName: string,
  category: 'marketing' | 'transactional',
  context: ValidationContext,
  values: Record<string, unknown>,
  report: Report,
): void {
  const at: PathSegment[] = ['steps', id];
  channels.forEach((channel, index) => {
    if (channels.indexOf(channel) !== index)
      report([...at, 'channel', index], `Channel "${channel}" is listed twice.`);
  });
  const template = context.templates.get(templateName);
  if (template !== undefined) {
    for (const file of unknownTemplateFiles(template)) {
      report(
        [...at, 'template'],
        `templates/${templateName}/${file} is not a template part and is never used.`,
        {
          severity: 'warning',
          hint: didYouMean(file, KNOWN_TEMPLATE_FILES),
        },
      );
    }
  }
  if (template === undefined) {
    const names = [...context.templates.keys()];
    report([...at, 'template'], `There is no template "${templateName}" in templates/.`, {
      expected: names.length > 0 ? `one of ${names.join(', ')}` : 'a folder under templates/',
      hint: didYouMean(templateName, names) ?? `create templates/${templateName}/`,
    });
    return;
  }
  for (const channel of channels) {
    const missing = missingParts(template, channel);
    if (missing.length > 0) {
      const able = [...context.templates.values()].filter(
        (other) => missingParts(other, channel).length === 0,
      );
      report(
        [...at, 'template'],
        `Template "${templateName}" has no ${missing.join(', ')}, needed to send ${channel}.`,
        {
          hint:
            able.length > 0
              ? `templates that can send ${channel}: ${able.map((other) => other.name).join(', ')}`
              : `add ${missing.join(', ')} to templates/${templateName}/`,
        },
      );
      continue;
    }
    // Without a catalog example there is no sample to render with; the trigger's error says why.
    if (!isCatalogEventType(journey.trigger.event)) continue;
    const sample = sampleContext(sampleOptions(journey, id, values));
    const rendered = renderMessage(template, channel, sample);
    if (rendered.ok) {
      checkRenderedMessage(
        rendered.message,
        { templateName, category, unsubscribeUrl: sample.unsubscribeUrl },
        (message, severity) => report([...at, 'template'], message, { severity }),
      );
      continue;
    }
    for (const issue of rendered.problems) {
      const variable = /undefined variable: ([\w.]+)/.exec(issue.message)?.[1];
      report(
        [...at, 'template'],
        `templates/${templateName}/${issue.file}:${issue.line}:${issue.column}: ${issue.message}`,
        {
          hint: variable === undefined ? undefined : variableHint(variable),
        },
      );
    }
  }
}

function variableHint(variable: string): string {
  const [root] = variable.split('.');
  const roots = ['profile', 'event', 'trigger', 'values', 'journey', 'unsubscribeUrl'];
  const suggestion = root === undefined || roots.includes(root) ? undefined : closest(root, roots);
  if (suggestion !== undefined) return `did you mean "${suggestion}"?`;
  return `the sample data has no ${variable}; use {{ ${variable} | default: "..." }} if it is optional`;
}

const KNOWN_TEMPLATE_FILES = Object.values(TEMPLATE_PARTS).flatMap((parts) => Object.values(parts));

function unknownTemplateFiles(template: TemplateSource): string[] {
  return Object.keys(template.files).filter((file) => !KNOWN_TEMPLATE_FILES.some((known) => known === file));
}

/** APNs refuses payloads over 4 KB; FCM allows a little more, so APNs is the limit that matters. */
const PUSH_PAYLOAD_LIMIT_BYTES = 4096;

/** What only shows once a template is rendered: compliance and size. */
function checkRenderedMessage(
  message: RenderedMessage,
  send: { templateName: string; category: 'marketing' | 'transactional'; unsubscribeUrl: string },
  report: (message: string, severity: Problem['severity']) => void,
): void {
  const where = `templates/${send.templateName}`;
  switch (message.channel) {
    case 'email': {
      const body = `${message.html ?? ''}\n${message.text ?? ''}`;
      if (send.category === 'marketing' && !body.includes(send.unsubscribeUrl)) {
        report(
          `${where}: a marketing email must show an unsubscribe link; add {{ unsubscribeUrl }} to the HTML and text parts.`,
          'error',
        );
      }
      return;
    }
    case 'sms': {
      const size = smsSize(message.text);
      if (size.segments > 1) {
        report(
          `${where}/sms.liquid renders to ${size.units} ${size.encoding} characters with the sample data: ${size.segments} SMS segments, each billed.`,
          'warning',
        );
      }
      if (send.category === 'marketing' && !/\bSTOP\b/i.test(message.text)) {
        report(
          `${where}/sms.liquid: marketing SMS should say how to opt out, e.g. "Reply STOP to opt out".`,
          'warning',
        );
      }
      return;
    }
    case 'push': {
      const bytes = Buffer.byteLength(
        JSON.stringify({ title: message.title, body: message.body, data: message.data }),
      );
      if (bytes > PUSH_PAYLOAD_LIMIT_BYTES) {
        report(
          `${where}: the push payload is ${bytes} bytes with the sample data; APNs accepts at most 4096.`,
          'warning',
        );
      }
      return;
    }
    default: {
      const unreachable: never = message;
      report(`Unknown message ${JSON.stringify(unreachable)}`, 'error');
    }
  }
}

function checkSettings(settings: Settings, report: Report): void {
  settings.caps.forEach((cap, index) => {
    if (settings.caps.findIndex((other) => other.id === cap.id) !== index) {
      report(['caps', index, 'id'], `Cap id "${cap.id}" is used twice; journeys refer to caps by id.`);
    }
  });
  for (const channel of ['email', 'sms', 'push'] as const) {
    const window = settings.quietHours[channel];
    if (window !== null && window.start === window.end) {
      report(['quietHours', channel], `Quiet hours for ${channel} start and end at ${window.start}.`, {
        hint: 'use null for no quiet hours',
      });
    }
  }
  // SES accepts "Name <address>" or a bare address; anything else fails on every send.
  if (
    !/^(?:[^<>]+ <[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+>|[^<>\s@]+@[^<>\s@]+\.[^<>\s@]+)$/.test(
      settings.senders.email.from,
    )
  ) {
    report(['senders', 'email', 'from'], `"${settings.senders.email.from}" is not an email sender.`, {
      expected: '"Name <address@example.com>" or "address@example.com", an identity verified in SES',
    });
  }
}
