/**
 * `waymark import pinpoint <file ...> [--templates <dir>] [--out journeys/]`: Pinpoint journeys and
 * templates, translated (shared/migrate/pinpoint/), written as Waymark files with MIGRATION.md beside
 * them. All or nothing: any problem in any input is printed with its file and JSON path, exit 1, and
 * nothing is written. The same input gives byte-identical output.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type MigrationLine, translatePinpointJourney } from '../../shared/migrate/pinpoint/journey.ts';
import { placeholderTemplate, translatePinpointTemplate } from '../../shared/migrate/pinpoint/templates.ts';
import { isRecord } from '../../shared/json.ts';
import { eventDefinition } from '../../shared/events/catalog.ts';
import { isEventFileName, loadDeployedEventCatalog } from '../../shared/project/events.ts';
import { declaredEventFile, eventsNamed } from './import-pinpoint-events.ts';
import { errorMessage } from '../local/errors.ts';
import type { Output } from './output.ts';

export const IMPORT_PINPOINT_USAGE = `usage: waymark import pinpoint <journey.json ...> [--templates <dir>] [--out <dir>] [--force]
  journey.json  what \`aws pinpoint get-journey\` prints, or a bare WriteJourneyRequest
  --templates   a folder of \`aws pinpoint get-email-template\` / get-sms-template / get-push-template outputs
  --out         where the journeys go (default journeys/); templates under <out>/templates/, MIGRATION.md beside
  --force       overwrite journey and template files that are there already`;

/** Inputs larger than this are no exported journey or template. */
const MAX_INPUT_BYTES = 5_000_000;

interface Problem {
  file: string;
  path: string;
  message: string;
  expected: string;
}

interface TranslatedTemplate {
  name: string;
  source: string;
  files: Record<string, string>;
  report: { variable: string; became: string }[];
  differences: string[];
}

interface TranslatedJourney {
  source: string;
  id: string;
  text: string;
  report: MigrationLine[];
  templates: Map<string, Set<string>>;
}

