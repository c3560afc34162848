/**
 * `waymark events`: event files without writing JSON Schema by hand. `import` turns what the EventBridge
 * Schema Registry exports into one, `infer` drafts one from sample events, `list` shows the project's
 * event types and the journeys that use each.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILT_IN_EVENTS } from '../../shared/events/runtime-events.ts';
import { eventDefinition, eventTypes } from '../../shared/events/catalog.ts';
import { inferEventFile } from '../../shared/events/infer.ts';
import { type EventFileDraft, eventFileFromRegistryExport } from '../../shared/events/registry-import.ts';
import { EVENT_USES, type EventUse, eventUses } from '../../shared/journey/event-uses.ts';
import { formatProblem, hasErrors, type Problem } from '../../shared/journey/problem.ts';
import { validateEventFileText } from '../../shared/journey/validate.ts';
import { EVENTS_DIR, isEventFileName } from '../../shared/project/events.ts';
import { loadProject } from '../../shared/project/load.ts';
import { errorMessage } from '../local/errors.ts';
import type { Output } from './output.ts';
import { formatTable } from './table.ts';

export const EVENTS_USAGE = `usage: waymark events import <export.json> [--journeys <dir>] [--force]
       waymark events infer <event.json ...> [--write] [--journeys <dir>] [--force]
       waymark events list [--journeys <dir>]
  import    an event file from an EventBridge Schema Registry export (aws schemas export-schema
            --type OpenApi3 or JSONSchemaDraft4, or describe-schema), written to <dir>/events/<detail-type>.json
  infer     an event file drafted from sample events (each file one event or a JSON array of them),
            printed for review (notes on stderr), or written like import with --write
  list      every event type: source, customer id path, its file, and the journeys that use it
  --journeys  the journeys folder (default journeys)
  --force     overwrite an event file that is already there`;

type EventsCommand =
  | { kind: 'help' }
  | { kind: 'import'; file: string; journeys: string; force: boolean }
  | { kind: 'infer'; files: string[]; journeys: string; write: boolean; force: boolean }
  | { kind: 'list'; journeys: string };

/** EventBridge's limit for a detail-type, which names the file. */
const MAX_DETAIL_TYPE_LENGTH = 128;

/** A command line that cannot be run; answered with exit code 2 and the usage. */
class UsageError extends Error {}

/** Exit code 0 when done, 1 when the input or the written file has errors, 2 for a wrong command line. */
export function eventsCommand(args: readonly string[], io: Output): number {
  let command: EventsCommand;
  try {
    command = parseCommand(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`waymark events: ${error.message}\n${EVENTS_USAGE}\n`);
    return 2;
  }
  switch (command.kind) {
    case 'help':
      io.out(`${EVENTS_USAGE}\n`);
      return 0;
    case 'import':
      return importExport(command, io);
    case 'infer':
      return infer(command, io);
    case 'list':
      return list(command, io);
  }
}

function parseCommand(args: readonly string[]): EventsCommand {
  const [name, ...rest] = args;
  if (name === 'help' || name === '--help' || name === '-h') return { kind: 'help' };
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        journeys: { type: 'string' },
        force: { type: 'boolean' },
        write: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const { positionals, values } = parsed;
  if (values.help === true) return { kind: 'help' };
  const journeys = values.journeys ?? 'journeys';
  if (journeys === '') throw new UsageError('--journeys is empty');
  const force = values.force === true;
  const write = values.write === true;
  switch (name) {
    case 'import': {
      const [file, ...more] = positionals;
      if (file === undefined || more.length > 0) throw new UsageError('import takes one export file');
      if (write) throw new UsageError('import always writes; --write is for infer');
      return { kind: 'import', file, journeys, force };
    }
    case 'infer':
      if (positionals.length === 0) throw new UsageError('infer takes one or more files of sample events');
      if (force && !write) throw new UsageError('--force goes with --write');
      return { kind: 'infer', files: positionals, journeys, write, force };
    case 'list':
      if (positionals.length > 0 || force || write) throw new UsageError('list takes only --journeys');
      return { kind: 'list', journeys };
    case undefined:
      throw new UsageError('name what to do: import, infer or list');
    default:
      throw new UsageError(`unknown events command "${name}"`);
  }
}

