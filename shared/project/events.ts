/**
 * The catalog of a journeys folder: the built-in profile update and one
 * definition per file in `events/`. The validating loader reports every
 * problem with file, line and column; the deployed functions only parse
 * (synth refused a broken file before it could be deployed).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILT_IN_EVENTS } from '../events/built-in.ts';
import { createEventCatalog, type EventCatalog, type EventDefinition } from '../events/catalog.ts';
import { eventDefinitionOf, eventFileSchema } from '../events/event-file.ts';
import type { Problem } from '../journey/problem.ts';
import { validateEventFileText } from '../journey/validate.ts';
import { errorMessage } from '../text/error-message.ts';
import { fileProblem, kindOf, readText } from './files.ts';

export const EVENTS_DIR = 'events';

/** The event files of a journeys folder, sorted; a folder that is not there holds none. */
export function listEventFiles(journeysDir: string): string[] {
  const dir = join(journeysDir, EVENTS_DIR);
  if (kindOf(dir) !== 'folder') return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => kindOf(path) === 'file');
}

export function loadEventCatalog(journeysDir: string, problems: Problem[]): EventCatalog {
  const definitions: EventDefinition[] = [...BUILT_IN_EVENTS];
  const firstFile = new Map<string, string>();
  for (const file of listEventFiles(journeysDir)) {
    const text = readText(file, problems);
    if (text === undefined) continue;
    const result = validateEventFileText(text, file);
    problems.push(...result.problems);
    if (result.value === undefined) continue;
    const first = firstFile.get(result.value.title);
    if (first !== undefined) {
      problems.push(
        fileProblem(file, `"${result.value.title}" is also defined by ${first}: one file per detail-type.`, [
          'title',
        ]),
      );
      continue;
    }
    firstFile.set(result.value.title, file);
    definitions.push(eventDefinitionOf(file, result.value));
  }
  return createEventCatalog(definitions);
}

export function loadDeployedEventCatalog(journeysDir: string): EventCatalog {
  const definitions = listEventFiles(journeysDir).map((file) => {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new Error(`${file}: ${errorMessage(error)}`, { cause: error });
    }
    const parsed = eventFileSchema.safeParse(value);
    if (!parsed.success)
      throw new Error(`${file}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}`);
    return eventDefinitionOf(file, parsed.data);
  });
  return createEventCatalog([...BUILT_IN_EVENTS, ...definitions]);
}
