/**
 * Business keys (`entry.dedupeBy`, `exitOn[].dedupeBy`): each key field must be a field of the event
 * it keys. A misspelt one is missing from every event, so copies of one fact would never be told
 * apart from new facts: the very retries the key is there for would start the journey again.
 */
import { type EventCatalog, eventDefinition } from '../../events/catalog.ts';
import { eventFieldNames } from '../../events/fields.ts';
import { didYouMean } from '../../text/suggest.ts';
import type { PathSegment } from '../problem.ts';
import type { Journey } from '../schema.ts';
import { isRequiredEventField } from './events.ts';
import type { Report } from './scope.ts';
import { triggerMatcher } from '../trigger.ts';

export function checkBusinessKeys(journey: Journey, events: EventCatalog, report: Report): void {
  const entryKey = journey.entry.dedupeBy;
  if (entryKey !== undefined)
    checkKeyFields(events, triggerMatcher(journey.trigger).event, entryKey, ['entry', 'dedupeBy'], report);
  journey.exitOn.forEach((exit, index) => {
    if (exit.dedupeBy === undefined) return;
    const at: PathSegment[] = ['exitOn', index, 'dedupeBy'];
    if (!exit.goal) {
      report(at, 'A key counts a goal once per fact, and this exit is not a goal: it changes nothing.', {
        severity: 'warning',
        hint: 'remove "dedupeBy", or count the exit as a goal with "goal": true',
      });
    }
    checkKeyFields(events, exit.event, exit.dedupeBy, at, report);
  });
}

function checkKeyFields(
  events: EventCatalog,
  detailType: string,
  fields: readonly string[],
  at: readonly PathSegment[],
  report: Report,
): void {
  // An event missing from the catalog is reported once, at its matcher.
  if (eventDefinition(events, detailType) === undefined) return;
  fields.forEach((field, index) => {
    const missing = missingSegment(events, detailType, field);
    if (missing !== undefined) {
      report(
        [...at, index],
        `"${detailType}" events have no field "${field}", so it cannot tell a copy of an event from a new one.`,
        {
          expected:
            missing.known.length > 0 ? `one of ${missing.known.join(', ')}` : 'no fields under this one',
          hint:
            didYouMean(missing.segment, missing.known) ??
            'a key field is a field of the event detail, dotted for a nested one: "callId", "post.id"',
        },
      );
      return;
    }
    if (!isRequiredEventField(events, detailType, `event.${field}`)) {
      report(
        [...at, index],
        `"${field}" is optional in "${detailType}" events: one without it is told apart from copies by its event id only.`,
        { severity: 'warning', hint: 'key on fields every such event carries' },
      );
    }
  });
}

/** The first segment of a dotted field the event does not have, with the names it has there. */
function missingSegment(
  events: EventCatalog,
  detailType: string,
  field: string,
): { segment: string; known: string[] } | undefined {
  const walked: string[] = [];
  for (const segment of field.split('.')) {
    // A list index: the catalog's fields are looked up through lists, as EventBridge filters do.
    if (/^\d+$/.test(segment)) continue;
    const names = eventFieldNames(events, detailType, walked);
    // Free-form fields (attributes) take any name.
    if (names.kind === 'open') return undefined;
    const known = names.kind === 'known' ? names.names : [];
    if (!known.includes(segment)) return { segment, known };
    walked.push(segment);
  }
  return undefined;
}
