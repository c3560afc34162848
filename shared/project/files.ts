/**
 * The files of a journeys folder: journey files, templates. Shared by the
 * validating loader (CLI, CDK app, local engine) and the lean one the
 * deployed functions use.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as z from 'zod';
import { join } from 'node:path';
import { jsonPath, type Problem } from '../journey/problem.ts';
import type { TemplateSource } from '../render/templates.ts';
import { errorMessage } from '../text/error-message.ts';

export const SETTINGS_FILE = 'settings.json';
export const TEMPLATES_DIR = 'templates';

export function isJourneyFileName(name: string): boolean {
  return name.endsWith('.json') && name !== SETTINGS_FILE && !name.endsWith('.schema.json');
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
/** The `.json` files of a sub-folder of the journeys folder (events/, segments/), sorted; none when it is not there. */
export function listJsonFilesIn(journeysDir: string, folder: string): string[] {
  const dir = join(journeysDir, folder);
  if (kindOf(dir) !== 'folder') return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => join(dir, name))
    .filter((path) => kindOf(path) === 'file');
}

export function kindOf(path: string): 'file' | 'folder' | 'missing' {
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

export function fileProblem(file: string, message: string, path: string[] = []): Problem {
  return { severity: 'error', file, line: 0, column: 0, path: jsonPath(path), message };
}

export function readText(path: string, problems: Problem[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(fileProblem(path, `Cannot read the file: ${errorMessage(error)}`));
    return undefined;
  }
}

/** A JSON file parsed with a schema; throws naming the file, for the lean loaders of deployed functions. */
export function parseJsonFile<T>(file: string, schema: z.ZodType<T>): T {
  let value: unknown;
  try {
    // An editor's byte-order mark: the validator accepts it, so the deployed functions must too.
    value = JSON.parse(readFileSync(file, 'utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new Error(`${file}: ${errorMessage(error)}`, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
