/**
 * Pinpoint's StartCondition to a Waymark trigger: an event filter becomes an
 * event matcher with an EventBridge content filter; a segment start becomes an
 * audience trigger on a placeholder segment.
 */
import type {
  AttributeDimension,
  EventDimensions,
  MetricDimension,
  PinpointJourney,
} from './pinpoint-schema.ts';
import { isoDuration, isoInstant, utcWallClock } from './durations.ts';
import { type Findings, pathOf } from './report.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** EventBridge compares numbers within +-5e9 only: epoch seconds fit, milliseconds do not. */
const DAY_SECONDS = 86_400;

const NUMERIC_OPERATORS: Readonly<Record<MetricDimension['ComparisonOperator'], string>> = {
  GREATER_THAN: '>',
  LESS_THAN: '<',
  GREATER_THAN_OR_EQUAL: '>=',
  LESS_THAN_OR_EQUAL: '<=',
  EQUAL: '=',
};

/** A Waymark segment id for a Pinpoint segment id: the file the user must write. */
export function placeholderSegmentId(segmentId: string): string {
  const slug = segmentId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `pinpoint-${slug}`.slice(0, 48).replace(/-+$/, '');
}

function escapeWildcard(value: string): string {
  return value.replace(/[\\*]/g, (character) => `\\${character}`);
}

function dateBound(value: string | undefined, path: string, findings: Findings): number | undefined {
  const instant =
    value === undefined ? undefined : isoInstant(value.length === 10 ? `${value}T00:00` : value);
  if (instant === undefined) {
    findings.problem(
      path,
      `${JSON.stringify(value ?? null)} is not a date`,
      'an ISO-8601 date or timestamp, e.g. "2026-11-18T00:00:00Z"',
    );
  }
  return instant === undefined ? undefined : Math.floor(instant.epochMs / 1000);
}

/** One attribute's EventBridge filter; `differences` names what changed. */
function attributeFilter(
  name: string,
  dimension: AttributeDimension,
  path: string,
  findings: Findings,
  differences: string[],
): JsonValue | undefined {
  const values = dimension.Values;
  const type = dimension.AttributeType ?? 'INCLUSIVE';
  const dateNote = `attribute "${name}" ${type}: Pinpoint compares dates; EventBridge compares numbers, so the event must carry "${name}" as epoch seconds`;
  switch (type) {
    case 'INCLUSIVE':
      return values;
    case 'EXCLUSIVE':
      return [{ 'anything-but': values }];
    case 'CONTAINS':
      differences.push(`attribute "${name}" CONTAINS became a wildcard "*value*" match`);
      return values.map((value) => ({ wildcard: `*${escapeWildcard(value)}*` }));
    case 'BEFORE':
    case 'AFTER': {
      const bound = dateBound(values[0], `${path}.Values[0]`, findings);
      if (bound === undefined) return undefined;
      differences.push(dateNote);
      return [{ numeric: [type === 'BEFORE' ? '<' : '>', bound] }];
    }
    case 'BETWEEN': {
      const from = dateBound(values[0], `${path}.Values[0]`, findings);
      const to = dateBound(values[1], `${path}.Values[1]`, findings);
      if (from === undefined || to === undefined) return undefined;
      differences.push(dateNote);
      return [{ numeric: ['>=', from, '<=', to] }];
    }
    case 'ON': {
      const day = dateBound(values[0]?.slice(0, 10), `${path}.Values[0]`, findings);
      if (day === undefined) return undefined;
      differences.push(`${dateNote} (ON is the whole UTC day)`);
      return [{ numeric: ['>=', day, '<', day + DAY_SECONDS] }];
    }
  }
}

/** Attributes and Metrics of Pinpoint event dimensions as an EventBridge content filter on the detail. */
export function contentFilter(
  dimensions: EventDimensions,
  path: string,
  findings: Findings,
  differences: string[],
): JsonObject | undefined {
  const filter: JsonObject = {};
  for (const [name, dimension] of Object.entries(dimensions.Attributes ?? {}).sort(byKey)) {
    const value = attributeFilter(name, dimension, pathOf(['Attributes', name], path), findings, differences);
    if (value !== undefined) filter[name] = value;
  }
  for (const [name, metric] of Object.entries(dimensions.Metrics ?? {}).sort(byKey)) {
    filter[name] = [{ numeric: [NUMERIC_OPERATORS[metric.ComparisonOperator], metric.Value] }];
  }
  const names = Object.keys(filter);
  if (names.length > 0) {
    differences.push(
      `Pinpoint event attributes and metrics became detail fields (${names.join(', ')}): the event file in journeys/events/ must declare them`,
    );
  }
  return names.length === 0 ? undefined : filter;
}

export function byKey<T>(left: [string, T], right: [string, T]): number {
  return left[0] < right[0] ? -1 : left[0] > right[0] ? 1 : 0;
}

