/**
 * The catalog of a journeys folder, every event file checked: each problem
 * with file, line and column, as for journeys. Used by the CLI, the CDK app
 * and the local engine through loadProject.
 */
import { BUILT_IN_EVENTS } from '../events/runtime-events.ts';
import { createEventCatalog, type EventCatalog, type EventDefinition } from '../events/catalog.ts';
import { eventDefinitionOf } from '../events/event-file.ts';
import type { Problem } from '../journey/problem.ts';
import { validateEventFileText } from '../journey/validate.ts';
import { listEventFiles } from './events.ts';
import { fileProblem, readText } from './files.ts';

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
