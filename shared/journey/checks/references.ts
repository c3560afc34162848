/** Values, references and conditions: everything a journey reads must exist where it reads it. */
import { isCatalogEventType } from '../../events/catalog.ts';
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
import { isRecord, type JourneyScope, type Report } from './scope.ts';

/** Roots a journey value may be read from at entry. */
export const VALUE_SOURCES = ['event', 'profile', 'trigger'] as const;

export function sampleOptions(journey: Journey, stepId: string, values: Record<string, unknown>) {
  return {
    detailType: journey.trigger.event,
    journeyId: journey.id,
    journeyName: journey.name,
    stepId,
    values,
    unsubscribeBaseUrl: 'https://example.com/unsubscribe',
  };
}

/** The journey's values as they would be for the sample event, to check later references against. */
export function checkValues(journey: Journey, report: Report): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(journey.values)) {
    checkValue(value, ['values', key], { journey, values: {}, report }, VALUE_SOURCES);
    const sample = isReference(value)
      ? resolveReference(value.from, sampleContext(sampleOptions(journey, '', {})))
      : undefined;
    // A broken reference is reported here; a stand-in keeps templates using the value from failing again.
    resolved[key] = isReference(value) ? (sample?.found === true ? sample.value : `<${value.from}>`) : value;
  }
  return resolved;
}

type ReferenceScope = Pick<JourneyScope, 'journey' | 'values' | 'report'>;

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
function checkLiteral(value: unknown, at: PathSegment[], report: Report): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkLiteral(item, [...at, index], report));
    return;
  }
  if (!isRecord(value)) return;
  const keys = Object.keys(value);
  const meant = keys.find(
    (key) =>
      key === 'from' ||
      (keys.length === 1 &&
        closest(key, ['from']) === 'from' &&
        typeof value[key] === 'string' &&
        /^(event|profile|values|trigger)\./.test(value[key])),
  );
  if (meant === 'from' && keys.length === 1) {
    report(
      [...at, meant],
      `${JSON.stringify(value.from)} is not a reference Waymark can read: ${REFERENCE_HELP}.`,
      {
        hint: 'as written it would be sent as a literal object',
      },
    );
  } else if (meant !== undefined) {
    report(
      [...at, meant],
      `This looks like a reference, but a reference is exactly {"from": "..."}; as written it is sent as a literal object.`,
      { hint: meant === 'from' ? 'remove the other properties' : `did you mean "from"?` },
    );
  }
  for (const key of keys) {
    if (key.endsWith('.$')) {
      report([...at, key], `A name ending in ".$" is read by Step Functions as a path, not as a literal.`, {
        hint: `rename "${key}"`,
      });
    }
    checkLiteral(value[key], [...at, key], report);
  }
}

export function checkReference(
  reference: string,
  at: PathSegment[],
  scope: ReferenceScope,
  roots: readonly string[],
): void {
  const { journey, values, report } = scope;
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
  if (root === 'event' && !isCatalogEventType(journey.trigger.event)) return;
  const resolution = resolveReference(reference, sampleContext(sampleOptions(journey, '', values)));
  if (!resolution.found && root === 'event' && isEventField(journey.trigger.event, reference)) return;
  if (!resolution.found) {
    const last = resolution.missing.split('.').pop() ?? '';
    const subject = root === 'event' ? `"${journey.trigger.event}" events have` : `${root} has`;
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
  } else if ('history' in condition) {
    checkMatcher(
      { event: condition.history.event, filter: condition.history.filter },
      [...at, 'history'],
      scope.report,
    );
  } else {
    checkReference(condition.field, [...at, 'field'], scope, ['event', 'profile', 'values', 'trigger']);
    checkOperandType(condition, at, scope);
  }
}

/** A comparison whose operand has another type than the field (per the catalog example) never holds. */
function checkOperandType(condition: FieldCondition, at: PathSegment[], scope: JourneyScope): void {
  if (!condition.field.startsWith('event.')) return;
  const sample = resolveReference(
    condition.field,
    sampleContext(sampleOptions(scope.journey, '', scope.values)),
  );
  if (!sample.found || sample.value === null) return;
  const fieldType = kindOf(sample.value);
  const warn = (operator: string, wanted: string): void => {
    scope.report(
      [...at, operator],
      `"${condition.field}" is ${fieldType === 'array' ? 'a list' : `a ${fieldType}`} in the catalog, so ${operator} ${wanted} never holds.`,
      {
        severity: 'warning',
        hint: fieldType === 'string' ? 'quote the value' : `write the value as a ${fieldType}`,
      },
    );
  };
  for (const operator of ['equals', 'notEquals'] as const) {
    const operand = condition[operator];
    if (operand !== undefined && operand !== null && kindOf(operand) !== fieldType)
      warn(operator, JSON.stringify(operand));
  }
  if (condition.in?.some((option) => option !== null && kindOf(option) !== fieldType) === true) {
    warn('in', 'a value of another type');
  }
  const numeric = [
    condition.greaterThan,
    condition.greaterThanOrEqual,
    condition.lessThan,
    condition.lessThanOrEqual,
  ];
  if (numeric.some((bound) => bound !== undefined) && fieldType !== 'number')
    warn('a numeric comparison', 'on it');
  if (condition.startsWith !== undefined && fieldType !== 'string') warn('startsWith', 'on it');
}

function kindOf(value: unknown): string {
  return Array.isArray(value) ? 'array' : typeof value;
}

/** An event field the catalog defines, even if its example leaves it out. */
function isEventField(detailType: string, reference: string): boolean {
  const segments = reference.split('.').slice(1).filter((segment) => !/^\d+$/.test(segment));
  const parent = eventFieldNames(detailType, segments.slice(0, -1));
  const last = segments[segments.length - 1] ?? '';
  return parent.kind === 'open' || (parent.kind === 'known' && parent.names.includes(last));
}
