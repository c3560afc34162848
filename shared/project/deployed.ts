/**
 * The journeys folder as bundled next to a deployed function. The CDK app
 * validated every file before it could be deployed, so here the files are
 * only parsed: the functions stay small and start fast, and a file that
 * does not parse (which synth would have refused) still fails with its name.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { journeySchema, settingsSchema } from '../journey/schema.ts';
import type { RuntimeProject } from '../runtime/runtime.ts';
import { loadDeployedEventCatalog } from './events.ts';
import { loadDeployedSegments } from './segments.ts';
import { listJourneyFiles, loadTemplates, parseJsonFile, SETTINGS_FILE, TEMPLATES_DIR } from './files.ts';

export function loadDeployedProject(dir: string): RuntimeProject {
  const settingsFile = join(dir, SETTINGS_FILE);
  if (!existsSync(settingsFile))
    throw new Error(`No ${SETTINGS_FILE} in ${dir}: it is bundled with every function.`);
  return {
    settings: parseJsonFile(settingsFile, settingsSchema),
    events: loadDeployedEventCatalog(dir),
    segments: loadDeployedSegments(dir),
    templates: loadTemplates(join(dir, TEMPLATES_DIR)),
    journeys: listJourneyFiles(dir).map((file) => parseJsonFile(file, journeySchema)),
  };
}
