/**
 * Reads a journeys folder (journey files, settings.json, templates/) and
 * validates all of it. Used by the CLI, the CDK app and the local engine,
 * so the three always agree on what is valid.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { jsonPath, type Problem } from '../journey/problem.ts';
import type { Journey, Settings } from '../journey/schema.ts';
import { settingsSchema } from '../journey/schema.ts';
import { validateJourneyText, validateSettingsText } from '../journey/validate.ts';
import type { TemplateSource } from '../render/templates.ts';

export const SETTINGS_FILE = 'settings.json';
export const TEMPLATES_DIR = 'templates';

export interface LoadedJourney {
  file: string;
  journey: Journey;
}

export interface Project {
  dir: string;
  settings: Settings | undefined;
  templates: Map<string, TemplateSource>;
  journeys: LoadedJourney[];
  /** Files checked, including those that failed. */
  files: string[];
  problems: Problem[];
}

/** Settings used to keep checking journeys when settings.json itself is broken. */
const FALLBACK_SETTINGS: Settings = settingsSchema.parse({
  timeZone: 'UTC',
  senders: { email: { from: 'placeholder@example.com' } },
  unsubscribe: { baseUrl: 'https://example.com/unsubscribe' },
});

export function isJourneyFileName(name: string): boolean {
  return name.endsWith('.json') && name !== SETTINGS_FILE && !name.endsWith('.schema.json');
}

export function loadProject(dir: string, only?: readonly string[]): Project {
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
  const files = only ?? listJourneyFiles(dir);
  const journeys: LoadedJourney[] = [];
  for (const file of files) {
    const text = readText(file, problems);
    if (text === undefined) continue;
    const result = validateJourneyText(text, file, {
      settings: settings ?? FALLBACK_SETTINGS,
      templates,
    });
    problems.push(...result.problems);
    if (result.value !== undefined) journeys.push({ file, journey: result.value });
  }
  problems.push(...crossFileProblems(journeys));
  return { dir, settings, templates, journeys, files: [...files], problems };
}

export function listJourneyFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return entries(dir)
    .filter(isJourneyFileName)
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => kindOf(path) === 'file');
}

/** The names in a folder; an unreadable folder reads as empty (its files are then reported missing). */
function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** What is at a path; a dangling link or an unreadable entry counts as missing rather than throwing. */
function kindOf(path: string): 'file' | 'folder' | 'missing' {
  try {
    const stat = statSync(path);
    return stat.isDirectory() ? 'folder' : stat.isFile() ? 'file' : 'missing';
  } catch {
    return 'missing';
  }
}

export function loadTemplates(dir: string, problems: Problem[] = []): Map<string, TemplateSource> {
  const templates = new Map<string, TemplateSource>();
  if (kindOf(dir) !== 'folder') return templates;
  for (const name of entries(dir).sort()) {
    const folder = join(dir, name);
    if (kindOf(folder) !== 'folder') continue;
    const files: Record<string, string> = {};
    for (const file of entries(folder).sort()) {
      const path = join(folder, file);
      if (kindOf(path) !== 'file') {
        if (kindOf(path) === 'missing')
          problems.push(fileProblem(path, 'Cannot read this template file (a broken link?).'));
        continue;
      }
      const text = readText(path, problems);
      if (text !== undefined) files[file] = text;
    }
    templates.set(name, { name, files });
  }
  return templates;
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

function fileProblem(file: string, message: string, path: string[] = []): Problem {
  return { severity: 'error', file, line: 0, column: 0, path: jsonPath(path), message };
}

function readText(path: string, problems: Problem[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(
      fileProblem(path, `Cannot read the file: ${error instanceof Error ? error.message : String(error)}`),
    );
    return undefined;
  }
}
