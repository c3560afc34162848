/** The segments of a journeys folder, every file checked, each problem with file, line and column. */
import type { Segment } from '../audience/segment.ts';
import type { EventCatalog } from '../events/catalog.ts';
import type { Problem } from '../journey/problem.ts';
import { validateSegmentText } from '../journey/validate.ts';
import { fileProblem, readText } from './files.ts';
import { listSegmentFiles } from './segments.ts';

export function loadSegments(
  journeysDir: string,
  events: EventCatalog,
  problems: Problem[],
): Map<string, Segment> {
  const segments = new Map<string, Segment>();
  const firstFile = new Map<string, string>();
  for (const file of listSegmentFiles(journeysDir)) {
    const text = readText(file, problems);
    if (text === undefined) continue;
    const result = validateSegmentText(text, file, events);
    problems.push(...result.problems);
    if (result.value === undefined) continue;
    const first = firstFile.get(result.value.id);
    if (first !== undefined) {
      problems.push(fileProblem(file, `Segment id "${result.value.id}" is also used by ${first}.`, ['id']));
      continue;
    }
    firstFile.set(result.value.id, file);
    segments.set(result.value.id, result.value);
  }
  return segments;
}
