/** Values, references and conditions: everything a journey reads must exist where it reads it. */
import { checkEngagementCondition } from './engagement.ts';
import { type EventCatalog, eventDefinition } from '../../events/catalog.ts';
import { eventFieldNames } from '../../events/fields.ts';
import { sampleContext } from '../../render/sample.ts';
import { closest, didYouMean } from '../../text/suggest.ts';
import type { PathSegment } from '../problem.ts';
import { resolveReference } from '../references.ts';
import {
  type Condition,
  type FieldCondition,
  isReference,
  type Journey,
  REFERENCE_HELP,
  type ValueExpression,
} from '../schema.ts';
import { checkMatcher } from './events.ts';
import { isRecord } from '../../json.ts';
import type { JourneyScope, Report, ValidationContext } from './scope.ts';
import { triggerMatcher } from '../trigger.ts';

/** Roots a journey value may be read from at entry. */
export const VALUE_SOURCES = ['event', 'profile', 'trigger'] as const;

export function sampleOptions(
  journey: Journey,
  stepId: string,
  values: Record<string, unknown>,
  events: EventCatalog,
) {
  return {
    events,
    detailType: triggerMatcher(journey.trigger).event,
    journeyId: journey.id,
    journeyName: journey.name,
    stepId,
    values,
    unsubscribeBaseUrl: 'https://example.com/unsubscribe',
  };
}

/** The journey's values as they would be for the sample event, to check later references against. */
export function checkValues(
  journey: Journey,
  context: ValidationContext,
  report: Report,
): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  // Values are read at entry, before any value exists.
  const sample = sampleContext(sampleOptions(journey, '', {}, context.events));
  for (const [key, value] of Object.entries(journey.values)) {
    checkValue(value, ['values', key], { journey, context, sample, report }, VALUE_SOURCES);
    const resolution = isReference(value) ? resolveReference(value.from, sample) : undefined;
    // A broken reference is reported here; a stand-in keeps templates using the value from failing again.
    resolved[key] = isReference(value)
      ? resolution?.found === true
        ? resolution.value
        : `<${value.from}>`
      : value;
  }
  return resolved;
}

type ReferenceScope = Pick<JourneyScope, 'journey' | 'context' | 'sample' | 'report'>;

/** A value written in a journey: a reference that must resolve, or a literal that must stay a literal. */
export function checkValue(
  value: ValueExpression,
  at: PathSegment[],
  scope: ReferenceScope,
  roots: readonly string[],
): void {
  if (isReference(value)) {
    checkReference(value.from, [...at, 'from'], scope, roots);
    return;
  }
  checkLiteral(value, at, scope.report);
}

/** Literals that would be read as something else: a mistyped reference, or a key Step Functions treats as a path. */
export function checkLiteral(value: unknown, at: PathSegment[], report: Report, nested = false): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkLiteral(item, [...at, index], report, true));
    return;
  }
  if (!isRecord(value)) return;
  const keys = Object.keys(value);
  // Only a key holding something shaped like a reference counts: {"from": "2025-12-01", "to": ...} is a literal.
  const meant = keys.find((key) => {
    const text = value[key];
    return (
      (key === 'from' || closest(key, ['from']) === 'from') &&
      typeof text === 'string' &&
      /^(event|profile|values|trigger)\./.test(text)
    );
  });
  if (meant !== undefined) {
    const whole = keys.length === 1 && meant === 'from';
    const readable = whole && isReference({ from: String(value.from) });
    const message = !whole
      ? 'This looks like a reference, but a reference is exactly {"from": "..."}; as written it is sent as a literal object.'
      : readable
        ? 'A reference works only as a whole value, not inside a literal object or list; as written it is sent as is.'
        : `${JSON.stringify(value.from)} is not a reference Waymark can read: ${REFERENCE_HELP}.`;
    const hint = !whole
      ? meant === 'from'
        ? 'remove the other properties'
        : 'did you mean "from"?'
      : readable && nested
        ? 'give it a value of its own and refer to that'
        : 'as written it would be sent as a literal object';
    report([...at, meant], message, { hint });
  }
  for (const key of keys) {
    if (key.endsWith('.$')) {
      report([...at, key], 'A name ending in ".$" is read by Step Functions as a path, not as a literal.', {
        hint: `rename "${key}"`,
      });
    }
    checkLiteral(value[key], [...at, key], report, true);
  }
}