/** The event types an EventType dimension names, or a problem when it cannot become one Waymark event. */
export function eventTypes(
  dimensions: EventDimensions,
  path: string,
  findings: Findings,
): string[] | undefined {
  const eventType = dimensions.EventType;
  if (eventType === undefined || eventType.Values.length === 0) {
    findings.problem(
      `${path}.EventType`,
      'No event type: Waymark starts and looks for events by type',
      'EventType: { DimensionType: "INCLUSIVE", Values: ["<event type>"] }',
    );
    return undefined;
  }
  if (eventType.DimensionType === 'EXCLUSIVE') {
    findings.problem(
      `${path}.EventType.DimensionType`,
      'EXCLUSIVE event types ("every event but these") have no Waymark counterpart: a trigger or history condition names the events it wants',
      '"INCLUSIVE" with the event types to match',
    );
    return undefined;
  }
  return eventType.Values;
}

/** The trigger, and a report line for StartCondition and the blocks that only shape it. */
export function translateTrigger(journey: PinpointJourney, findings: Findings): JsonObject | undefined {
  const start = journey.StartCondition;
  const differences: string[] = [];
  const event = start?.EventStartCondition;
  const segment = start?.SegmentStartCondition;
  if (event?.EventFilter !== undefined) {
    const path = '$.StartCondition.EventStartCondition.EventFilter.Dimensions';
    const types = eventTypes(event.EventFilter.Dimensions, path, findings);
    if (types === undefined) return undefined;
    const [first, ...rest] = types;
    if (first === undefined) return undefined;
    if (rest.length > 0) {
      differences.push(
        `Pinpoint starts on any of ${types.join(', ')}; a Waymark trigger names one event: "${first}" kept; copy the journey for ${rest.join(', ')}`,
      );
    }
    if (event.EventFilter.FilterType === 'SYSTEM') {
      differences.push(
        "FilterType SYSTEM (Pinpoint's own events): Waymark triggers on events your systems put on the bus",
      );
    }
    if (event.SegmentId !== undefined) {
      differences.push(
        `EventStartCondition.SegmentId "${event.SegmentId}" (only that segment's members) not imported: start the journey with a branch on the segment's condition`,
      );
    }
    const filter = contentFilter(event.EventFilter.Dimensions, path, findings, differences);
    const trigger: JsonObject = filter === undefined ? { event: first } : { event: first, filter };
    findings.line({
      source: 'StartCondition',
      sourceKind: 'block StartCondition (event)',
      became: `trigger on event "${first}"`,
      differences,
    });
    return trigger;
  }
  const segmentId = segment?.SegmentId ?? event?.SegmentId;
  if (segmentId === undefined) {
    findings.problem(
      start === undefined ? '$' : '$.StartCondition',
      'No start condition: a Waymark journey needs a trigger',
      'StartCondition with EventStartCondition.EventFilter or SegmentStartCondition.SegmentId',
    );
    return undefined;
  }
  const id = placeholderSegmentId(segmentId);
  differences.push(
    `segment "${segmentId}" became the placeholder segment "${id}": write journeys/segments/${id}.json with the segment's conditions (the validator flags it until then)`,
  );
  const trigger = audienceTiming(journey, differences);
  findings.line({
    source: 'StartCondition',
    sourceKind: 'block StartCondition (segment)',
    became: `audience trigger on segment "${id}"`,
    differences,
  });
  return { segment: id, ...trigger };
}

function audienceTiming(journey: PinpointJourney, differences: string[]): JsonObject {
  if (journey.RefreshFrequency !== undefined || journey.RefreshOnSegmentUpdate === true) {
    const refresh =
      journey.RefreshFrequency === undefined ? undefined : isoDuration(journey.RefreshFrequency);
    differences.push(
      `${refresh?.ok === true ? `RefreshFrequency ${journey.RefreshFrequency} (every ${refresh.duration})` : 'RefreshOnSegmentUpdate'}: Pinpoint re-reads the segment and lets new members in; Waymark lets customers in when they become members ("on": "enter"), with no polling`,
    );
    return { on: 'enter' };
  }
  const startTime = journey.Schedule?.StartTime;
  const instant = startTime === undefined ? undefined : isoInstant(startTime);
  if (instant === undefined) {
    differences.push(
      'no Schedule.StartTime: Pinpoint starts the journey when it is published; Waymark lets customers in when they become members ("on": "enter")',
    );
    return { on: 'enter' };
  }
  if (journey.LocalTime === true) {
    differences.push(`LocalTime: the broadcast runs at ${instant.wallClock} in each customer's time zone`);
    return { at: instant.wallClock, timeZone: 'customer' };
  }
  differences.push(
    `a one-off broadcast at ${utcWallClock(instant.epochMs)} UTC (Schedule.StartTime ${startTime})`,
  );
  return { at: utcWallClock(instant.epochMs), timeZone: 'UTC' };
}
