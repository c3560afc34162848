/**
 * The catalog of a journeys folder as the deployed functions read it: the
 * built-in profile update and one definition per file in `events/`, only
 * parsed (synth refused a broken file before it could be deployed). The
 * validating loader is in events-check.ts, kept apart so the functions do not
 * bundle the validator.
 */
import { BUILT_IN_EVENTS } from '../events/runtime-events.ts';
import { createEventCatalog, type EventCatalog } from '../events/catalog.ts';
import { eventDefinitionOf, eventFileSchema } from '../events/event-file.ts';
import { listJsonFilesIn, parseJsonFile } from './files.ts';

export const EVENTS_DIR = 'events';

/** The event files of a journeys folder, sorted; a folder that is not there holds none. */
/**
 * Whether a detail-type can name its event file (`events/<detail-type>.json`): EventBridge allows
 * almost any text, a file name must not hold a path.
 */
export function isEventFileName(detailType: string): boolean {
  const controls = [...detailType].some((character) => (character.codePointAt(0) ?? 0) < 0x20);
  return (
    detailType.length > 0 &&
    detailType.length <= 128 &&
    !controls &&
    !/[/\\]/.test(detailType) &&
    detailType !== '.' &&
    detailType !== '..'
  );
}

export function listEventFiles(journeysDir: string): string[] {
  return listJsonFilesIn(journeysDir, EVENTS_DIR);
}

export function loadDeployedEventCatalog(journeysDir: string): EventCatalog {
  const definitions = listEventFiles(journeysDir).map((file) =>
    eventDefinitionOf(file, parseJsonFile(file, eventFileSchema)),
  );
  return createEventCatalog([...BUILT_IN_EVENTS, ...definitions]);
}
