/** Event matchers (trigger, exits, waits, history): the event must exist and the filter must be able to match. */
import {
  customerIdField,
  type EventCatalog,
  eventDefinition,
  eventTypes,
  parseEventDetail,
} from '../../events/catalog.ts';
import { eventFieldNames } from '../../events/fields.ts';
import { validatePattern } from '../../events/pattern.ts';
import { sampleEventDetail } from '../../render/sample.ts';
import { didYouMean } from '../../text/suggest.ts';
import type { PathSegment } from '../problem.ts';
import type { EventMatcher } from '../schema.ts';
import { isRecord, ownValue } from '../../json.ts';
import type { Report } from './scope.ts';

export function checkMatcher(
  matcher: EventMatcher,
  at: PathSegment[],
  events: EventCatalog,
  report: Report,
): void {
  if (eventDefinition(events, matcher.event) === undefined) {
    const known = eventTypes(events);
    report([...at, 'event'], `"${matcher.event}" is not an event in the catalog.`, {
      expected: `one of ${known.join(', ')}`,
      hint:
        didYouMean(matcher.event, known) ??
        `describe it in events/${matcher.event}.json beside the journeys (docs/events.md), or run "waymark events infer" on a sample event`,
    });
    return;
  }
  if (matcher.filter === undefined) return;
  const problems = validatePattern(matcher.filter);
  for (const issue of problems) {
    const [message, hint] = splitHint(issue.message);
    report([...at, 'filter', ...issue.path], message, { hint });
  }
  if (problems.length > 0) return;
  checkFilterFields(events, matcher.event, matcher.filter, [], [...at, 'filter'], report);
  checkCustomerFilter(events, matcher, at, report);
}

/** A filter that lets events without the customer id through would start or end nothing. */
function checkCustomerFilter(
  events: EventCatalog,
  matcher: EventMatcher,
  at: PathSegment[],
  report: Report,
): void {
  const path = customerIdField(events, matcher.event).split('.');
  let node: unknown = matcher.filter;
  for (const segment of path) node = isRecord(node) ? ownValue(node, segment) : undefined;
  const customer = node;
  if (Array.isArray(customer) && customer.some((rule) => isRecord(rule) && rule.exists === false)) {
    report(
      [...at, 'filter', ...path],
      `Journeys follow one customer: an event without its customer id (${path.join('.')}) cannot start or end one.`,
    );
  }
}

/** Every field a filter names, at any depth and inside $or, must exist in the event; else it never matches. */
function checkFilterFields(
  events: EventCatalog,
  detailType: string,
  filter: Record<string, unknown>,
  fieldPath: readonly string[],
  at: PathSegment[],
  report: Report,
): void {
  const fields = eventFieldNames(events, detailType, fieldPath);
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$or') {
      if (Array.isArray(value)) {
        value.forEach((alternative, index) => {
          if (isRecord(alternative))
            checkFilterFields(events, detailType, alternative, fieldPath, [...at, '$or', index], report);
        });
      }
      continue;
    }
    if (fields.kind === 'open') continue;
    const known = fields.kind === 'known' ? fields.names : [];
    if (!known.includes(key)) {
      report(
        [...at, key],
        `"${detailType}" events have no field "${[...fieldPath, key].join('.')}": this filter would never match.`,
        {
          expected: known.length > 0 ? `one of ${known.join(', ')}` : 'no fields under this one',
          hint: didYouMean(key, known),
        },
      );
      continue;
    }
    if (isRecord(value))
      checkFilterFields(events, detailType, value, [...fieldPath, key], [...at, key], report);
  }
}

/** Moves a trailing "did you mean ...?" out of a message and into the hint. */
function splitHint(message: string): [string, string | undefined] {
  const match = /^(.*?);? (did you mean "[^"]+"\?)$/s.exec(message);
  return match?.[1] === undefined || match[2] === undefined
    ? [message, undefined]
    : [`${match[1]}.`, match[2]];
}

/** Whether the catalog requires a field: the example without it no longer parses. */
export function isRequiredEventField(events: EventCatalog, detailType: string, reference: string): boolean {
  const example = sampleEventDetail(events, detailType);
  if (example === undefined) return true;
  const copy = structuredClone(example);
  const segments = reference.split('.').slice(1);
  const last = segments.pop();
  let parent: unknown = copy;
  for (const segment of segments) parent = isRecord(parent) ? ownValue(parent, segment) : undefined;
  if (last === undefined || !isRecord(parent)) return true;
  Reflect.deleteProperty(parent, last);
  return !parseEventDetail(events, detailType, copy).ok;
}
