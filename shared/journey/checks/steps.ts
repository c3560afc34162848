/** Checks particular to one kind of step, and to the journey's exits. */
import {
  customerIdPath,
  type EventCatalog,
  eventDefinition,
  parseEventDetail,
  withCustomerId,
} from '../../events/catalog.ts';
import type { PathSegment } from '../problem.ts';
import { resolveReference } from '../references.ts';
import { isReference, type Journey, type StepOfType } from '../schema.ts';
import { checkMatcher, isRequiredEventField } from './events.ts';
import { checkValue } from './references.ts';
import type { JourneyScope, Report } from './scope.ts';
import { triggerMatcher } from '../trigger.ts';

/** Added to every emitted detail by the compiler: the customer id (where the event keeps it) and the journey. */
function emitReservedKeys(events: EventCatalog, detailType: string): string[] {
  return [customerIdPath(events, detailType)[0] ?? 'customerId', 'journeyId'];
}

export function checkExits(journey: Journey, events: EventCatalog, report: Report): void {
  journey.exitOn.forEach((exit, index) => {
    checkMatcher(exit, ['exitOn', index], events, report);
    if (exit.event !== triggerMatcher(journey.trigger).event) return;
    const at = ['exitOn', index, 'event'];
    if (exit.filter === undefined) {
      report(
        at,
        `The journey exits on every "${exit.event}", its own trigger: every customer would leave at once.`,
        {
          hint: 'add a filter that the trigger event can never match, or exit on another event',
        },
      );
    } else if (!exclusive(triggerMatcher(journey.trigger).filter, exit.filter)) {
      report(
        at,
        `The journey exits on its own trigger "${exit.event}": a customer whose trigger event also matches this exit's filter leaves at once.`,
        {
          severity: 'warning',
          hint: 'filter both on the same field with different values, so no event matches both',
        },
      );
    }
  });
}

/** Two filters no event can match both: the same field with exact values that never meet. */
function exclusive(first: Record<string, unknown> | undefined, second: Record<string, unknown>): boolean {
  if (first === undefined) return false;
  return Object.entries(second).some(([key, values]) => {
    const others = Object.hasOwn(first, key) ? first[key] : undefined;
    if (!Array.isArray(values) || !Array.isArray(others)) return false;
    const exact = (list: unknown[]): boolean =>
      list.every((item) => item === null || ['string', 'number', 'boolean'].includes(typeof item));
    return exact(values) && exact(others) && !values.some((value) => others.includes(value));
  });
}

export function checkEmit(id: string, step: StepOfType<'emit'>, scope: JourneyScope): void {
  const { journey, report } = scope;
  const at: PathSegment[] = ['steps', id];
  if (step.source.startsWith('aws.')) {
    report([...at, 'source'], `EventBridge refuses events whose source starts with "aws.".`, {
      hint: 'use "waymark.journeys"',
    });
  }
  const triggerSources =
    triggerMatcher(journey.trigger).source === undefined
      ? undefined
      : [triggerMatcher(journey.trigger).source].flat();
  if (
    step.event === triggerMatcher(journey.trigger).event &&
    (triggerSources === undefined || triggerSources.includes(step.source))
  ) {
    report(
      [...at, 'event'],
      `This step emits "${step.event}", the journey's own trigger: every customer would start the journey again, without end.`,
    );
  }
  if (journey.exitOn.some((exit) => exit.event === step.event)) {
    report(
      [...at, 'event'],
      `The journey exits on "${step.event}", so emitting it ends the journey for this customer right here${journey.exitOn.some((exit) => exit.event === step.event && exit.goal) ? ', counted as a conversion' : ''}.`,
      {
        severity: 'warning',
        hint: 'emit another event, or go to an end step if ending is the point',
      },
    );
  }
  const expected = eventDefinition(scope.context.events, step.event)?.source;
  if (expected !== undefined && expected !== step.source) {
    report(
      [...at, 'source'],
      `events/${step.event}.json expects "${step.event}" from "${expected}", so journeys waiting for it ignore one from "${step.source}".`,
      {
        severity: 'warning',
        hint: `emit it with "source": "${expected}"`,
      },
    );
  }
  const reserved = emitReservedKeys(scope.context.events, step.event);
  for (const [key, value] of Object.entries(step.detail)) {
    if (reserved.includes(key)) {
      report(
        [...at, 'detail', key],
        `"${key}" is added to every emitted event by Waymark; it cannot be set here.`,
      );
      continue;
    }
    // Step Functions puts the event on the bus itself: it sees the execution state, not the profile.
    const fieldAt: PathSegment[] = [...at, 'detail', key];
    if (isReference(value) && checkEmitReference(value.from, [...fieldAt, 'from'], key, scope)) continue;
    checkValue(value, fieldAt, scope, ['event', 'values', 'trigger']);
  }
  checkEmittedShape(id, step, scope);
}