// ---- import and infer ---------------------------------------------------------------------------------------------

function importExport(command: Extract<EventsCommand, { kind: 'import' }>, io: Output): number {
  const text = readInput(command.file, 'import', io);
  if (text === undefined) return 1;
  const draft = eventFileFromRegistryExport(text);
  if (!draft.ok) {
    io.err(`waymark events import: ${command.file}: ${draft.problem}\n`);
    return 1;
  }
  return writeEventFile(draft, command, 'import', io);
}

function infer(command: Extract<EventsCommand, { kind: 'infer' }>, io: Output): number {
  const samples: unknown[] = [];
  const sources: string[] = [];
  for (const file of command.files) {
    const text = readInput(file, 'infer', io);
    if (text === undefined) return 1;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      io.err(`waymark events infer: ${file} is not JSON: ${errorMessage(error)}\n`);
      return 1;
    }
    const events: unknown[] = Array.isArray(value) ? value : [value];
    const first = samples.length + 1;
    samples.push(...events);
    sources.push(
      `${file} holds ${events.length === 1 ? `sample ${first}` : `samples ${first}-${samples.length}`}`,
    );
  }
  const draft = inferEventFile(samples);
  if (!draft.ok) {
    // The problem names samples by position; with several files, say which file holds which.
    const legend = command.files.length > 1 ? ` (${sources.join(', ')})` : '';
    io.err(`waymark events infer: ${draft.problem}${legend}\n`);
    return 1;
  }
  if (command.write) return writeEventFile(draft, command, 'infer', io);
  // Notes on stderr: the printed file can be redirected into events/ as it is.
  io.out(formatJson(draft.file));
  for (const note of draft.notes) io.err(`note: ${note}\n`);
  return 0;
}

function readInput(file: string, verb: string, io: Output): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    io.err(`waymark events ${verb}: cannot read ${file}: ${errorMessage(error)}\n`);
    return undefined;
  }
}

