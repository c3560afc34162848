/** JSON Schemas generated from the zod source, committed so editors autocomplete journey files. */
import * as z from 'zod';
import { segmentSchema } from '../audience/segment.ts';
import { eventFileSchema } from '../events/event-file.ts';
import { journeySchema, settingsSchema } from './schema.ts';
import { isRecord } from '../json.ts';

export const JOURNEY_SCHEMA_FILE = 'journey.schema.json';
export const SETTINGS_SCHEMA_FILE = 'settings.schema.json';
/** Event files name it as `../event.schema.json`; the validator reads that as JSON Schema 2020-12. */
export const EVENT_SCHEMA_FILE = 'event.schema.json';

function generate(schema: z.ZodType, id: string): string {
  const generated = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  return `${JSON.stringify({ ...generated, $id: id }, null, 2)}\n`;
}

/** Segment files name it as `../segment.schema.json`. */
export const SEGMENT_SCHEMA_FILE = 'segment.schema.json';

export function segmentJsonSchemaText(): string {
  return generate(segmentSchema, `https://waymark.dev/schemas/${SEGMENT_SCHEMA_FILE}`);
}

export function journeyJsonSchemaText(): string {
  return generate(journeySchema, `https://waymark.dev/schemas/${JOURNEY_SCHEMA_FILE}`);
}

export function settingsJsonSchemaText(): string {
  return generate(settingsSchema, `https://waymark.dev/schemas/${SETTINGS_SCHEMA_FILE}`);
}

/** What an event file must have besides its JSON Schema keywords, which editors check as they would anyway. */
export function eventFileJsonSchemaText(): string {
  return generate(eventFileSchema, `https://waymark.dev/schemas/${EVENT_SCHEMA_FILE}`);
}

/** Every property name the journey and settings schemas define, at any depth. */
export function journeyPropertyNames(): string[] {
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (!isRecord(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && isRecord(value)) {
        for (const name of Object.keys(value)) if (!name.startsWith('$')) names.add(name);
      }
      walk(value);
    }
  };
  walk(z.toJSONSchema(journeySchema, { io: 'input', unrepresentable: 'any' }));
  walk(z.toJSONSchema(settingsSchema, { io: 'input', unrepresentable: 'any' }));
  walk(z.toJSONSchema(segmentSchema, { io: 'input', unrepresentable: 'any' }));
  return [...names].sort();
}
