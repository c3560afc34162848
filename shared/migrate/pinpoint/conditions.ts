/**
 * Pinpoint's simple conditions to Waymark branch conditions: a message
 * activity's event to an engagement condition, an event condition to a
 * history condition, a segment to a profile condition on a placeholder tag.
 */
import type { AttributeDimension, SimpleCondition } from './pinpoint-schema.ts';
import {
  byKey,
  contentFilter,
  eventTypes,
  type JsonObject,
  type JsonValue,
  placeholderSegmentId,
} from './start-condition.ts';
import { type Findings, pathOf } from './report.ts';

/** Pinpoint message events and the Waymark engagement action each becomes. */
const ENGAGEMENT_EVENTS: Readonly<Record<string, string>> = {
  '_email.delivered': 'delivered',
  '_email.open': 'opened',
  '_email.click': 'clicked',
  '_email.hardbounce': 'bounced',
  '_email.softbounce': 'bounced',
  '_email.complaint': 'complained',
  '_sms.success': 'delivered',
  '_sms.delivered': 'delivered',
  '_sms.buffered': 'delivered',
  '_push.delivered': 'delivered',
  '_custom.delivered': 'delivered',
};

export interface ConditionContext {
  /** The Waymark step id of each activity, to name a send step in an engagement condition. */
  stepIdOf: (activityId: string) => string;
  /** How far back a history condition looks: the evaluation wait, or a default. */
  within: string;
  findings: Findings;
  differences: string[];
}

function combine(kind: 'all' | 'any', conditions: JsonObject[]): JsonObject | undefined {
  if (conditions.length <= 1) return conditions[0];
  return { [kind]: conditions };
}

export function translateCondition(
  condition: SimpleCondition,
  path: string,
  context: ConditionContext,
): JsonObject | undefined {
  const parts: JsonObject[] = [];
  const { findings, differences } = context;
  const event = condition.EventCondition;
  if (event !== undefined) {
    const dimensionsPath = `${path}.EventCondition.Dimensions`;
    const dimensions = event.Dimensions;
    if (dimensions === undefined) {
      findings.problem(
        dimensionsPath,
        'An event condition without Dimensions matches nothing',
        'Dimensions with an EventType',
      );
      return undefined;
    }
    const types = eventTypes(dimensions, dimensionsPath, findings);
    if (types === undefined) return undefined;
    if (event.MessageActivity !== undefined) {
      const step = context.stepIdOf(event.MessageActivity);
      const cases: JsonObject[] = [];
      for (const type of types) {
        const action = ENGAGEMENT_EVENTS[type.toLowerCase()];
        if (action === undefined) {
          findings.problem(
            `${dimensionsPath}.EventType.Values`,
            `Pinpoint's message event "${type}" has no Waymark engagement action`,
            `one of ${Object.keys(ENGAGEMENT_EVENTS).join(', ')}`,
          );
          return undefined;
        }
        cases.push({ engagement: { step, action, within: '365d' } });
      }
      differences.push(
        `message activity "${event.MessageActivity}" ${types.join('/')} became engagement on step "${step}" (this execution's message, however long ago)`,
      );
      const engaged = combine('any', cases);
      if (engaged !== undefined) parts.push(engaged);
    } else {
      const filter = contentFilter(dimensions, dimensionsPath, findings, differences);
      const histories = types.map((type): JsonObject => ({
        history:
          filter === undefined
            ? { event: type, within: context.within }
            : { event: type, within: context.within, filter },
      }));
      differences.push(
        `event condition on ${types.join('/')} became a history condition within ${context.within} (Pinpoint: during the evaluation wait)`,
      );
      const happened = combine('any', histories);
      if (happened !== undefined) parts.push(happened);
    }
  }
  if (condition.SegmentCondition !== undefined) {
    const segment = placeholderSegmentId(condition.SegmentCondition.SegmentId);
    parts.push({ field: 'profile.tags', contains: segment });
    differences.push(
      `segment "${condition.SegmentCondition.SegmentId}" became a profile condition on the placeholder tag "${segment}": rewrite it as the segment's own conditions (profile fields, history)`,
    );
  }
  if (condition.segmentDimensions !== undefined) {
    const dimensions = condition.segmentDimensions;
    const dimensionPath = `${path}.segmentDimensions`;
    for (const [name, dimension] of [
      ...Object.entries(dimensions.UserAttributes ?? {}).sort(byKey),
      ...Object.entries(dimensions.Attributes ?? {}).sort(byKey),
    ]) {
      const field = profileCondition(name, dimension, pathOf([name], dimensionPath), findings);
      if (field !== undefined) parts.push(field);
    }
    if (dimensions.Attributes !== undefined) {
      differences.push(
        'endpoint Attributes became profile attributes (Waymark has one profile per customer, no endpoints)',
      );
    }
    const unsupported = (['Behavior', 'Demographic', 'Location', 'Metrics'] as const).filter(
      (key) => dimensions[key] !== undefined,
    );
    for (const key of unsupported) {
      findings.problem(
        `${dimensionPath}.${key}`,
        `segment dimension ${key} has no Waymark counterpart in a branch`,
        'UserAttributes or Attributes; rewrite this condition by hand as a profile or history condition',
      );
    }
    if (unsupported.length > 0) return undefined;
  }
  if (parts.length === 0) {
    findings.problem(
      path,
      'An empty condition',
      'one of EventCondition, SegmentCondition or segmentDimensions',
    );
    return undefined;
  }
  return combine('all', parts);
}

function profileCondition(
  name: string,
  dimension: AttributeDimension,
  path: string,
  findings: Findings,
): JsonObject | undefined {
  const field = `profile.attributes.${name}`;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name)) {
    findings.problem(
      path,
      `"${name}" cannot be a Waymark profile attribute name`,
      'a name of letters, digits and "_", starting with a letter',
    );
    return undefined;
  }
  const values: JsonValue[] = dimension.Values;
  switch (dimension.AttributeType ?? 'INCLUSIVE') {
    case 'INCLUSIVE':
      return values.length === 1 ? { field, equals: values[0] ?? null } : { field, in: values };
    case 'EXCLUSIVE':
      return { not: { field, in: values } };
    case 'CONTAINS':
      return combine(
        'any',
        dimension.Values.map((value) => ({ field, contains: value })),
      );
    default:
      findings.problem(
        `${path}.AttributeType`,
        `${String(dimension.AttributeType)} compares dates; Waymark's profile conditions compare numbers and text`,
        'INCLUSIVE, EXCLUSIVE or CONTAINS; rewrite date comparisons by hand',
      );
      return undefined;
  }
}