export function checkReference(
  reference: string,
  at: PathSegment[],
  scope: ReferenceScope,
  roots: readonly string[],
): void {
  const { journey, sample, report } = scope;
  const { events } = scope.context;
  const root = reference.split('.')[0] ?? '';
  if (!roots.includes(root)) {
    const name = reference.split('.').pop() ?? 'name';
    const canCarry = roots.includes('values') && VALUE_SOURCES.some((source) => source === root);
    report(
      at,
      `"${reference}" cannot be used here: only ${roots.map((entry) => `${entry}.*`).join(', ')} can.`,
      {
        hint: canCarry
          ? `carry it in the journey's values: "values": { "${name}": { "from": "${reference}" } }, then use "values.${name}"`
          : undefined,
      },
    );
    return;
  }
  // Profile attributes are free-form: only the fixed profile fields can be checked.
  if (root === 'profile' && reference.startsWith('profile.attributes.')) return;
  // An event missing from the catalog is reported once, at the trigger, not again at each use.
  if (root === 'event' && eventDefinition(events, triggerMatcher(journey.trigger).event) === undefined)
    return;
  const resolution = resolveReference(reference, sample);
  if (
    !resolution.found &&
    root === 'event' &&
    isEventField(events, triggerMatcher(journey.trigger).event, reference)
  )
    return;
  if (!resolution.found) {
    const last = resolution.missing.split('.').pop() ?? '';
    const subject =
      root === 'event' ? `"${triggerMatcher(journey.trigger).event}" events have` : `${root} has`;
    report(at, `${subject} no field "${resolution.missing.slice(root.length + 1)}".`, {
      expected: resolution.available.length > 0 ? `one of ${resolution.available.join(', ')}` : undefined,
      hint: didYouMean(last, resolution.available),
    });
  }
}

export function checkCondition(condition: Condition, at: PathSegment[], scope: JourneyScope): void {
  if ('all' in condition) {
    for (const [index, inner] of condition.all.entries()) checkCondition(inner, [...at, 'all', index], scope);
  } else if ('any' in condition) {
    for (const [index, inner] of condition.any.entries()) checkCondition(inner, [...at, 'any', index], scope);
  } else if ('not' in condition) {
    checkCondition(condition.not, [...at, 'not'], scope);
  } else if ('engagement' in condition) {
    checkEngagementCondition(condition, at, scope);
  } else if ('history' in condition) {
    checkMatcher(
      { event: condition.history.event, filter: condition.history.filter },
      [...at, 'history'],
      scope.context.events,
      scope.report,
    );
  } else {
    checkReference(condition.field, [...at, 'field'], scope, ['event', 'profile', 'values', 'trigger']);
    checkOperandType(condition, at, scope);
    // Operands travel in the evaluate task's payload, where a key ending in ".$" would be read as a path.
    for (const operator of ['equals', 'notEquals', 'in', 'contains'] as const) {
      if (condition[operator] !== undefined)
        checkLiteral(condition[operator], [...at, operator], scope.report, true);
    }
  }
}

/** A comparison whose operand has another type than the field (per the catalog example) never holds. */
function checkOperandType(condition: FieldCondition, at: PathSegment[], scope: JourneyScope): void {
  if (!condition.field.startsWith('event.')) return;
  const sample = resolveReference(condition.field, scope.sample);
  if (!sample.found || sample.value === null) return;
  const fieldType = kindOf(sample.value);
  const described = fieldType === 'array' ? 'a list' : `a ${fieldType}`;
  const warn = (operator: string, message: string, hint: string): void => {
    scope.report([...at, operator], `"${condition.field}" is ${described} in the catalog, so ${message}`, {
      severity: 'warning',
      hint,
    });
  };
  const rewrite = fieldType === 'string' ? 'quote the value' : `write the value as a ${fieldType}`;
  for (const operator of ['equals', 'notEquals'] as const) {
    const operand = condition[operator];
    if (operand === undefined || operand === null || kindOf(operand) === fieldType) continue;
    const verdict = operator === 'equals' ? 'never holds' : 'always holds';
    warn(operator, `${operator} ${JSON.stringify(operand)} ${verdict}.`, rewrite);
  }
  condition.in?.forEach((option, index) => {
    if (option === null || kindOf(option) === fieldType) return;
    scope.report(
      [...at, 'in', index],
      `"${condition.field}" is ${described} in the catalog, so ${JSON.stringify(option)} never matches it.`,
      {
        severity: 'warning',
        hint: rewrite,
      },
    );
  });
  for (const operator of ['greaterThan', 'greaterThanOrEqual', 'lessThan', 'lessThanOrEqual'] as const) {
    if (condition[operator] !== undefined && fieldType !== 'number') {
      warn(operator, `${operator} never holds.`, 'compare it with equals, in or startsWith instead');
    }
  }
  if (condition.startsWith !== undefined && fieldType !== 'string') {
    warn(
      'startsWith',
      'startsWith never holds.',
      fieldType === 'number' ? 'compare it with greaterThan or lessThan' : 'compare it with equals or in',
    );
  }
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'array' : typeof value;
}

/** An event field the catalog defines, even if its example leaves it out. */
function isEventField(events: EventCatalog, detailType: string, reference: string): boolean {
  const segments = reference
    .split('.')
    .slice(1)
    .filter((segment) => !/^\d+$/.test(segment));
  const parent = eventFieldNames(events, detailType, segments.slice(0, -1));
  const last = segments[segments.length - 1] ?? '';
  return parent.kind === 'open' || (parent.kind === 'known' && parent.names.includes(last));
}
