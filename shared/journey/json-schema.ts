/** JSON Schemas generated from the zod source, committed so editors autocomplete journey files. */
import { z } from 'zod';
import { journeySchema, settingsSchema } from './schema.ts';

export const JOURNEY_SCHEMA_FILE = 'journey.schema.json';
export const SETTINGS_SCHEMA_FILE = 'settings.schema.json';

function generate(schema: z.ZodType, id: string): string {
  const generated = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' });
  return `${JSON.stringify({ ...generated, $id: id }, null, 2)}\n`;
}

export function journeyJsonSchemaText(): string {
  return generate(journeySchema, `https://waymark.dev/schemas/${JOURNEY_SCHEMA_FILE}`);
}

export function settingsJsonSchemaText(): string {
  return generate(settingsSchema, `https://waymark.dev/schemas/${SETTINGS_SCHEMA_FILE}`);
}