export function importPinpointCommand(args: readonly string[], io: Output): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        templates: { type: 'string' },
        out: { type: 'string', default: 'journeys' },
        force: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    io.err(`waymark import pinpoint: ${errorMessage(error)}\n\n${IMPORT_PINPOINT_USAGE}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (positionals.length === 0) {
    io.err(`waymark import pinpoint: name at least one journey file.\n\n${IMPORT_PINPOINT_USAGE}\n`);
    return 2;
  }
  const out = resolve(values.out);
  const problems: Problem[] = [];
  const templates = readTemplates(values.templates, problems);
  const known = new Set([...templates.map((template) => template.name), ...existingTemplates(out)]);
  const journeys = [...positionals].sort().flatMap((file) => translateJourneyFile(file, known, problems));
  const writes: Map<string, string> =
    problems.length === 0 ? plannedWrites(out, journeys, templates, known) : new Map<string, string>();
  if (problems.length === 0 && !values.force) {
    for (const [path, text] of writes) {
      if (basename(path) !== 'MIGRATION.md' && existsSync(path) && readFileSync(path, 'utf8') !== text)
        problems.push({
          file: path,
          path: '',
          message: 'is there already, with other content',
          expected: 'a new file (--force overwrites it)',
        });
    }
  }
  if (problems.length > 0) {
    for (const problem of problems) {
      io.err(
        `${problem.file}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.message}\n  expected: ${problem.expected}\n`,
      );
    }
    io.err(`waymark import pinpoint: ${problems.length} problem(s); nothing written.\n`);
    return 1;
  }
  for (const [path, text] of writes) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  const report = writes.get(join(out, 'MIGRATION.md')) ?? '';
  io.out(report);
  io.out(
    `\nwrote ${writes.size} file(s) under ${out}; check them with: npx waymark validate ${values.out}\n`,
  );
  return 0;
}

function readJson(file: string, problems: Problem[]): unknown {
  try {
    const text = readFileSync(file, 'utf8');
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES) {
      problems.push({
        file,
        path: '$',
        message: `is ${Buffer.byteLength(text)} bytes`,
        expected: `at most ${MAX_INPUT_BYTES} bytes of JSON`,
      });
      return undefined;
    }
    return JSON.parse(text);
  } catch (error) {
    problems.push({
      file,
      path: '$',
      message: `cannot be read as JSON: ${errorMessage(error)}`,
      expected: 'a JSON file as the AWS CLI prints it',
    });
    return undefined;
  }
}

function readTemplates(dir: string | undefined, problems: Problem[]): TranslatedTemplate[] {
  if (dir === undefined) return [];
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .sort();
  } catch (error) {
    problems.push({
      file: dir,
      path: '',
      message: `cannot be read: ${errorMessage(error)}`,
      expected: 'a folder of template JSON files',
    });
    return [];
  }
  const translated: TranslatedTemplate[] = [];
  for (const name of names) {
    const file = join(dir, name);
    const input = readJson(file, problems);
    if (input === undefined) continue;
    // A bare request carries no name: the file's is taken then (get-*-template output names itself).
    const named = translatePinpointTemplate(input, {});
    const result =
      !named.ok && named.problems.every((problem) => problem.path === '$.TemplateName')
        ? translatePinpointTemplate(input, { name: basename(name, '.json') })
        : named;
    if (!result.ok) {
      problems.push(...result.problems.map((problem) => ({ file, ...problem })));
      continue;
    }
    if (translated.some((other) => other.name === result.name)) {
      problems.push({
        file,
        path: '$',
        message: `names template "${result.name}" a second time`,
        expected: 'one file per template',
      });
      continue;
    }
    translated.push({
      name: result.name,
      source: file,
      files: result.files,
      report: result.report,
      differences: result.differences,
    });
  }
  return translated;
}

function existingTemplates(out: string): string[] {
  try {
    return readdirSync(join(out, 'templates'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
}

function translateJourneyFile(
  file: string,
  known: ReadonlySet<string>,
  problems: Problem[],
): TranslatedJourney[] {
  const input = readJson(file, problems);
  if (input === undefined) return [];
  const result = translatePinpointJourney(input, { sourceName: basename(file), knownTemplates: known });
  if (!result.ok) {
    problems.push(...result.problems.map((problem) => ({ file, ...problem })));
    return [];
  }
  const id = typeof result.journey.id === 'string' ? result.journey.id : basename(file, '.json');
  return [
    {
      source: file,
      id,
      text: `${JSON.stringify(result.journey, null, 2)}\n`,
      report: result.report,
      templates: sentTemplates(result.journey),
    },
  ];
}

/** The templates a journey's send steps name, with the channels each is sent on. */
function sentTemplates(journey: Record<string, unknown>): Map<string, Set<string>> {
  const used = new Map<string, Set<string>>();
  const steps = isRecord(journey.steps) ? journey.steps : {};
  for (const step of Object.values(steps)) {
    if (!isRecord(step) || step.type !== 'send' || typeof step.template !== 'string') continue;
    const channels = Array.isArray(step.channel) ? step.channel : [step.channel];
    const set = used.get(step.template) ?? new Set<string>();
    for (const channel of channels) if (typeof channel === 'string') set.add(channel);
    used.set(step.template, set);
  }
  return used;
}

function plannedWrites(
  out: string,
  journeys: readonly TranslatedJourney[],
  templates: readonly TranslatedTemplate[],
  known: ReadonlySet<string>,
): Map<string, string> {
  const writes = new Map<string, string>();
  for (const journey of journeys) writes.set(join(out, `${journey.id}.json`), journey.text);
  for (const template of templates) {
    for (const [file, text] of Object.entries(template.files).sort(([a], [b]) => a.localeCompare(b)))
      writes.set(join(out, 'templates', template.name, file), text);
  }
  const placeholders = new Map<string, Set<string>>();
  for (const journey of journeys) {
    for (const [name, channels] of journey.templates) {
      if (known.has(name)) continue;
      const all = placeholders.get(name) ?? new Set<string>();
      for (const channel of channels) all.add(channel);
      placeholders.set(name, all);
    }
  }
  for (const [name, channels] of [...placeholders].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [file, text] of Object.entries(placeholderTemplate(name, [...channels].sort())))
      writes.set(join(out, 'templates', name, file), text);
  }
  const declared = undeclaredEvents(out, journeys);
  for (const [event, text] of declared) writes.set(join(out, 'events', `${event}.json`), text);
  writes.set(
    join(out, 'MIGRATION.md'),
    migrationReport(journeys, templates, [...placeholders.keys()].sort(), [...declared.keys()]),
  );
  return writes;
}

/** Event files for the events the journeys name that the project's catalog lacks, by name. */
function undeclaredEvents(out: string, journeys: readonly TranslatedJourney[]): Map<string, string> {
  let catalog;
  try {
    catalog = loadDeployedEventCatalog(out);
  } catch {
    catalog = loadDeployedEventCatalog(join(out, 'no-such-folder'));
  }
  const parsed = journeys.map((journey): unknown => JSON.parse(journey.text));
  const missing = new Map<string, string[]>();
  journeys.forEach((journey, index) => {
    for (const event of eventsNamed(parsed[index])) {
      // A name that cannot be a file name stays undescribed: validate names it, MIGRATION.md too.
      if (eventDefinition(catalog, event) !== undefined || !isEventFileName(event)) continue;
      missing.set(event, [...(missing.get(event) ?? []), basename(journey.source)]);
    }
  });
  return new Map(
    [...missing]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([event, sources]) => [event, declaredEventFile(event, parsed, sources)]),
  );
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** MIGRATION.md: each source part and what it became, every difference named, placeholders listed. */
function migrationReport(
  journeys: readonly TranslatedJourney[],
  templates: readonly TranslatedTemplate[],
  placeholders: readonly string[],
  events: readonly string[],
): string {
  const lines = [
    '# Migration from Amazon Pinpoint',
    '',
    'Written by `waymark import pinpoint`: each Pinpoint part and what it became in Waymark, with every difference in behaviour. Review it with the files, then run `npx waymark validate`.',
    '',
  ];
  for (const journey of journeys) {
    lines.push(
      `## Journey \`${journey.id}\` (from ${basename(journey.source)})`,
      '',
      '| Pinpoint | kind | became | differences |',
      '|---|---|---|---|',
    );
    for (const line of journey.report) {
      lines.push(
        `| ${cell(line.source)} | ${cell(line.sourceKind)} | ${cell(line.became)} | ${cell(line.differences.join('; ') || '-')} |`,
      );
    }
    lines.push('');
  }
  for (const template of templates) {
    lines.push(`## Template \`${template.name}\` (from ${basename(template.source)})`, '');
    for (const variable of template.report) lines.push(`- \`${variable.variable}\` -> ${variable.became}`);
    for (const difference of template.differences) lines.push(`- ${difference}`);
    lines.push('');
  }
  if (placeholders.length > 0) {
    lines.push('## Placeholders to write before deploying', '');
    for (const name of placeholders) {
      lines.push(
        `- \`templates/${name}/\`: no Pinpoint template of this name was given (--templates); \`waymark validate\` flags it until it is written.`,
      );
    }
    lines.push('');
  }
  if (events.length > 0) {
    lines.push('## Events declared from the journeys', '');
    for (const event of events) {
      lines.push(
        `- \`events/${event}.json\`: Pinpoint kept no schema of its events; this one is declared from the fields the journeys read. Check its fields and where the customer id is (\`waymark events infer\` on a real event writes a fuller one).`,
      );
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
