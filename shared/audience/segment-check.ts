/**
 * The checks on a segment file beyond its schema: every field it reads is a
 * profile field, every history event is in the catalog, and a condition that
 * every kind of customer meets is flagged, since a broadcast to it sends to
 * everyone.
 */
import { type EventCatalog, eventTypes } from '../events/catalog.ts';
import { consentOnEveryChannel, exampleProfile, type CustomerProfile } from '../customer/profile.ts';
import type { HistoryEvent } from '../journey/conditions.ts';
import { checkMatcher } from '../journey/checks/events.ts';
import type { Report } from '../journey/checks/scope.ts';
import { resolveReference } from '../journey/references.ts';
import { didYouMean } from '../text/suggest.ts';
import { exampleDetail } from '../events/catalog.ts';
import { conditionsWithPaths, isMember, type Segment } from './segment.ts';

export function checkSegment(segment: Segment, file: string, events: EventCatalog, report: Report): void {
  const expectedName = `${segment.id}.json`;
  if (!file.endsWith(`/${expectedName}`) && file !== expectedName) {
    report(['id'], `The segment id "${segment.id}" does not match its file name.`, {
      hint: `rename the file to ${expectedName}: journeys name segments by file`,
    });
  }
  if (segment.when === undefined) {
    if (segment.everyone !== true) {
      report([], 'A segment needs "when": the conditions its members meet.', {
        hint: 'add "when", or "everyone": true for a segment that is every customer',
      });
    }
    return;
  }
  for (const { condition, path } of conditionsWithPaths(segment.when, ['when'])) {
    if ('history' in condition) {
      checkMatcher(
        { event: condition.history.event, filter: condition.history.filter },
        [...path, 'history'],
        events,
        report,
      );
    } else if ('engagement' in condition) {
      report(
        [...path, 'engagement'],
        'A segment cannot use an engagement condition: it is about a message of one journey.',
        { hint: 'use it in a branch of the journey that sent the message' },
      );
    } else if ('field' in condition) {
      checkProfileField(condition.field, [...path, 'field'], report);
    }
  }
  if (segment.everyone !== true && matchesEveryProbe(segment, events)) {
    report(
      ['when'],
      'This condition holds for every customer: a broadcast to this segment sends to everyone.',
      {
        severity: 'warning',
        hint: 'if that is meant, add "everyone": true; otherwise narrow "when"',
      },
    );
  }
}

function checkProfileField(field: string, at: (string | number)[], report: Report): void {
  const [root] = field.split('.');
  if (root !== 'profile') {
    report(
      at,
      `"${field}" cannot be used in a segment: a segment reads "profile.*" fields and the history.`,
      {
        hint: 'there is no event or journey value when a segment is evaluated',
      },
    );
    return;
  }
  // Attributes are free-form: only the fixed profile fields can be checked.
  if (field.startsWith('profile.attributes.')) return;
  const resolution = resolveReference(field, { event: {}, trigger: {}, values: {}, profile: exampleProfile });
  if (resolution.found) return;
  const last = resolution.missing.split('.').pop() ?? '';
  report(at, `profile has no field "${resolution.missing.slice('profile.'.length)}".`, {
    expected: `one of ${resolution.available.join(', ')}`,
    hint: didYouMean(last, resolution.available) ?? 'free-form fields live under "profile.attributes."',
  });
}

/**
 * Customers as different as can be: none at all on record, one with everything and every event
 * just now, one opted out of everything. A condition all three meet is one nobody fails in practice.
 */
function matchesEveryProbe(segment: Segment, events: EventCatalog): boolean {
  const now = new Date('2026-01-15T12:00:00.000Z');
  const recent = new Date(now.getTime() - 60_000).toISOString();
  const everyEvent: HistoryEvent[] = eventTypes(events).flatMap((detailType) =>
    Array.from({ length: 3 }, () => ({
      detailType,
      time: recent,
      detail: exampleDetail(events, detailType) ?? {},
    })),
  );
  const bare: CustomerProfile = {
    customerId: 'probe-empty',
    consent: consentOnEveryChannel('unknown'),
    attributes: {},
    tags: [],
  };
  const refused: CustomerProfile = {
    ...bare,
    customerId: 'probe-refused',
    timeZone: 'Pacific/Kiritimati',
    consent: consentOnEveryChannel('opted-out'),
  };
  return [
    { profile: bare, history: [] },
    { profile: exampleProfile, history: everyEvent },
    { profile: refused, history: [] },
  ].every((candidate) => isMember(segment, candidate, now));
}
