/** The sample project's event catalog, as the tests read its examples and compile its journeys. */
import { type EventCatalog, exampleDetail } from '../../shared/events/catalog.ts';
import { loadDeployedEventCatalog } from '../../shared/project/events.ts';
import { JOURNEYS_DIR } from './project.ts';

let loaded: EventCatalog | undefined;

export function sampleEvents(): EventCatalog {
  loaded ??= loadDeployedEventCatalog(JOURNEYS_DIR);
  return loaded;
}

/** The first example of a sample event type, a fresh copy; throws for a type the samples lack. */
export function sampleExample(detailType: string): Record<string, unknown> {
  const example = exampleDetail(sampleEvents(), detailType);
  if (example === undefined) throw new Error(`The sample journeys have no event file for ${detailType}.`);
  return example;
}
