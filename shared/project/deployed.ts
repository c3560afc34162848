/**
 * The journeys folder as bundled next to a deployed function. The CDK app
 * validated every file before it could be deployed, so here the files are
 * only parsed: the functions stay small and start fast, and a file that
 * does not parse (which synth would have refused) still fails with its name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { journeySchema, settingsSchema } from '../journey/schema.ts';
import type { RuntimeProject } from '../runtime/runtime.ts';
import { loadDeployedEventCatalog } from './events.ts';
import { listJourneyFiles, loadTemplates, SETTINGS_FILE, TEMPLATES_DIR } from './files.ts';
import { errorMessage } from '../text/error-message.ts';

export function loadDeployedProject(dir: string): RuntimeProject {
  const settingsFile = join(dir, SETTINGS_FILE);
  if (!existsSync(settingsFile))
    throw new Error(`No ${SETTINGS_FILE} in ${dir}: it is bundled with every function.`);
  return {
    settings: parseFile(settingsFile, settingsSchema),
    events: loadDeployedEventCatalog(dir),
    templates: loadTemplates(join(dir, TEMPLATES_DIR)),
    journeys: listJourneyFiles(dir).map((file) => parseFile(file, journeySchema)),
  };
}

function parseFile<T>(file: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${errorMessage(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