/** Writes `<journeys>/events/<title>.json`, prints it with the notes, then checks it as validate would. */
function writeEventFile(
  draft: Extract<EventFileDraft, { ok: true }>,
  target: { journeys: string; force: boolean },
  verb: string,
  io: Output,
): number {
  const title = draft.file.title;
  // The title is the file's name: a "/" in it would write somewhere else entirely, a line break confuse every listing.
  if (typeof title !== 'string' || /[/\\\p{Cc}]/u.test(title) || title === '.' || title === '..') {
    io.err(`waymark events ${verb}: the detail-type ${JSON.stringify(title)} cannot be a file name.\n`);
    return 1;
  }
  // EventBridge's own limit; past it the file would be refused, or its name be too long to write.
  if (title.length > MAX_DETAIL_TYPE_LENGTH) {
    io.err(
      `waymark events ${verb}: the detail-type is ${title.length} characters long; EventBridge takes at most ${MAX_DETAIL_TYPE_LENGTH} characters.\n`,
    );
    return 1;
  }
  if (!isEventFileName(title)) {
    io.err(
      `waymark events ${verb}: the detail-type ${JSON.stringify(title)} cannot name a file (no "/", "\\" or control characters).\n`,
    );
    return 1;
  }
  if (BUILT_IN_EVENTS.some((event) => event.detailType === title)) {
    io.err(`waymark events ${verb}: "${title}" is built in; it needs no event file (docs/events.md).\n`);
    return 1;
  }
  if (!isFolder(target.journeys)) {
    io.err(
      `waymark events ${verb}: ${target.journeys}: no such folder; name the journeys folder with --journeys.\n`,
    );
    return 1;
  }
  const path = join(target.journeys, EVENTS_DIR, `${title}.json`);
  const text = formatJson(draft.file);
  try {
    mkdirSync(join(target.journeys, EVENTS_DIR), { recursive: true });
    // "wx" creates the file or fails: it never writes through a link (even a dangling one) to elsewhere.
    writeFileSync(path, text, { flag: target.force ? 'w' : 'wx' });
  } catch (error) {
    const reason =
      isErrorCode(error, 'EEXIST') && !target.force
        ? `${path} is already there; run again with --force to overwrite it.`
        : `cannot write ${path}: ${errorMessage(error)}`;
    io.err(`waymark events ${verb}: ${reason}\n`);
    return 1;
  }
  io.out(`wrote ${path}\n`);
  for (const note of draft.notes) io.out(`note: ${note}\n`);
  const problems = validateEventFileText(text, path).problems;
  report(problems, io);
  return hasErrors(problems) ? 1 : 0;
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

function isFolder(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

function report(problems: readonly Problem[], io: Output): void {
  for (const problem of problems) io.err(`${formatProblem(problem)}\n`);
}

/** The width prettier wraps the project's JSON at (.prettierrc), so a written file passes `prettier --check`. */
const PRINT_WIDTH = 110;

/**
 * JSON as prettier prints the project's files: two spaces, one property a line, and an array of
 * plain values on one line when it fits (`"required": ["customerId", "cartId"]`).
 */
export function formatJson(value: unknown): string {
  return `${formatValue(value, '', 0)}\n`;
}

/** `taken`: the characters already on the line before the value and after it (key, comma). */
function formatValue(value: unknown, indent: string, taken: number): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((item) => item === null || typeof item !== 'object')) {
      const flat = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
      if (indent.length + taken + flat.length <= PRINT_WIDTH) return flat;
    }
    const items = value.map((item, index) => {
      const comma = index < value.length - 1 ? 1 : 0;
      return `${inner}${formatValue(item, inner, comma)}${comma === 1 ? ',' : ''}`;
    });
    return `[\n${items.join('\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([key, item], index) => {
      const comma = index < entries.length - 1 ? 1 : 0;
      const name = `${JSON.stringify(key)}: `;
      return `${inner}${name}${formatValue(item, inner, name.length + comma)}${comma === 1 ? ',' : ''}`;
    });
    return `{\n${lines.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

// ---- list ---------------------------------------------------------------------------------------------------------

function list(command: Extract<EventsCommand, { kind: 'list' }>, io: Output): number {
  if (!isFolder(command.journeys)) {
    io.err(
      `waymark events list: ${command.journeys}: no such folder; name the journeys folder with --journeys.\n`,
    );
    return 1;
  }
  const project = loadProject(resolve(command.journeys));
  const usesByType = new Map<string, Map<string, Set<EventUse>>>();
  for (const { journey } of project.journeys) {
    for (const [type, uses] of eventUses(journey)) {
      const byJourney = usesByType.get(type) ?? new Map<string, Set<EventUse>>();
      byJourney.set(journey.id, uses);
      usesByType.set(type, byJourney);
    }
  }
  const rows = eventTypes(project.events).map((type) => {
    const definition = eventDefinition(project.events, type);
    const origin = definition?.origin;
    return [
      type,
      definition?.source ?? 'any',
      definition?.customerIdPath.join('.') ?? '-',
      origin === undefined || origin.kind === 'built-in' ? 'built in' : basename(origin.file),
      journeysText(usesByType.get(type)),
    ];
  });
  // Journeys may emit events no event file describes (for other consumers on the bus).
  const uncatalogued = [...usesByType.keys()].filter(
    (type) => eventDefinition(project.events, type) === undefined,
  );
  for (const type of uncatalogued.sort()) {
    rows.push([type, '-', '-', 'no event file', journeysText(usesByType.get(type))]);
  }
  io.out(
    formatTable(
      [
        { header: 'detail-type' },
        { header: 'source' },
        { header: 'customer id' },
        { header: 'defined in' },
        { header: 'journeys' },
      ],
      rows,
    ),
  );
  // The table shows what loaded; a broken file or journey is missing from it, and says why here.
  const errors = project.problems.filter((problem) => problem.severity === 'error');
  report(errors, io);
  return errors.length > 0 ? 1 : 0;
}

function journeysText(byJourney: ReadonlyMap<string, ReadonlySet<EventUse>> | undefined): string {
  if (byJourney === undefined) return '-';
  return [...byJourney]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, uses]) => `${id} (${EVENT_USES.filter((use) => uses.has(use)).join(', ')})`)
    .join(', ');
}
