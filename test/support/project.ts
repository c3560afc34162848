/**
 * The sample project in journeys/ (settings, templates, journeys) and the
 * example events in test/events/, loaded once per test file.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Journey, Settings } from '../../shared/journey/schema.ts';
import { loadProject } from '../../shared/project/load.ts';
import { isJsonObject, type JsonObject, type JsonValue } from './asl-interpreter.ts';
import { fixtureEvent } from './runtime-fixtures.ts';

/** The repository root, ending in a slash. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const JOURNEYS_DIR = join(ROOT, 'journeys');

export const project = loadProject(JOURNEYS_DIR);

function requireSettings(value: Settings | undefined): Settings {
  if (value === undefined) throw new Error('journeys/settings.json does not load');
  return value;
}

export const settings: Settings = requireSettings(project.settings);
export const samples: Journey[] = project.journeys.map(({ journey }) => journey);
export const sampleIds: string[] = samples.map((journey) => journey.id);

export function sample(id: string): Journey {
  const journey = samples.find((candidate) => candidate.id === id);
  if (journey === undefined) throw new Error(`No sample journey ${id}`);
  return journey;
}

/** test/events/<name>.json as JSON, to run through a state machine or match against a pattern. */
export function readEvent(name: string): JsonObject {
  const event: unknown = fixtureEvent(name);
  if (!isJsonObject(event)) throw new Error(`test/events/${name}.json is not a JSON object`);
  return event;
}

/** The event with these detail fields changed; a field set to undefined is removed. */
export function withDetail(event: JsonObject, changes: Record<string, JsonValue | undefined>): JsonObject {
  const detail: JsonObject = isJsonObject(event.detail) ? { ...event.detail } : {};
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete detail[key];
    else detail[key] = value;
  }
  return { ...event, detail };
}