/**
 * A path Step Functions reads must exist in every execution: a missing one stops the execution,
 * uncaught. Returns true when it reported a problem, so the same reference is not reported twice.
 */
function checkEmitReference(reference: string, at: PathSegment[], key: string, scope: JourneyScope): boolean {
  const { journey, report } = scope;
  const segments = reference.split('.');
  if (segments.some((segment) => /^\d+$/.test(segment))) {
    report(at, `"${reference}" reads into a list; the list may be shorter in a real event.`, {
      hint: "carry the value in the journey's values instead",
    });
    return true;
  }
  if (segments[0] === 'values' && segments.length > 2) {
    const carried = journey.values[segments[1] ?? ''];
    // Inside a literal the field is written in the journey, so it always exists; an unknown value is
    // reported by the general reference check.
    if (carried === undefined || !isReference(carried)) return false;
    const source = `${carried.from}.${segments.slice(2).join('.')}`;
    report(
      at,
      `"${reference}" reads inside a value taken from an event or profile; only a whole value is sure to exist.`,
      {
        hint: `add a value for it: "values": { "${key}": { "from": "${source}" } }, then use "values.${key}"`,
      },
    );
    return true;
  }
  const trigger = triggerMatcher(journey.trigger).event;
  const exists = resolveReference(reference, scope.sample).found;
  if (
    segments[0] === 'event' &&
    exists &&
    eventDefinition(scope.context.events, trigger) !== undefined &&
    !isRequiredEventField(scope.context.events, trigger, reference)
  ) {
    report(
      at,
      `"${reference}" is optional in "${trigger}" events: when it is missing, Step Functions stops the whole execution.`,
      {
        hint: `carry it in the journey's values (a missing field becomes null there) and use "values.${key}"`,
      },
    );
    return true;
  }
  return false;
}

/** Other journeys rely on the catalog: an emitted catalog event must have what the catalog requires. */
function checkEmittedShape(id: string, step: StepOfType<'emit'>, scope: JourneyScope): void {
  const { events } = scope.context;
  if (eventDefinition(events, step.event) === undefined) return;
  if (eventDefinition(events, triggerMatcher(scope.journey.trigger).event) === undefined) return;
  const sample = scope.sample;
  const written: Record<string, unknown> = { journeyId: scope.journey.id };
  for (const [key, value] of Object.entries(step.detail)) {
    if (!isReference(value)) {
      written[key] = value;
      continue;
    }
    const resolution = resolveReference(value.from, sample);
    if (resolution.found) written[key] = resolution.value;
  }
  const detail = withCustomerId(events, step.event, written, 'sample-customer');
  const parsed = parseEventDetail(events, step.event, detail);
  if (parsed.ok) return;
  for (const problem of parsed.problems) {
    const field = problem.path.join('.');
    scope.report(
      ['steps', id, 'detail', ...problem.path.slice(0, 1)],
      `The emitted "${step.event}" does not match the catalog${field === '' ? '' : ` at "${field}"`}: ${problem.message}`,
    );
  }
}

export function checkSplit(id: string, step: StepOfType<'split'>, report: Report): void {
  const at: PathSegment[] = ['steps', id];
  const total = step.paths.reduce((sum, path) => sum + path.weight, 0);
  if (total !== 100)
    report([...at, 'paths'], `The path weights add up to ${total}; they must add up to 100 (percent).`);
  const names = step.paths.map((path) => path.name);
  names.forEach((name, index) => {
    if (names.indexOf(name) !== index)
      report([...at, 'paths', index, 'name'], `Path name "${name}" is used twice.`);
  });
}

export function checkWait(id: string, step: StepOfType<'wait'>, report: Report): void {
  const until = step.until;
  if (until?.kind !== 'localWindow') return;
  const at: PathSegment[] = ['steps', id, 'until'];
  if (until.start === until.end) {
    report([...at, 'end'], `The window starts and ends at ${until.start}, so it is never open.`);
  }
  const days = until.days ?? [];
  days.forEach((day, index) => {
    if (days.indexOf(day) !== index) report([...at, 'days', index], `"${day}" is listed twice.`);
  });
}
