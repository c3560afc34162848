/**
 * The events an imported journey names that the project does not describe yet: each gets an event file
 * declared from what the journey reads of it (its trigger filter's fields), for the team to check, so
 * that the output validates. Pinpoint kept no schema of its events; Waymark needs one.
 */
import { isRecord } from '../../shared/json.ts';

/** Every event name a journey's JSON names: its trigger, exits, waits for events and history conditions. */
export function eventsNamed(journey: unknown): Set<string> {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) walk(item);
      return;
    }
    if (!isRecord(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'event' && typeof inner === 'string') names.add(inner);
      else walk(inner);
    }
  };
  walk(journey);
  return names;
}

type FieldType = 'string' | 'number';

/** The fields a trigger filter reads of its event, with the type its patterns compare them as. */
function filteredFields(journey: unknown, event: string): Map<string, { type: FieldType; example: unknown }> {
  const fields = new Map<string, { type: FieldType; example: unknown }>();
  if (!isRecord(journey) || !isRecord(journey.trigger) || journey.trigger.event !== event) return fields;
  const filter = journey.trigger.filter;
  if (!isRecord(filter)) return fields;
  for (const [name, patterns] of Object.entries(filter).sort(([a], [b]) => a.localeCompare(b))) {
    const list: unknown[] = Array.isArray(patterns) ? patterns : [patterns];
    const numeric =
      list.some((pattern) => isRecord(pattern) && 'numeric' in pattern) ||
      list.some((p) => typeof p === 'number');
    const literal = list.find((pattern) => typeof pattern === 'string' || typeof pattern === 'number');
    fields.set(name, {
      type: numeric ? 'number' : 'string',
      example: literal ?? (numeric ? 1 : 'example'),
    });
  }
  return fields;
}

/** An event file for `event`, declared from the journeys that read it. */
export function declaredEventFile(
  event: string,
  journeys: readonly unknown[],
  sources: readonly string[],
): string {
  const fields = new Map<string, { type: FieldType; example: unknown }>();
  for (const journey of journeys)
    for (const [name, field] of filteredFields(journey, event)) fields.set(name, field);
  const properties: Record<string, unknown> = {
    customerId: { type: 'string', minLength: 1, maxLength: 256 },
  };
  const example: Record<string, unknown> = { customerId: 'customer-1' };
  for (const [name, field] of fields) {
    properties[name] = { type: field.type };
    example[name] = field.example;
  }
  const file = {
    $schema: '../event.schema.json',
    title: event,
    description: `Imported from Pinpoint (${sources.join(', ')}): declared from what the journeys read of it. Check its fields, and where your events keep the customer id, before deploying.`,
    'x-waymark': { customerId: 'customerId' },
    type: 'object',
    properties,
    required: ['customerId'],
    examples: [example],
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}
