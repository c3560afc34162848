/** `waymark <command>`: the command line over shared/. Output goes to stdout, problems to stderr. */
import { importCommand } from './import.ts';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { compileJourney, definitionText } from '../../shared/journey/compile.ts';
import {
  EVENT_SCHEMA_FILE,
  eventFileJsonSchemaText,
  SEGMENT_SCHEMA_FILE,
  segmentJsonSchemaText,
  JOURNEY_SCHEMA_FILE,
  journeyJsonSchemaText,
  SETTINGS_SCHEMA_FILE,
  settingsJsonSchemaText,
} from '../../shared/journey/json-schema.ts';
import { errorMessage } from '../local/errors.ts';
import { eraseCommand } from './erase.ts';
import { eventsCommand } from './events.ts';
import { figuresCommand } from './figures.ts';
import { indexAddressesCommand } from './index-addresses.ts';
import { localCommand } from './local.ts';
import { putEventCommand } from './put-event.ts';
import { panelCommand } from './panel.ts';
import { reportCommand } from './report.ts';
import { segmentCommand } from './segment.ts';
import { simulateCommand } from './simulate.ts';
import { capacityText, costAtVolumeText, quotasText } from './scale.ts';
import { usagesOf, type JourneyUsages } from '../../shared/scale/project.ts';
import { parseQuotaOverrides, positiveNumber } from '../../shared/scale/quotas.ts';
import { parseVolume } from '../../shared/scale/volume.ts';
import type { Output } from './output.ts';
import { type Column, formatTable } from './table.ts';
import { layoutJourney } from '../panel/graph-layout.ts';
import { journeyToMermaid } from './mermaid.ts';
import { journeyGraphSvgDocument } from '../panel/views/journey-graph.ts';
import { formatProblem, hasErrors, type Problem } from '../../shared/journey/problem.ts';
import {
  isJourneyFileName,
  listJourneyFiles,
  loadProject,
  type Project,
  SETTINGS_FILE,
} from '../../shared/project/load.ts';

const USAGE = `waymark: journeys as code on AWS

Usage:
  waymark validate [files or folders]   check journeys (default: journeys/); exit 1 on errors
  waymark compile <journey.json>        print the compiled rules, ASL, resources and cost
  waymark compile <journey.json> --asl  print only the ASL definition
  waymark graph <journey.json>          print the journey as a Mermaid flowchart
  waymark graph <journey.json> --svg    print it as an SVG picture instead
  waymark cost [files or folders]       state transitions and tasks per journey (cost model)
  waymark cost --volume 1000000/month   monthly cost per journey by service, Standard beside high-volume
                                        (also /day, /hour, /s)
  waymark capacity [--quota <name>=<value> ...] [--ses-rate <n>] [--goal <messages/s>] [--quotas]
                                        sustained entries/s and messages/s per journey and target, the
                                        quota that binds, and the increases 10,000 messages/s needs
  waymark schema [--write]              print (or write into journeys/) the JSON Schemas
  waymark erase <customerId> --table <name> [--endpoint <url>] [--region <r>]
                                        delete everything stored about a customer (GDPR erasure)
  waymark index-addresses [--aws --table <name>]  once, after upgrading: index the profiles written before
                                        customer search by email and phone (--help for options)
  waymark local [--demo] [--time-scale n]  the whole system on this machine (npm start); --help for options
  waymark import pinpoint <journey.json ...>  Pinpoint journeys (+ --templates <dir>) -> journeys/, MIGRATION.md
  waymark import pinpoint-endpoints <export.jsonl>  Pinpoint endpoints -> profiles, opt-outs kept (--dry-run)
  waymark put-event --file <events.json>   put events on the local engine's bus (or --type, --detail, --customer)
  waymark simulate <journey> --events <f>  play events through one journey on a jumping clock; print the timeline
  waymark report [--endpoint <url>] [--json]  funnels, conversions, attribution, engagement, skips, from the
                                           counters (--full: every customer read, adds timing and compliance;
                                           --aws --table <name> for a deployed stage; --help for options)
  waymark figures --recount                rebuild the counters from the history (--help for options)
  waymark panel [--endpoint <url>]         the panel alone, over AWS APIs: a running engine, or --aws a stage
  waymark events import|infer|list         event files from a Schema Registry export or sample events; the catalog
  waymark segment list | preview <id>      segments and the journeys using them; a segment's size and members now
  waymark synth | deploy                   the CDK app: use npm run synth / npm run deploy
`;

