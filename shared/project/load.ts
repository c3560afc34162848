/**
 * Reads a journeys folder (journey files, settings.json, events/, templates/) and
 * validates all of it. Used by the CLI, the CDK app and the local engine,
 * so the three always agree on what is valid.
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Problem } from '../journey/problem.ts';
import type { Journey, Settings } from '../journey/schema.ts';
import { settingsSchema } from '../journey/schema.ts';
import { validateJourneyText, validateSettingsText } from '../journey/validate.ts';
import type { TemplateSource } from '../render/templates.ts';
import type { EventCatalog } from '../events/catalog.ts';
import { listEventFiles } from './events.ts';
import { loadEventCatalog } from './events-check.ts';
import type { Segment } from '../audience/segment.ts';
import { listSegmentFiles } from './segments.ts';
import { loadSegments } from './segments-check.ts';
import {
  fileProblem,
  isJourneyFileName,
  listJourneyFiles,
  loadTemplates,
  readText,
  SETTINGS_FILE,
  TEMPLATES_DIR,
} from './files.ts';

export { isJourneyFileName, listJourneyFiles, loadTemplates, SETTINGS_FILE, TEMPLATES_DIR };

export interface LoadedJourney {
  file: string;
  journey: Journey;
}

export interface Project {
  dir: string;
  settings: Settings | undefined;
  events: EventCatalog;
  segments: Map<string, Segment>;
  templates: Map<string, TemplateSource>;
  journeys: LoadedJourney[];
  /** Journey files checked, including those that failed. */
  files: string[];
  /** Event files checked (events/*.json), including those that failed. */
  eventFiles: string[];
  /** Segment files checked (segments/*.json), including those that failed. */
  segmentFiles: string[];
  problems: Problem[];
}

/** Settings used to keep checking journeys when settings.json itself is broken. */
const FALLBACK_SETTINGS: Settings = settingsSchema.parse({
  timeZone: 'UTC',
  senders: { email: { from: 'placeholder@example.com' } },
  unsubscribe: { baseUrl: 'https://example.com/unsubscribe' },
});

export function loadProject(dir: string, only?: readonly string[], now: Date = new Date()): Project {
  const problems: Problem[] = [];
  const settingsPath = join(dir, SETTINGS_FILE);
  let settings: Settings | undefined;
  if (existsSync(settingsPath)) {
    const text = readText(settingsPath, problems);
    const result = text === undefined ? undefined : validateSettingsText(text, settingsPath);
    settings = result?.value;
    problems.push(...(result?.problems ?? []));
  } else {
    problems.push(
      fileProblem(
        settingsPath,
        `No ${SETTINGS_FILE} in ${dir}: caps, quiet hours and senders are defined there.`,
      ),
    );
  }
  const templates = loadTemplates(join(dir, TEMPLATES_DIR), problems);
  const events = loadEventCatalog(dir, problems);
  const segments = loadSegments(dir, events, problems);
  const files = only ?? listJourneyFiles(dir);
  const journeys: LoadedJourney[] = [];
  for (const file of files) {
    const text = readText(file, problems);
    if (text === undefined) continue;
    const result = validateJourneyText(text, file, {
      settings: settings ?? FALLBACK_SETTINGS,
      templates,
      events,
      segments,
      now,
    });
    problems.push(...result.problems);
    if (result.value !== undefined) journeys.push({ file, journey: result.value });
  }
  problems.push(...crossFileProblems(journeys));
  return {
    dir,
    settings,
    events,
    segments,
    templates,
    journeys,
    files: [...files],
    eventFiles: listEventFiles(dir),
    segmentFiles: listSegmentFiles(dir),
    problems,
  };
}

function crossFileProblems(journeys: readonly LoadedJourney[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const { file, journey } of journeys) {
    const first = seen.get(journey.id);
    if (first !== undefined) {
      problems.push(
        fileProblem(file, `Journey id "${journey.id}" is also used by ${first}; ids must be unique.`, ['id']),
      );
    } else {
      seen.set(journey.id, file);
    }
    if (basename(file) !== `${journey.id}.json`) {
      problems.push({
        ...fileProblem(file, `The file name does not match the journey id "${journey.id}".`, ['id']),
        severity: 'warning',
        hint: `rename the file to ${journey.id}.json so it is easy to find`,
      });
    }
  }
  return problems;
}