const consoleOutput: Output = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A number for the quick commands; a promise for the ones that talk to services (erase). */
export function main(argv: readonly string[], io: Output = consoleOutput): number | Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return validate(rest, io);
      case 'compile':
        return compile(rest, io);
      case 'graph':
        return graph(rest, io);
      case 'cost':
        return cost(rest, io);
      case 'capacity':
        return capacity(rest, io);
      case 'schema':
        return schema(rest, io);
      case 'events':
        return eventsCommand(rest, io);
      case 'erase':
        return guarded(command, eraseCommand(rest, io), io);
      case 'index-addresses':
        return guarded(command, indexAddressesCommand(rest, io), io);
      case 'figures':
        return guarded(command, figuresCommand(rest, io), io);
      case 'local':
        return guarded(command, localCommand(rest, io), io);
      case 'put-event':
        return guarded(command, putEventCommand(rest, io), io);
      case 'simulate':
        return guarded(command, simulateCommand(rest, io), io);
      case 'report':
        return guarded(command, reportCommand(rest, io), io);
      case 'panel':
        return guarded(command, panelCommand(rest, io), io);
      case 'segment':
        return guarded(command, segmentCommand(rest, io), io);
      case 'import':
        return guarded(command, importCommand(rest, io), io);
      case 'synth':
      case 'deploy':
        io.err(`waymark ${command}: the CDK app runs through the CDK CLI: npm run ${command}\n`);
        return 2;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 2 : 0;
      default:
        io.err(`Unknown command "${command}".\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    io.err(`waymark ${command}: ${errorMessage(error)}\n`);
    return 2;
  }
}

/** A command that answers later gets the same last word on an unexpected error as the others. */
async function guarded(command: string, running: Promise<number>, io: Output): Promise<number> {
  try {
    return await running;
  } catch (error) {
    io.err(`waymark ${command}: ${errorMessage(error)}\n`);
    return 2;
  }
}

/** The projects to check: a folder is a project; a file belongs to the project in its folder or to journeys/. */
function loadTargets(paths: readonly string[]): Project[] {
  const targets = paths.length > 0 ? paths : ['journeys'];
  const projects: Project[] = [];
  // Files are checked together with the others of the same project, so duplicate ids are found.
  const filesByProject = new Map<string, string[]>();
  for (const target of targets) {
    const path = resolve(target);
    if (!existsSync(path)) throw new Error(`${target}: no such file or folder`);
    const stat = statSync(path);
    if (stat.isDirectory()) {
      const hasSettings = existsSync(join(path, SETTINGS_FILE));
      const journeyFiles = listJourneyFiles(path);
      if (!hasSettings && journeyFiles.length === 0)
        throw new Error(`${target}: no journey files or ${SETTINGS_FILE} here`);
      // A folder of journeys without its own settings (test fixtures, drafts) uses journeys/'s.
      projects.push(hasSettings ? loadProject(path) : loadProject(resolve('journeys'), journeyFiles));
    } else if (!stat.isFile()) {
      throw new Error(`${target}: not a file or a folder`);
    } else if (basename(path) === SETTINGS_FILE) {
      // Settings are checked with their folder's project; no journey is singled out.
      projects.push(loadProject(dirname(path), []));
    } else {
      const folder = dirname(path);
      const projectDir = existsSync(join(folder, SETTINGS_FILE)) ? folder : resolve('journeys');
      filesByProject.set(projectDir, [...(filesByProject.get(projectDir) ?? []), path]);
    }
  }
  for (const [projectDir, files] of filesByProject) projects.push(loadProject(projectDir, files));
  return projects;
}

function report(problems: readonly Problem[], io: Output): void {
  for (const problem of problems) io.err(`${formatProblem(problem)}\n`);
}

function validate(args: readonly string[], io: Output): number {
  const projects = loadTargets(args);
  const problems = projects.flatMap((project) => project.problems);
  report(problems, io);
  const files = projects.reduce((sum, project) => sum + project.files.length, 0);
  const eventFiles = projects.reduce((sum, project) => sum + project.eventFiles.length, 0);
  const segmentFiles = projects.reduce((sum, project) => sum + project.segmentFiles.length, 0);
  const errors = problems.filter((problem) => problem.severity === 'error').length;
  const warnings = problems.length - errors;
  io.out(
    `${files} journey file(s), ${eventFiles} event file(s) and ${segmentFiles} segment file(s) checked: ${errors} error(s), ${warnings} warning(s)\n`,
  );
  return errors > 0 ? 1 : 0;
}

/** One journey file, and whether the one flag its command takes (compile --asl, graph --svg) is set. */
function singleJourney(args: readonly string[], command: string, flag: 'asl' | 'svg') {
  const { positionals, values } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { [flag]: { type: 'boolean' } },
  });
  const [file] = positionals;
  if (file === undefined || positionals.length > 1)
    throw new Error(`usage: waymark ${command} <journey.json>`);
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile() || !isJourneyFileName(basename(path))) {
    throw new Error(`${file}: expected one journey file (not a folder, settings.json or a schema)`);
  }
  const [project] = loadTargets([file]);
  if (project === undefined) throw new Error(`${file}: nothing to load`);
  return { project, loaded: project.journeys[0], flagSet: values[flag] === true };
}

function compile(args: readonly string[], io: Output): number {
  const { project, loaded, flagSet: asl } = singleJourney(args, 'compile', 'asl');
  if (loaded === undefined || project.settings === undefined || hasErrors(project.problems)) {
    report(project.problems, io);
    return 1;
  }
  const compiled = compileJourney(loaded.journey, project.settings, project.events);
  io.out(asl ? definitionText(compiled.definition) : `${JSON.stringify(compiled, null, 2)}\n`);
  return 0;
}

function graph(args: readonly string[], io: Output): number {
  const { project, loaded, flagSet: svg } = singleJourney(args, 'graph', 'svg');
  if (loaded === undefined || hasErrors(project.problems)) {
    report(project.problems, io);
    return 1;
  }
  const journey = loaded.journey;
  io.out(
    svg
      ? journeyGraphSvgDocument(journey, layoutJourney(journey, { reserveCountRows: false }))
      : journeyToMermaid(journey),
  );
  return 0;
}

/** Options as parseArgs reads them; a bad one (unknown, a value missing or like an option) is the user's to fix. */
function commandArgs<T extends ParseArgsConfig['options']>(
  command: string,
  args: readonly string[],
  options: T,
  io: Output,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; options: T }>> | undefined {
  try {
    return parseArgs({ args: [...args], allowPositionals: true, options });
  } catch (error) {
    io.err(`waymark ${command}: ${errorMessage(error)}\n`);
    return undefined;
  }
}

function cost(args: readonly string[], io: Output): number {
  const parsedArgs = commandArgs('cost', args, { volume: { type: 'string' } }, io);
  if (parsedArgs === undefined) return 1;
  const { positionals, values } = parsedArgs;
  if (values.volume !== undefined) {
    const parsed = parseVolume(values.volume);
    if (!parsed.ok) {
      io.err(`waymark cost: ${parsed.problem}\n`);
      return 1;
    }
    const journeys = scaleUsages(positionals, io);
    if (journeys === undefined) return 1;
    io.out(costAtVolumeText(journeys, parsed.volume));
    return 0;
  }
  const projects = loadTargets(positionals);
  const problems = projects.flatMap((project) => project.problems);
  if (hasErrors(problems)) {
    report(problems, io);
    return 1;
  }
  const rows: string[][] = [];
  let highVolume = false;
  for (const project of projects) {
    for (const { journey } of project.journeys) {
      if (project.settings === undefined) continue;
      const compiled = compileJourney(journey, project.settings, project.events);
      const model = compiled.cost;
      highVolume ||= compiled.target === 'high-volume';
      rows.push([
        journey.id,
        compiled.target === 'high-volume' ? 'HIGH-VOLUME' : compiled.workflowType,
        String(model.stateTransitions),
        String(model.lambdaInvocations),
        String(model.serviceCalls),
        String(model.messages),
        model.transitionsPerMessage === null ? '-' : String(model.transitionsPerMessage),
        model.usdPerThousandCustomers.toFixed(4),
      ]);
    }
  }
  const figure = (header: string): Column => ({ header, align: 'right' });
  io.out(
    formatTable(
      [
        { header: 'journey' },
        { header: 'workflow' },
        figure('transitions'),
        figure('lambda'),
        figure('service'),
        figure('messages'),
        figure('per message'),
        figure('USD / 1k'),
      ],
      rows,
    ),
  );
  io.out(
    'Longest path, error paths and quiet-hours retries left out. Standard: $0.025 per 1,000 transitions;\n' +
      'Express: $1 per million requests, duration not included. Lambda is billed apart.\n',
  );
  if (highVolume) {
    io.out(
      'HIGH-VOLUME: the first part only (to its first wait); waymark cost --volume 1000000/month counts every\n' +
        'part, its schedules and what the journey calls and writes, on both targets (docs/scale.md).\n',
    );
  }
  return 0;
}

/** Every journey of the targets on both targets, or undefined (problems reported) when one has errors. */
function scaleUsages(paths: readonly string[], io: Output): JourneyUsages[] | undefined {
  const projects = loadTargets(paths);
  const problems = projects.flatMap((project) => project.problems);
  if (hasErrors(problems)) {
    report(problems, io);
    return undefined;
  }
  return projects.flatMap((project) => {
    const { settings } = project;
    if (settings === undefined) return [];
    return project.journeys.map(({ journey }) => usagesOf(journey, settings, project.events));
  });
}

function capacity(args: readonly string[], io: Output): number {
  const parsedArgs = commandArgs(
    'capacity',
    args,
    {
      quota: { type: 'string', multiple: true },
      'ses-rate': { type: 'string' },
      goal: { type: 'string' },
      quotas: { type: 'boolean' },
    },
    io,
  );
  if (parsedArgs === undefined) return 1;
  const { positionals, values } = parsedArgs;
  const parsed = parseQuotaOverrides(values.quota ?? []);
  if (!parsed.ok) {
    io.err(`waymark capacity: ${parsed.problem}\n`);
    return 1;
  }
  const overrides = { ...parsed.overrides };
  if (values['ses-rate'] !== undefined) {
    const rate = positiveNumber(values['ses-rate']);
    if (rate === undefined) {
      io.err(
        `waymark capacity: --ses-rate ${values['ses-rate']}: expected emails a second, a positive number\n`,
      );
      return 1;
    }
    overrides['ses-send-rate'] = rate;
  }
  const goal = values.goal === undefined ? 10_000 : positiveNumber(values.goal);
  if (goal === undefined) {
    io.err(`waymark capacity: --goal ${values.goal ?? ''}: expected messages a second, a positive number\n`);
    return 1;
  }
  if (values.quotas === true) {
    io.out(quotasText(overrides));
    return 0;
  }
  const journeys = scaleUsages(positionals, io);
  if (journeys === undefined) return 1;
  if (journeys.length === 0) {
    io.err('waymark capacity: no journeys to simulate\n');
    return 1;
  }
  io.out(capacityText(journeys, { overrides, goal }));
  return 0;
}

function schema(args: readonly string[], io: Output): number {
  const { values } = parseArgs({
    args: [...args],
    options: { write: { type: 'boolean' }, dir: { type: 'string' } },
  });
  const dir = resolve(values.dir ?? 'journeys');
  if (values.write === true) {
    writeFileSync(join(dir, JOURNEY_SCHEMA_FILE), journeyJsonSchemaText());
    writeFileSync(join(dir, SETTINGS_SCHEMA_FILE), settingsJsonSchemaText());
    writeFileSync(join(dir, EVENT_SCHEMA_FILE), eventFileJsonSchemaText());
    writeFileSync(join(dir, SEGMENT_SCHEMA_FILE), segmentJsonSchemaText());
    io.out(
      `wrote ${join(dir, JOURNEY_SCHEMA_FILE)}, ${join(dir, SETTINGS_SCHEMA_FILE)}, ${join(dir, EVENT_SCHEMA_FILE)} and ${join(dir, SEGMENT_SCHEMA_FILE)}\n`,
    );
  } else {
    io.out(journeyJsonSchemaText());
  }
  return 0;
}
